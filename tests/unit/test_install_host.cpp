#include <doctest/doctest.h>

#include <set>

#include "install/host.hpp"

using namespace ocx;
using namespace ocx::install;

namespace {
// An `exists` predicate over a fixed set of paths.
auto only(std::set<std::string> paths) {
    return [paths = std::move(paths)](const std::filesystem::path& p) { return paths.count(p.string()) != 0; };
}
std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}
}  // namespace

TEST_CASE("host: architecture names from uname") {
    CHECK(architecture_from_machine("x86_64") == "amd64");
    CHECK(architecture_from_machine("aarch64") == "arm64");
    CHECK(architecture_from_machine("arm64") == "arm64");
    CHECK(architecture_from_machine("riscv64") == "");
    CHECK(architecture_from_machine("i686") == "");
}

TEST_CASE("host: libc from the loaders on disk") {
    SUBCASE("Debian-style glibc on amd64") {
        CHECK(joined(detect_libc_features("amd64", only({"/lib64/ld-linux-x86-64.so.2"}))) == "libc.glibc");
        CHECK(joined(detect_libc_features("amd64", only({"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"}))) ==
              "libc.glibc");
    }
    SUBCASE("Alpine-style musl on arm64") {
        CHECK(joined(detect_libc_features("arm64", only({"/lib/ld-musl-aarch64.so.1"}))) == "libc.musl");
    }
    SUBCASE("both families installed: both features, sorted") {
        CHECK(joined(detect_libc_features("amd64", only({"/lib/ld-musl-x86_64.so.1", "/lib64/ld-linux-x86-64.so.2"}))) ==
              "libc.glibc,libc.musl");
    }
    SUBCASE("loaders of another architecture do not count") {
        CHECK(detect_libc_features("arm64", only({"/lib64/ld-linux-x86-64.so.2", "/lib/ld-musl-x86_64.so.1"})).empty());
    }
    SUBCASE("nothing found: no features") { CHECK(detect_libc_features("amd64", only({})).empty()); }
}

TEST_CASE("host: the requirement is -p when given, else the host") {
    auto explicit_p = required_platform("linux/arm64+libc.musl");
    REQUIRE(explicit_p.ok());
    CHECK(explicit_p->str() == "linux/arm64+libc.musl");
    auto bad = required_platform("linux/x86");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == ErrorKind::data);
    CHECK(bad.error().message.starts_with("-p: unknown platform \"linux/x86\" (did you mean \"linux/amd64\"?)"));
    auto host = required_platform("");
    REQUIRE(host.ok());
    CHECK(host->os == "linux");
    CHECK((host->architecture == "amd64" || host->architecture == "arm64"));
}
