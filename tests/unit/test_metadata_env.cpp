// Consumer-side env resolution (docs/wire-format.md §4, `env[]`; semantics in metadata/env.hpp).

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "metadata/env.hpp"

using namespace ocx;
using metadata::EnvChange;
using metadata::Surface;

namespace {

const std::string kInstall = "/opt/pkgs/mytool";
const std::map<std::string, std::string> kBase{{"PATH", "/usr/bin:/bin"}, {"HOME", "/home/u"}};

metadata::Metadata meta(std::string_view members) {
    auto r = metadata::parse("{\"type\":\"bundle\",\"version\":1," + std::string(members) + "}", "m.json");
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    return *r;
}

std::vector<EnvChange> resolve(std::string_view members, Surface surface = Surface::consumer,
                               const std::map<std::string, std::string>& base = kBase) {
    auto r = metadata::resolve_env(meta(members), kInstall, base, surface);
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    return *r;
}

Error failure(std::string_view members, Surface surface = Surface::consumer) {
    auto r = metadata::resolve_env(meta(members), kInstall, kBase, surface);
    REQUIRE_FALSE(r.ok());
    return r.error();
}

}  // namespace

TEST_CASE("env: the worked example prepends the package's bin to PATH") {
    auto changes = resolve(
        R"("env":[{"key":"PATH","type":"path","required":true,"value":"${installPath}/bin","visibility":"public"}])");
    CHECK(changes == std::vector<EnvChange>{{"PATH", "/opt/pkgs/mytool/bin:/usr/bin:/bin"}});
    CHECK(metadata::format_exports(changes) == "export PATH='/opt/pkgs/mytool/bin:/usr/bin:/bin'\n");
}

TEST_CASE("env: path, constant and list") {
    auto changes = resolve(R"("env":[
        {"key":"HOME","type":"constant","value":"${installPath}/home","visibility":"public"},
        {"key":"OPTS","type":"list","separator":" ","value":"-a","visibility":"public"},
        {"key":"OPTS","type":"list","separator":" ","value":"-b","visibility":"public"},
        {"key":"MANPATH","type":"path","value":"share/man","visibility":"public"},
        {"key":"PATH","type":"path","value":"${installPath}/bin","visibility":"public"},
        {"key":"PATH","type":"path","value":"${installPath:posix}/sbin","visibility":"public"}])");
    CHECK(changes == std::vector<EnvChange>{
                         {"HOME", "/opt/pkgs/mytool/home"},          // constant replaces
                         {"OPTS", "-a -b"},                          // list appends
                         {"MANPATH", "/opt/pkgs/mytool/share/man"},  // relative path under install
                         {"PATH", "/opt/pkgs/mytool/sbin:/opt/pkgs/mytool/bin:/usr/bin:/bin"},  // later prepends first
                     });
    SUBCASE("a list appends to an inherited value with its separator") {
        auto c = resolve(R"("env":[{"key":"FLAGS","type":"list","separator":",","value":"x","visibility":"public"}])",
                         Surface::consumer, {{"FLAGS", "a,b"}});
        CHECK(c == std::vector<EnvChange>{{"FLAGS", "a,b,x"}});
    }
    SUBCASE("an empty inherited value gets no stray separator") {
        auto c = resolve(R"("env":[{"key":"PATH","type":"path","value":"/x","visibility":"public"}])", Surface::consumer,
                         {{"PATH", ""}});
        CHECK(c == std::vector<EnvChange>{{"PATH", "/x"}});
    }
}

TEST_CASE("env: visibility decides what reaches each surface") {
    const char* env = R"("env":[
        {"key":"PRIV","type":"constant","value":"p"},
        {"key":"PUB","type":"constant","value":"b","visibility":"public"},
        {"key":"IFACE","type":"constant","value":"i","visibility":"interface"}])";
    CHECK(resolve(env, Surface::consumer) == std::vector<EnvChange>{{"PUB", "b"}, {"IFACE", "i"}});
    CHECK(resolve(env, Surface::self) == std::vector<EnvChange>{{"PRIV", "p"}, {"PUB", "b"}});
}

TEST_CASE("env: ${self.env.KEY} is the package's own value so far") {
    SUBCASE("a visible entry builds on a hidden one") {
        auto c = resolve(R"("env":[
            {"key":"JAVA_HOME","type":"constant","value":"${installPath}/jdk"},
            {"key":"PATH","type":"path","value":"${self.env.JAVA_HOME}/bin","visibility":"public"}])");
        CHECK(c == std::vector<EnvChange>{{"PATH", "/opt/pkgs/mytool/jdk/bin:/usr/bin:/bin"}});
    }
    SUBCASE("without the inherited base value") {
        auto c = resolve(R"("env":[
            {"key":"PATH","type":"path","value":"${installPath}/bin","visibility":"public"},
            {"key":"PATH","type":"path","value":"${installPath}/sbin","visibility":"public"},
            {"key":"MY_PATH","type":"constant","value":"${self.env.PATH}","visibility":"public"}])");
        CHECK(c == std::vector<EnvChange>{{"PATH", "/opt/pkgs/mytool/sbin:/opt/pkgs/mytool/bin:/usr/bin:/bin"},
                                          {"MY_PATH", "/opt/pkgs/mytool/sbin:/opt/pkgs/mytool/bin"}});
    }
    SUBCASE("substituted text is never rescanned; $${ is a literal ${") {
        auto c = resolve(R"("env":[
            {"key":"A","type":"constant","value":"$${installPath}"},
            {"key":"B","type":"constant","value":"${self.env.A}|$${x}","visibility":"public"}])");
        CHECK(c == std::vector<EnvChange>{{"B", "${installPath}|${x}"}});
    }
}

TEST_CASE("env: unchanged values are not reported") {
    auto c = resolve(R"("env":[
        {"key":"HOME","type":"constant","value":"/home/u","visibility":"public"},
        {"key":"NEW","type":"constant","value":"","visibility":"public"}])");
    CHECK(c == std::vector<EnvChange>{{"NEW", ""}});
}

TEST_CASE("env: dependencies are not installed by ocx-release") {
    const std::string deps =
        R"("dependencies":[{"identifier":"registry.example/acme/python:3.12@sha256:)" + std::string(64, '1') + R"("}],)";
    SUBCASE("a visible entry that needs one is an error naming it") {
        auto e = failure(
            deps +
            R"("env":[{"key":"PYTHONHOME","type":"constant","value":"${deps.python.installPath}","visibility":"public"}])");
        CHECK(e.kind == ErrorKind::not_found);
        CHECK(e.message ==
              "env PYTHONHOME (/env/0): \"${deps.python.installPath}\" needs dependency \"python\" "
              "(registry.example/acme/python:3.12@sha256:" +
                  std::string(64, '1') + ") installed; ocx-release does not install dependencies");
    }
    SUBCASE("a hidden one is skipped") {
        auto c = resolve(deps + R"("env":[{"key":"PYTHONHOME","type":"constant","value":"${deps.python.installPath}"},
            {"key":"X","type":"constant","value":"x","visibility":"public"}])");
        CHECK(c == std::vector<EnvChange>{{"X", "x"}});
    }
    SUBCASE("…unless a visible entry builds on it") {
        auto e = failure(deps + R"("env":[{"key":"PYTHONHOME","type":"constant","value":"${deps.python.installPath}"},
            {"key":"PY","type":"constant","value":"${self.env.PYTHONHOME}/bin/python3","visibility":"public"}])");
        CHECK(e.kind == ErrorKind::not_found);
        CHECK(e.message.starts_with("env PYTHONHOME (/env/0): \"${deps.python.installPath}\" needs dependency \"python\""));
    }
    SUBCASE("a later constant replaces the unknown value") {
        auto c = resolve(deps + R"("env":[{"key":"P","type":"constant","value":"${deps.python.installPath}"},
            {"key":"P","type":"constant","value":"fixed"},
            {"key":"Q","type":"constant","value":"${self.env.P}","visibility":"public"}])");
        CHECK(c == std::vector<EnvChange>{{"Q", "fixed"}});
    }
}

TEST_CASE("env: a list value edged by its separator once resolved is refused") {
    auto e =
        failure(R"("env":[{"key":"DIRS","type":"list","separator":"/","value":"${installPath}","visibility":"public"}])");
    CHECK(e.kind == ErrorKind::data);
    CHECK(e.message == "env DIRS (/env/0): value \"/opt/pkgs/mytool\" starts or ends with its separator \"/\"");
}

TEST_CASE("env: hand-built metadata with a bad template is refused") {
    metadata::Metadata m;
    metadata::EnvVar v;
    v.key = "X";
    v.value = "${nope}";
    v.visibility = metadata::EnvVar::Visibility::public_;
    m.env.push_back(v);
    auto r = metadata::resolve_env(m, kInstall, {}, Surface::consumer);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::data);
    CHECK(r.error().message.starts_with("env X (/env/0): unknown template \"${nope}\""));
    m.env[0].value = "${self.env.Y}";
    auto r2 = metadata::resolve_env(m, kInstall, {}, Surface::consumer);
    REQUIRE_FALSE(r2.ok());
    CHECK(r2.error().message == "env X (/env/0): \"${self.env.Y}\" names Y, which no earlier env entry declares");
}

TEST_CASE("env: export lines quote safely") {
    CHECK(metadata::shell_quote("") == "''");
    CHECK(metadata::shell_quote("it's") == "'it'\\''s'");
    CHECK(metadata::shell_quote("$(rm -rf /) `x` \"y\" \\n") == "'$(rm -rf /) `x` \"y\" \\n'");
    CHECK(metadata::format_exports({{"A", "1"}, {"B", "x'y\nz"}}) == "export A='1'\nexport B='x'\\''y\nz'\n");
}
