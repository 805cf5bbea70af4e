#pragma once
// Package metadata (docs/wire-format.md §4): the `metadata.json` a publisher writes (authoring form),
// parsed in one pass into typed values, and the published form written back: the config blob of
// every platform manifest (compact) and the `<stem>-metadata.json` sidecar (pretty).
//
// Published form, top level in this order (absent/empty omitted, `binaries: []` kept):
//   type ("bundle") · version (1) · strip_components · env · dependencies · entrypoints ·
//   binaries · integrations
// Decisions where §4 leaves room (OCX 0.5.8 semantics unless said otherwise):
//  * env keys are POSIX shell names `[A-Za-z_][A-Za-z0-9_]*` (≤256); a key may repeat (PATH twice).
//    `required` only on `path` entries and `separator` only on `list` entries: elsewhere refused.
//    `path` and `list` values must not be empty. Env visibility `sealed` is refused (an entry
//    nobody sees is dead config).
//  * dependency visibility: sealed (default) | private | public | interface. A dependency goes by
//    its `name`, else by the last repository component; two dependencies with the same
//    location (registry/repository) or the same name are refused — set `name` to tell them apart.
//  * entrypoint `command` is a slug like the entrypoint name; `args` may only use install-path
//    tokens; `args: []` is the same as no args and is not written.
//  * binaries: duplicates are refused (a typo is likelier than intent); output sorted.
//  * integrations: string leaves are checked as templates (OCX resolves them at install), with
//    ${self.env.…} refused; non-string payload text is re-serialized by Boost.JSON.
//  * strip_components: 0..255.
//  * unknown top-level keys are accepted and dropped; a top-level `platform` is refused.
// JSON objects with a repeated key keep the last value (Boost.JSON's parser; not detectable here).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace ocx::metadata {

struct EnvVar {
    enum class Type { path, constant, list };
    enum class Visibility { private_, public_, interface };

    std::string key;
    Type type = Type::constant;
    bool required = false;  // path only
    std::string separator;  // list only, non-empty there
    std::string value;      // a template (see metadata/template.hpp)
    Visibility visibility = Visibility::private_;

    friend bool operator==(const EnvVar&, const EnvVar&) = default;
};

struct Dependency {
    std::string identifier;  // "registry.example/acme/cmake:3.28@sha256:<hex>" (metadata/identifier.hpp)
    std::string visibility = "sealed";
    std::optional<std::string> name;

    friend bool operator==(const Dependency&, const Dependency&) = default;
};

struct Entrypoint {
    std::optional<std::string> command;            // binary dispatched when it differs from the name
    std::optional<std::vector<std::string>> args;  // fixed leading arguments, never empty when set

    friend bool operator==(const Entrypoint&, const Entrypoint&) = default;
};

struct Metadata {
    std::optional<std::int64_t> strip_components;
    std::vector<EnvVar> env;
    std::vector<Dependency> dependencies;
    std::map<std::string, Entrypoint> entrypoints;
    std::optional<std::vector<std::string>> binaries;               // absent and [] differ
    std::vector<std::pair<std::string, std::string>> integrations;  // namespace -> compact JSON, sorted

    friend bool operator==(const Metadata&, const Metadata&) = default;
};

/// Largest number of dependencies a package may declare.
inline constexpr std::size_t max_dependencies = 256;
/// Largest compact size of one integrations payload, and of the whole integrations object.
inline constexpr std::size_t max_integration_bytes = 8 * 1024;
inline constexpr std::size_t max_integrations_total_bytes = 32 * 1024;

/// "path", "constant", "list".
std::string_view to_string(EnvVar::Type type);
/// "private", "public", "interface".
std::string_view to_string(EnvVar::Visibility visibility);

/// Parses and validates metadata text (authoring or published form). Every problem is reported at
/// once, one per line, each "source:/json/path: message"; ErrorKind::data.
Result<Metadata> parse(std::string_view json_text, std::string_view source);

/// Reads `file` and parses it with the file name as source. A missing file is
/// ErrorKind::not_found, an unreadable one ErrorKind::io.
Result<Metadata> load(const std::filesystem::path& file);

/// The published form as compact JSON in canonical order: the config blob (hash these bytes).
std::string to_compact(const Metadata& metadata);

/// The same published form, two-space indented, ending in a newline: the sidecar.
std::string to_pretty(const Metadata& metadata);

}  // namespace ocx::metadata
