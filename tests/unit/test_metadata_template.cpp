// Template scanner (docs/wire-format.md §4, "Value templates").

#include <doctest/doctest.h>

#include <string>

#include "metadata/template.hpp"

using namespace ocx;
using metadata::TemplateContext;
using metadata::TemplateSegment;
using metadata::TemplateToken;

namespace {

// Segments as text: literals as they are, tokens as <kind:name:modifier>.
std::string show(std::string_view text) {
    auto r = metadata::scan_template(text);
    if (!r) return "error: " + r.error().message;
    std::string out;
    for (const auto& s : *r) {
        if (!s.token) {
            out += "[" + s.literal + "]";
            continue;
        }
        const char* kinds[] = {"install", "env", "dep"};
        const char* mods[] = {"", ":native", ":posix"};
        out += "<" + std::string(kinds[static_cast<int>(s.token->kind)]) + ":" + s.token->name +
               mods[static_cast<int>(s.token->modifier)] + ">";
    }
    return out;
}

TemplateToken token_of(std::string_view text) {
    auto r = metadata::scan_template(text);
    REQUIRE(r.ok());
    REQUIRE(r->size() == 1);
    REQUIRE(r->front().token.has_value());
    return *r->front().token;
}

}  // namespace

TEST_CASE("template scanning") {
    CHECK(show("") == "");
    CHECK(show("plain") == "[plain]");
    CHECK(show("${installPath}/bin") == "<install:>[/bin]");
    CHECK(show("${self.installPath:posix}") == "<install::posix>");
    CHECK(show("${installPath:native}") == "<install::native>");
    CHECK(show("a${self.env.JAVA_HOME}b") == "[a]<env:JAVA_HOME>[b]");
    CHECK(show("${deps.my-dep_2.installPath:posix}/x") == "<dep:my-dep_2:posix>[/x]");
    SUBCASE("escapes") {
        CHECK(show("$${installPath}") == "[${installPath}]");
        CHECK(show("$${") == "[${]");
        CHECK(show("$$${installPath}") == "[$${installPath}]");  // '$' then the escape: never rescanned
        CHECK(show("$HOME $ {x} $$") == "[$HOME $ {x} $$]");
        CHECK(show("a}b") == "[a}b]");
    }
    SUBCASE("the token text is kept for messages") {
        CHECK(token_of("${installPath:posix}").text == "${installPath:posix}");
    }
}

TEST_CASE("template errors name the token") {
    const std::string expected_tokens =
        "; expected ${installPath}, ${self.installPath}, ${self.env.KEY} or ${deps.NAME.installPath}";
    const std::string hint = " (write $${ for a literal ${)";
    CHECK(show("${}") == "error: unknown template \"${}\"" + expected_tokens + hint);
    CHECK(show("x${HOME}") == "error: unknown template \"${HOME}\"" + expected_tokens + hint);
    CHECK(show("${self.installpath}") == "error: unknown template \"${self.installpath}\"" + expected_tokens +
                                             "; did you mean \"${self.installPath}\"?" + hint);
    CHECK(show("${installPath.x}") ==
          "error: unknown template \"${installPath.x}\"" + expected_tokens + "; did you mean \"${installPath}\"?" + hint);
    CHECK(show("${deps.cmake.version}") == "error: unknown template \"${deps.cmake.version}\"" + expected_tokens + hint);
    CHECK(show("${deps.CMake.installPath}") ==
          "error: unknown template \"${deps.CMake.installPath}\"" + expected_tokens + hint);
    CHECK(show("${self.env.1X}") == "error: unknown template \"${self.env.1X}\"" + expected_tokens + hint);
    CHECK(show("${self.env.}") == "error: unknown template \"${self.env.}\"" + expected_tokens + hint);
    CHECK(show("ok ${installPath") == "error: unterminated template \"${installPath\"" + hint);
    CHECK(show("${installPath:}") == "error: unknown modifier \":\" in \"${installPath:}\"; expected :native or :posix");
    CHECK(show("${self.env.A:native}") ==
          "error: \"${self.env.A:native}\": a :native or :posix modifier applies only to install-path tokens");
    auto r = metadata::scan_template("${x}");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::data);
}

TEST_CASE("template tokens allowed per context") {
    auto install = token_of("${installPath}");
    auto env = token_of("${self.env.A}");
    auto dep = token_of("${deps.a.installPath}");
    CHECK(metadata::token_not_allowed(install, TemplateContext::env_value).empty());
    CHECK(metadata::token_not_allowed(env, TemplateContext::env_value).empty());
    CHECK(metadata::token_not_allowed(dep, TemplateContext::env_value).empty());
    CHECK(metadata::token_not_allowed(install, TemplateContext::entrypoint_arg).empty());
    CHECK(metadata::token_not_allowed(env, TemplateContext::entrypoint_arg) ==
          "\"${self.env.A}\" is not allowed in entrypoint args; only ${installPath} and ${self.installPath} are");
    CHECK(metadata::token_not_allowed(dep, TemplateContext::entrypoint_arg) ==
          "\"${deps.a.installPath}\" is not allowed in entrypoint args; only ${installPath} and ${self.installPath} are");
    CHECK(metadata::token_not_allowed(install, TemplateContext::integration).empty());
    CHECK(metadata::token_not_allowed(dep, TemplateContext::integration).empty());
    CHECK(metadata::token_not_allowed(env, TemplateContext::integration) ==
          "\"${self.env.A}\" is not allowed in integrations; only ${installPath}, ${self.installPath} and "
          "${deps.NAME.installPath} are");
}
