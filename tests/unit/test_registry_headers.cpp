#include <doctest/doctest.h>

#include "registry/headers.hpp"

using namespace ocx::registry;
using std::chrono::milliseconds;

TEST_CASE("WWW-Authenticate challenges") {
    SUBCASE("Bearer with a scope holding commas and colons") {
        auto c = parse_challenges(
            R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:acme/tool:pull,push")");
        REQUIRE(c.size() == 1);
        CHECK(c[0].scheme == "bearer");
        CHECK(c[0].param("realm") == "https://auth.example/token");
        CHECK(c[0].param("service") == "registry.example");
        CHECK(c[0].param("scope") == "repository:acme/tool:pull,push");
        CHECK(c[0].param("error").empty());
    }
    SUBCASE("case-insensitive scheme and keys, spaces around '=', escapes in quotes") {
        auto c = parse_challenges(R"(BEARER Realm = "http://127.0.0.1:1/t" , Error="insufficient_scope",x="a\"b,c")");
        REQUIRE(c.size() == 1);
        CHECK(c[0].param("realm") == "http://127.0.0.1:1/t");
        CHECK(c[0].param("error") == "insufficient_scope");
        CHECK(c[0].param("x") == "a\"b,c");
    }
    SUBCASE("several challenges in one header") {
        auto c = parse_challenges(R"(Basic realm="Registry Realm", Bearer realm="https://a/t",service=s)");
        REQUIRE(c.size() == 2);
        CHECK(c[0].scheme == "basic");
        CHECK(c[0].param("realm") == "Registry Realm");
        CHECK(c[1].scheme == "bearer");
        CHECK(c[1].param("realm") == "https://a/t");
        CHECK(c[1].param("service") == "s");
    }
    SUBCASE("unquoted token values and token68") {
        auto c = parse_challenges("Negotiate abc123==, Basic realm=reg");
        REQUIRE(c.size() == 2);
        CHECK(c[0].scheme == "negotiate");
        CHECK(c[0].params.empty());
        CHECK(c[1].param("realm") == "reg");
    }
    SUBCASE("empty and bare scheme") {
        CHECK(parse_challenges("").empty());
        auto c = parse_challenges("Basic");
        REQUIRE(c.size() == 1);
        CHECK(c[0].scheme == "basic");
    }
}

TEST_CASE("Link header: rel=next") {
    CHECK(parse_link_next(R"(</v2/acme/tool/tags/list?last=b&n=2>; rel="next")") == "/v2/acme/tool/tags/list?last=b&n=2");
    CHECK(parse_link_next(R"(<https://h/x?a=1>; rel=next)") == "https://h/x?a=1");
    CHECK(parse_link_next(R"(</prev>; rel="prev", </next?n=1>; title="x, y"; rel="last next")") == "/next?n=1");
    CHECK_FALSE(parse_link_next(R"(</prev>; rel="prev")"));
    CHECK_FALSE(parse_link_next(""));
    CHECK_FALSE(parse_link_next("garbage"));
}

TEST_CASE("Retry-After") {
    const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
    CHECK(parse_retry_after("120", now) == milliseconds(120'000));
    CHECK(parse_retry_after(" 0 ", now) == milliseconds(0));
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now) == milliseconds(30'000));
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now) == milliseconds(0));  // in the past
    CHECK_FALSE(parse_retry_after("soon", now));
    CHECK_FALSE(parse_retry_after("-5", now));
    CHECK_FALSE(parse_retry_after("", now));
}

TEST_CASE("media_type_of drops parameters") {
    CHECK(media_type_of("application/vnd.oci.image.index.v1+json; charset=utf-8") ==
          "application/vnd.oci.image.index.v1+json");
    CHECK(media_type_of(" application/json ") == "application/json");
    CHECK(media_type_of("").empty());
}
