#include <doctest/doctest.h>

#include "oci/platform.hpp"
#include "util/json.hpp"

using namespace ocx;
using namespace ocx::oci;

TEST_CASE("platform strings round trip") {
    for (std::string_view s : {"linux/amd64", "linux/arm64/v8", "darwin/arm64", "windows/amd64", "wasip1/wasm",
                               "wasip2/wasm", "any", "linux/amd64+libc.musl", "linux/amd64+a,b", "linux/arm64/v8+x%2By"}) {
        CAPTURE(s);
        auto p = Platform::parse(s);
        REQUIRE(p.ok());
        CHECK(p->str() == s);
    }
}

TEST_CASE("features are sorted and de-duplicated") {
    auto p = Platform::parse("linux/amd64+z,a,z");
    REQUIRE(p.ok());
    CHECK(p->features == std::vector<std::string>{"a", "z"});
    CHECK(p->str() == "linux/amd64+a,z");
}

TEST_CASE("percent escapes decode") {
    auto p = Platform::parse("linux/amd64+a%2Cb");
    REQUIRE(p.ok());
    CHECK(p->features == std::vector<std::string>{"a,b"});
    CHECK(p->str() == "linux/amd64+a%2Cb");
}

TEST_CASE("platform JSON key order") {
    CHECK(json::compact(Platform::parse("linux/arm64/v8+libc.musl")->to_json()) ==
          R"({"architecture":"arm64","os":"linux","os.features":["libc.musl"],"variant":"v8"})");
    CHECK(json::compact(Platform::parse("any")->to_json()) == R"({"architecture":"any","os":"any"})");
}

TEST_CASE("exact equality distinguishes libc features") {
    auto plain = *Platform::parse("linux/amd64");
    auto glibc = *Platform::parse("linux/amd64+libc.glibc");
    auto musl = *Platform::parse("linux/amd64+libc.musl");
    CHECK(plain != glibc);
    CHECK(glibc != musl);
    CHECK(musl == *Platform::parse("linux/amd64+libc.musl"));
}

TEST_CASE("platform rejections") {
    auto msg = [](std::string_view s) { return Platform::parse(s).error().message; };
    CHECK(msg("linux/x86") ==
          "unknown platform \"linux/x86\" (did you mean \"linux/amd64\"?); supported: linux/amd64, linux/arm64, "
          "darwin/amd64, darwin/arm64, windows/amd64, windows/arm64, wasip1/wasm, wasip2/wasm, any");
    CHECK(msg("") == "invalid platform \"\": empty; expected os/arch[/variant][+feature,…] or any");
    CHECK(msg("linux") == "invalid platform \"linux\": expected os/arch[/variant][+feature,…] or any");
    CHECK(msg("linux/amd64/v1/x") == "invalid platform \"linux/amd64/v1/x\": expected os/arch[/variant][+feature,…] or any");
    CHECK(msg("linux//amd64") == "invalid platform \"linux//amd64\": empty or non-printable component");
    CHECK(msg("linux/amd64+") == "invalid platform \"linux/amd64+\": empty feature list after '+'");
    CHECK(msg("linux/amd64+a,,b") == "invalid platform \"linux/amd64+a,,b\": empty or non-printable feature");
    CHECK(msg("linux/amd64+%zz") == "invalid platform \"linux/amd64+%zz\": malformed %-escape");
    CHECK(msg("any+libc.musl") == "invalid platform \"any+libc.musl\": \"any\" takes no variant or features");
    CHECK(Platform::parse("Linux/AMD64").error().kind == ErrorKind::data);
    CHECK(msg("linux/aarch64").find("(did you mean \"linux/arm64\"?)") != std::string::npos);
    CHECK(msg("macos/arm64").find("(did you mean \"darwin/arm64\"?)") != std::string::npos);
    CHECK(msg("linux/amd46").find("(did you mean \"linux/amd64\"?)") != std::string::npos);
    CHECK(msg("solaris/sparc").find("did you mean") == std::string::npos);
}

TEST_CASE("platform from registry JSON keeps foreign values") {
    auto v = json::parse(R"({"architecture":"ppc64le","os":"linux","os.version":"1","os.features":["b","a"]})", "t");
    REQUIRE(v.ok());
    auto p = Platform::from_json(v->as_object());
    REQUIRE(p.ok());
    CHECK(p->architecture == "ppc64le");
    CHECK(p->features == std::vector<std::string>{"a", "b"});
    CHECK(json::compact(p->to_json()) ==
          R"({"architecture":"ppc64le","os":"linux","os.version":"1","os.features":["a","b"]})");
}
