#include <doctest/doctest.h>

#include "util/result.hpp"

using namespace ocx;

TEST_CASE("exit codes follow OCX's taxonomy") {
    CHECK(exit_code(ErrorKind::usage) == 64);
    CHECK(exit_code(ErrorKind::data) == 65);
    CHECK(exit_code(ErrorKind::unavailable) == 69);
    CHECK(exit_code(ErrorKind::io) == 74);
    CHECK(exit_code(ErrorKind::transient) == 75);
    CHECK(exit_code(ErrorKind::permission) == 77);
    CHECK(exit_code(ErrorKind::not_found) == 79);
    CHECK(exit_code(ErrorKind::auth) == 80);
}

TEST_CASE("Result holds a value or an error") {
    Result<int> good = 42;
    REQUIRE(good.ok());
    CHECK(*good == 42);
    Result<int> bad = make_error(ErrorKind::data, "broken");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "broken");
    CHECK(bad.error().context("reading x").message == "reading x: broken");
    Status s;
    CHECK(s.ok());
    Status f = make_error(ErrorKind::io, "disk");
    CHECK_FALSE(f.ok());
    CHECK(f.error().kind == ErrorKind::io);
}
