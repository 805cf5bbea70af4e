// Template scanner (docs/wire-format.md §4). One pass, left to right; at each position the first rule
// that matches wins and its bytes are never looked at again:
//   1. `$${`            -> literal "${"
//   2. `${` … first `}` -> a token, which must be one of the four bodies (else an error)
//   3. `${` with no `}` -> error (unterminated)
//   4. anything else    -> literal
// Because output is never rescanned, text that came from a substitution can never become a token.

#include "metadata/template.hpp"

#include <array>

#include "metadata/names.hpp"
#include "util/json.hpp"

namespace ocx::metadata {

namespace {

constexpr std::string_view kHint = " (write $${ for a literal ${)";

Error template_error(std::string message) { return make_error(ErrorKind::data, std::move(message)); }

Error unknown_token(std::string_view text, std::string_view base) {
    std::string msg = "unknown template " + in_quotes(text) +
                      "; expected ${installPath}, ${self.installPath}, ${self.env.KEY} or "
                      "${deps.NAME.installPath}";
    static constexpr std::array<std::string_view, 2> kNear{"installPath", "self.installPath"};
    if (auto hint = json::closest(base, kNear); !hint.empty()) msg += "; did you mean \"${" + hint + "}\"?";
    return template_error(msg + std::string(kHint));
}

// Parses one token body (between `${` and `}`); `text` is the whole token for messages.
Result<TemplateToken> parse_token(std::string_view text, std::string_view body) {
    TemplateToken token;
    token.text = std::string(text);
    std::string_view base = body;
    std::optional<std::string_view> suffix;
    if (auto colon = body.find(':'); colon != std::string_view::npos) {
        base = body.substr(0, colon);
        suffix = body.substr(colon + 1);
    }

    constexpr std::string_view kSelfEnv = "self.env.";
    constexpr std::string_view kDeps = "deps.";
    constexpr std::string_view kDepsLeaf = ".installPath";
    if (base == "installPath" || base == "self.installPath") {
        token.kind = TemplateToken::Kind::install_path;
    } else if (base.starts_with(kSelfEnv) && is_env_key(base.substr(kSelfEnv.size()))) {
        token.kind = TemplateToken::Kind::self_env;
        token.name = std::string(base.substr(kSelfEnv.size()));
    } else if (base.starts_with(kDeps) && base.ends_with(kDepsLeaf) && base.size() > kDeps.size() + kDepsLeaf.size() &&
               is_slug(base.substr(kDeps.size(), base.size() - kDeps.size() - kDepsLeaf.size()))) {
        token.kind = TemplateToken::Kind::dependency;
        token.name = std::string(base.substr(kDeps.size(), base.size() - kDeps.size() - kDepsLeaf.size()));
    } else {
        return unknown_token(text, base);
    }

    if (suffix) {
        if (token.kind == TemplateToken::Kind::self_env)
            return template_error(in_quotes(text) + ": a :native or :posix modifier applies only to " +
                                  "install-path tokens");
        if (*suffix == "native")
            token.modifier = TemplateToken::Modifier::native;
        else if (*suffix == "posix")
            token.modifier = TemplateToken::Modifier::posix;
        else
            return template_error("unknown modifier " + in_quotes(":" + std::string(*suffix)) + " in " + in_quotes(text) +
                                  "; expected :native or :posix");
    }
    return token;
}

}  // namespace

Result<std::vector<TemplateSegment>> scan_template(std::string_view text) {
    std::vector<TemplateSegment> out;
    std::string literal;
    auto flush = [&] {
        if (!literal.empty()) out.push_back(TemplateSegment{std::move(literal), std::nullopt});
        literal.clear();
    };
    std::size_t i = 0;
    while (i < text.size()) {
        std::string_view rest = text.substr(i);
        if (rest.starts_with("$${")) {
            literal += "${";
            i += 3;
            continue;
        }
        if (rest.starts_with("${")) {
            auto close = rest.find('}', 2);
            if (close == std::string_view::npos)
                return template_error("unterminated template " + in_quotes(rest) + std::string(kHint));
            auto token = parse_token(rest.substr(0, close + 1), rest.substr(2, close - 2));
            if (!token) return std::move(token).error();
            flush();
            out.push_back(TemplateSegment{{}, std::move(*token)});
            i += close + 1;
            continue;
        }
        literal += text[i];
        ++i;
    }
    flush();
    return out;
}

std::string token_not_allowed(const TemplateToken& token, TemplateContext context) {
    using Kind = TemplateToken::Kind;
    switch (context) {
        case TemplateContext::env_value: return {};
        case TemplateContext::entrypoint_arg:
            if (token.kind == Kind::install_path) return {};
            return in_quotes(token.text) + " is not allowed in entrypoint args; only ${installPath} and " +
                   "${self.installPath} are";
        case TemplateContext::integration:
            if (token.kind != Kind::self_env) return {};
            return in_quotes(token.text) + " is not allowed in integrations; only ${installPath}, " +
                   "${self.installPath} and ${deps.NAME.installPath} are";
    }
    return {};
}

}  // namespace ocx::metadata
