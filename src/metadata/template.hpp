#pragma once
// Value templates in package metadata (docs/wire-format.md §4, "Value templates").
// OCX claims every `${…}` in an env value, an entrypoint arg or an integrations string: it is one
// of four tokens or an error; `$${` is the only way to write a literal `${`.
//   ${installPath}  ${self.installPath}  ${self.env.KEY}  ${deps.NAME.installPath}
// The two install-path tokens (and only those) take a `:native` or `:posix` modifier.
// Unlike OCX, which reads a `${` without a closing `}` as literal text, an unterminated `${` is
// refused: the publisher meant a token or forgot the `$${` escape, and the error says which.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ocx::metadata {

struct TemplateToken {
    enum class Kind { install_path, self_env, dependency };
    enum class Modifier { none, native, posix };
    Kind kind = Kind::install_path;
    std::string name;  // KEY for self_env, NAME for dependency, empty for install_path
    Modifier modifier = Modifier::none;
    std::string text;  // the token exactly as written, e.g. "${installPath:posix}"

    friend bool operator==(const TemplateToken&, const TemplateToken&) = default;
};

/// A piece of a scanned template: literal text (escapes already undone) or one token.
struct TemplateSegment {
    std::string literal;
    std::optional<TemplateToken> token;

    friend bool operator==(const TemplateSegment&, const TemplateSegment&) = default;
};

/// Splits `text` into literal and token segments. Grammar errors (unknown or unterminated
/// token, bad modifier) are ErrorKind::data with a message naming the token and no JSON path.
Result<std::vector<TemplateSegment>> scan_template(std::string_view text);

/// Where a template appears; decides which tokens it may hold.
enum class TemplateContext {
    env_value,       // every token
    entrypoint_arg,  // install-path tokens only (OCX resolves args without deps or env)
    integration,     // install-path and dependency tokens (no ${self.env.…}: payloads are public)
};

/// Why `token` may not appear in `context`, or empty when it may.
std::string token_not_allowed(const TemplateToken& token, TemplateContext context);

}  // namespace ocx::metadata
