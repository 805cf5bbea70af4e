#include <doctest/doctest.h>

#include <cstdlib>

#include "install/environment.hpp"
#include "test_bundle_support.hpp"

using namespace ocx;
using namespace ocx::install;
using ocx::bundle::test::TempDir;
using ocx::bundle::test::write_file;

TEST_CASE("environment: what an installed package sets, over a base") {
    TempDir tmp;
    write_file(tmp / "metadata.json",
               R"({"type":"bundle","version":1,"env":[)"
               R"({"key":"PATH","type":"path","required":true,"value":"${installPath}/bin","visibility":"public"},)"
               R"({"key":"TOOL_HOME","type":"constant","value":"${installPath}","visibility":"interface"},)"
               R"({"key":"TOOL_PRIVATE","type":"constant","value":"hidden","visibility":"private"},)"
               R"({"key":"FLAGS","type":"list","separator":" ","value":"-x","visibility":"public"}]})",
               0644);
    const std::string content = (tmp / "content").string();
    auto r = package_environment(tmp.path(), {{"PATH", "/usr/bin"}, {"FLAGS", "-O2"}, {"HOME", "/root"}});
    REQUIRE(r.ok());
    REQUIRE(r->size() == 3);
    CHECK((*r)[0] == metadata::EnvChange{"PATH", content + "/bin:/usr/bin"});
    CHECK((*r)[1] == metadata::EnvChange{"TOOL_HOME", content});
    CHECK((*r)[2] == metadata::EnvChange{"FLAGS", "-O2 -x"});
}

TEST_CASE("environment: not an installed package") {
    TempDir tmp;
    auto r = package_environment(tmp.path(), {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::not_found);
}

TEST_CASE("environment: this process's variables") {
    ::setenv("OCX_INSTALL_TEST_VAR", "a=b", 1);
    auto env = process_environment();
    CHECK(env.at("OCX_INSTALL_TEST_VAR") == "a=b");
    ::unsetenv("OCX_INSTALL_TEST_VAR");
}
