#include <doctest/doctest.h>

#include "registry/errors.hpp"

using namespace ocx;
using namespace ocx::registry;

TEST_CASE("error bodies become one line") {
    SUBCASE("distribution errors, several joined") {
        CHECK(
            describe_error_body(
                R"({"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid","detail":{}},{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})") ==
            "MANIFEST_INVALID: manifest invalid; BLOB_UNKNOWN: blob unknown to registry");
    }
    SUBCASE("code or message alone") {
        CHECK(describe_error_body(R"({"errors":[{"code":"DENIED"}]})") == "DENIED");
        CHECK(describe_error_body(R"({"errors":[{"message":"nope"}]})") == "nope");
    }
    SUBCASE("token server shapes") {
        CHECK(describe_error_body(R"({"details":"incorrect username or password"})") == "incorrect username or password");
        CHECK(describe_error_body(R"({"error":"invalid_grant","error_description":"expired"})") == "invalid_grant: expired");
    }
    SUBCASE("plain text: first line, capped") {
        CHECK(describe_error_body("\n  upstream connect error\nmore") == "upstream connect error");
        const std::string long_line(300, 'x');
        CHECK(describe_error_body(long_line) == std::string(200, 'x') + "…");
        CHECK(describe_error_body("").empty());
    }
}

TEST_CASE("error codes in a body") {
    const std::string body = R"({"errors":[{"code":"DIGEST_INVALID"},{"code":"MANIFEST_BLOB_UNKNOWN","message":"x"}]})";
    CHECK(has_error_code(body, "MANIFEST_BLOB_UNKNOWN"));
    CHECK(has_error_code(body, "DIGEST_INVALID"));
    CHECK_FALSE(has_error_code(body, "BLOB_UNKNOWN"));
    CHECK_FALSE(has_error_code("MANIFEST_BLOB_UNKNOWN", "MANIFEST_BLOB_UNKNOWN"));
    CHECK_FALSE(has_error_code(R"({"errors":"MANIFEST_BLOB_UNKNOWN"})", "MANIFEST_BLOB_UNKNOWN"));
    CHECK_FALSE(has_error_code("", "X"));
}

TEST_CASE("status classification") {
    CHECK(is_transient_status(408));
    CHECK(is_transient_status(429));
    CHECK(is_transient_status(500));
    CHECK(is_transient_status(503));
    CHECK_FALSE(is_transient_status(400));
    CHECK_FALSE(is_transient_status(404));
    CHECK(error_kind_for_status(401) == ErrorKind::auth);
    CHECK(error_kind_for_status(403) == ErrorKind::permission);
    CHECK(error_kind_for_status(404) == ErrorKind::not_found);
    CHECK(error_kind_for_status(502) == ErrorKind::transient);
    CHECK(error_kind_for_status(400) == ErrorKind::unavailable);
    CHECK(error_kind_for_status(405) == ErrorKind::unavailable);
}

TEST_CASE("http_error names action, status, registry code and message") {
    HttpResponse r;
    r.status = 400;
    r.body = R"({"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid"}]})";
    Error e = http_error("PUT manifest 127.0.0.1:5000/acme/tool:1.0", r);
    CHECK(e.kind == ErrorKind::unavailable);
    CHECK(e.message ==
          "PUT manifest 127.0.0.1:5000/acme/tool:1.0: HTTP 400 Bad Request: MANIFEST_INVALID: manifest invalid");

    HttpResponse empty;
    empty.status = 599;
    CHECK(http_error("GET x", empty).message == "GET x: HTTP 599");
    CHECK(http_error("GET x", empty).kind == ErrorKind::transient);
}
