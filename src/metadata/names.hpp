#pragma once
// Name rules for package metadata (docs/wire-format.md §4). Each checker returns why a name is
// refused, or an empty string when it is fine; callers put the JSON path in front.

#include <cstddef>
#include <string>
#include <string_view>

namespace ocx::metadata {

/// Longest slug (dependency name, entrypoint name), as OCX caps it.
inline constexpr std::size_t max_slug_length = 64;
/// Longest environment variable name.
inline constexpr std::size_t max_env_key_length = 256;
/// Longest binary name (a file name on every platform).
inline constexpr std::size_t max_binary_length = 255;
/// Longest integrations namespace, as OCX caps it.
inline constexpr std::size_t max_namespace_length = 128;

/// True for `^[a-z0-9][a-z0-9_-]*$` of at most 64 bytes.
bool is_slug(std::string_view text);
/// Problem with a slug used as `what` ("dependency name", "entrypoint name"), or "".
std::string check_slug(std::string_view text, std::string_view what);

/// True for a POSIX shell variable name `[A-Za-z_][A-Za-z0-9_]*` of at most 256 bytes. Stricter
/// than "no '=' and no NUL" on purpose: keys are written into `export KEY=…` lines and named by
/// `${self.env.KEY}`, so they must be names every shell accepts.
bool is_env_key(std::string_view text);
/// Problem with an env key, or "".
std::string check_env_key(std::string_view text);

/// Problem with a bare binary name (printable ASCII, no whitespace, none of `/\<>:"|?*`, no
/// leading '-' or '.', at most 255 bytes), or "".
std::string check_binary_name(std::string_view text);

/// Problem with an integrations namespace (non-empty, at most 128 bytes, no control characters,
/// no whitespace; reverse-DNS is a convention, not a rule), or "".
std::string check_namespace(std::string_view text);

/// `text` as a JSON string literal for messages, with DEL and C1 controls escaped too, so nothing
/// a terminal acts on reaches a log.
std::string in_quotes(std::string_view text);

}  // namespace ocx::metadata
