#include <doctest/doctest.h>

#include "registry/url.hpp"

using namespace ocx::registry;

TEST_CASE("parse_url") {
    SUBCASE("scheme, authority, path and query") {
        auto u = parse_url("HTTPS://127.0.0.1:5000/v2/acme/tool/blobs/uploads/abc?_state=x#frag");
        REQUIRE(u);
        CHECK(u->scheme == "https");
        CHECK(u->authority == "127.0.0.1:5000");
        CHECK(u->path_query == "/v2/acme/tool/blobs/uploads/abc?_state=x");
    }
    SUBCASE("no path becomes /") {
        CHECK(parse_url("http://[::1]:5000")->path_query == "/");
        CHECK(parse_url("http://localhost?x=1")->path_query == "/?x=1");
    }
    SUBCASE("refused: other schemes, user-info, relative, empty host") {
        CHECK_FALSE(parse_url("ftp://host/x"));
        CHECK_FALSE(parse_url("https://user:pw@host/x"));
        CHECK_FALSE(parse_url("/v2/x"));
        CHECK_FALSE(parse_url("https:///x"));
    }
}

TEST_CASE("resolve_url: Location and Link references") {
    const std::string base = "http://127.0.0.1:5000/v2/acme/tool/blobs/uploads/?mount=x";
    SUBCASE("absolute Location is taken as is") {
        CHECK(resolve_url(base, "https://storage.example/upload/1?sig=abc") == "https://storage.example/upload/1?sig=abc");
    }
    SUBCASE("absolute path keeps scheme and authority") {
        CHECK(resolve_url(base, "/v2/acme/tool/blobs/uploads/u-1?_state=s") ==
              "http://127.0.0.1:5000/v2/acme/tool/blobs/uploads/u-1?_state=s");
    }
    SUBCASE("network-path reference takes the base scheme") {
        CHECK(resolve_url(base, "//other.example:8443/x") == "http://other.example:8443/x");
    }
    SUBCASE("relative path resolves against the base directory, dropping its query") {
        CHECK(resolve_url(base, "u-2") == "http://127.0.0.1:5000/v2/acme/tool/blobs/uploads/u-2");
        CHECK(resolve_url("http://h/v2/r/tags/list?n=1", "list?last=a&n=1") == "http://h/v2/r/tags/list?last=a&n=1");
    }
    SUBCASE("query-only reference replaces the query") {
        CHECK(resolve_url("http://h/v2/r/tags/list?n=1", "?last=b") == "http://h/v2/r/tags/list?last=b");
    }
    SUBCASE("a base that is not absolute yields nothing") { CHECK(resolve_url("/relative", "x").empty()); }
    SUBCASE("dot segments are removed (RFC 3986 §5.2.4)") {
        CHECK(resolve_url("http://h/v2/r/blobs/uploads/u-1", "../uploads/./u-3?_state=s") ==
              "http://h/v2/r/blobs/uploads/u-3?_state=s");
        CHECK(resolve_url("http://h/v2/r/blobs/uploads/", "/v2/other/../r/blobs/uploads/u-4") ==
              "http://h/v2/r/blobs/uploads/u-4");
        CHECK(resolve_url("http://h/a/b", "../../../c") == "http://h/c");
    }
    SUBCASE("only \"scheme://host\": no leniency about the slashes") {
        CHECK(resolve_url("https:///v2/", "x").empty());
        CHECK(resolve_url("http://h/v2/", "https:/other.example/x").empty());
        CHECK(resolve_url("http://h/v2/", "ftp://other.example/x").empty());
    }
}

TEST_CASE("append_query adds digest to locations with and without a query") {
    CHECK(append_query("http://h/v2/r/blobs/uploads/u", "digest", "sha256:ab") ==
          "http://h/v2/r/blobs/uploads/u?digest=sha256%3Aab");
    CHECK(append_query("http://h/v2/r/blobs/uploads/u?_state=s%3D", "digest", "sha256:ab") ==
          "http://h/v2/r/blobs/uploads/u?_state=s%3D&digest=sha256%3Aab");
    CHECK(append_query("http://h/x?", "n", "1") == "http://h/x?n=1");
}

TEST_CASE("same_origin compares scheme, host and port") {
    CHECK(same_origin("https://Reg.example/v2/", "https://reg.example:443/v2/x"));
    CHECK(same_origin("http://127.0.0.1:5000/a", "http://127.0.0.1:5000/b"));
    CHECK_FALSE(same_origin("http://127.0.0.1:5000/a", "http://127.0.0.1:5001/a"));
    CHECK_FALSE(same_origin("http://reg.example/a", "https://reg.example/a"));
    CHECK_FALSE(same_origin("https://reg.example/a", "https://storage.example/a"));
    CHECK_FALSE(same_origin("https://reg.example/a", "/a"));
}
