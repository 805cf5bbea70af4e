#include <doctest/doctest.h>

#include "util/json.hpp"

using namespace ocx;

namespace {
std::string error_of(std::string_view text) {
    auto r = json::parse(text, "m.json");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::data);
    return r.error().message;
}
}  // namespace

// Positions are line:column of the repeated key's closing quote.
TEST_CASE("json::parse refuses a key repeated within one object, naming where") {
    CHECK(error_of(R"({"a": 1, "a": 2})") == "m.json:1:12: /a: the key appears twice in its object");
    CHECK(error_of("{\"p\": [{\"x\": 1}, {\"y\": [1, {\"z\": 0, \"z\": 0}]}]}") ==
          "m.json:1:39: /p/1/y/1/z: the key appears twice in its object");
    CHECK(error_of("{\n  \"a\": 1,\n  \"a\": 2\n}") == "m.json:3:5: /a: the key appears twice in its object");
    // Keys are compared after unescaping; '/' and '~' are escaped in the pointer.
    CHECK(error_of(R"({"a/b~": {"k": 1, "\u006b": 2}})") == "m.json:1:26: /a~1b~0/k: the key appears twice in its object");
}

TEST_CASE("json::parse keeps equal keys in different objects and arrays of objects") {
    auto r = json::parse(R"({"a": {"k": 1}, "b": {"k": 2}, "l": [{"k": 1}, {"k": 2}], "k": [1, 1]})", "m.json");
    REQUIRE(r.ok());
    CHECK(r->at("l").as_array().size() == 2);
    CHECK(json::compact(*r) == R"({"a":{"k":1},"b":{"k":2},"l":[{"k":1},{"k":2}],"k":[1,1]})");
}

TEST_CASE("json::parse reports syntax errors with line and column") {
    CHECK(error_of("{\n  \"a\": tru\n}") == "m.json:2:8: invalid JSON: syntax error");
    CHECK(error_of("") == "m.json:1:1: invalid JSON: incomplete JSON");
    auto deep = json::parse("[[[1]]]", "m.json", 2);
    REQUIRE_FALSE(deep.ok());
    CHECK(deep.error().message == "m.json:1:3: invalid JSON: nesting deeper than 2 levels");
}

TEST_CASE("a key from the document is shown escaped, in its path and in the message") {
    auto doc = json::parse("{\"ok\": 1, \"bad\\n::error::x\\u001b[0m\": 2}", "m.json");
    REQUIRE(doc.ok());
    json::Diagnostics diag;
    json::ObjectReader r(*doc, "", diag);
    const std::string_view known[] = {"ok"};
    r.reject_unknown(known);
    CHECK(diag.items() == std::vector<std::string>{"/bad\\n::error::x\\x1b[0m: unknown key \"bad\\n::error::x\\x1b[0m\""});
    CHECK(json::child_path("/a", "x/y~z") == "/a/x~1y~0z");
}
