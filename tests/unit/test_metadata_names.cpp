// Name rules of package metadata (docs/wire-format.md §4).

#include <doctest/doctest.h>

#include <string>

#include "metadata/names.hpp"

using namespace ocx::metadata;

TEST_CASE("slugs") {
    CHECK(is_slug("cmake"));
    CHECK(is_slug("1abc"));
    CHECK(is_slug("a_1-2"));
    CHECK(is_slug(std::string(64, 'a')));
    CHECK_FALSE(is_slug(std::string(65, 'a')));
    CHECK_FALSE(is_slug(""));
    CHECK_FALSE(is_slug("-a"));
    CHECK_FALSE(is_slug("_a"));
    CHECK_FALSE(is_slug("Cmake"));
    CHECK_FALSE(is_slug("a.b"));
    CHECK_FALSE(is_slug("caf\xc3\xa9"));
    CHECK(check_slug("ok", "entrypoint name").empty());
    CHECK(check_slug("-x", "entrypoint name") ==
          "\"-x\" is not a valid entrypoint name: use lowercase letters, digits, '_' and '-', starting with a letter or "
          "digit");
}

TEST_CASE("env keys") {
    CHECK(is_env_key("PATH"));
    CHECK(is_env_key("_x1"));
    CHECK(is_env_key(std::string(256, 'K')));
    CHECK_FALSE(is_env_key(std::string(257, 'K')));
    CHECK_FALSE(is_env_key("1X"));
    CHECK_FALSE(is_env_key("A B"));
    CHECK_FALSE(is_env_key("A=B"));
    CHECK_FALSE(is_env_key(std::string("A\0B", 3)));
    CHECK(check_env_key(std::string(257, 'K')) ==
          "\"" + std::string(257, 'K') + "\" is not a valid variable name: longer than 256 characters");
}

TEST_CASE("binary names") {
    CHECK(check_binary_name("mytool").empty());
    CHECK(check_binary_name("python3.12").empty());
    CHECK(check_binary_name("g++").empty());
    CHECK(check_binary_name(std::string(255, 'b')).empty());
    CHECK(check_binary_name(std::string(256, 'b')) ==
          "\"" + std::string(256, 'b') + "\" is not a bare binary name: longer than 255 characters");
    CHECK(check_binary_name("a\tb") == "\"a\\tb\" is not a bare binary name: it contains whitespace");
    CHECK(check_binary_name("a\x7f") == "\"a\\u007f\" is not a bare binary name: use printable ASCII only");
    for (char c : std::string("/\\<>:\"|?*")) {
        std::string name = std::string("a") + c;
        CHECK_FALSE(check_binary_name(name).empty());
    }
    CHECK(check_binary_name("a|b") == "\"a|b\" is not a bare binary name: it contains '|' (a name, not a path)");
}

TEST_CASE("integration namespaces") {
    CHECK(check_namespace("com.example.tool").empty());
    CHECK(check_namespace("x/y").empty());
    CHECK(check_namespace("com.\xe5\xbe\xae\xe8\xbd\xaf").empty());  // non-ASCII is fine
    CHECK(check_namespace(std::string(128, 'n')).empty());
    CHECK(check_namespace(std::string(129, 'n')) ==
          "\"" + std::string(129, 'n') + "\" is not a valid integrations namespace: longer than 128 bytes");
    CHECK(check_namespace("a\nb") == "\"a\\nb\" is not a valid integrations namespace: it contains a control character");
    CHECK(check_namespace("a\x7f") == "\"a\\u007f\" is not a valid integrations namespace: it contains a control character");
}

TEST_CASE("quoting for messages") {
    CHECK(in_quotes("plain") == "\"plain\"");
    CHECK(in_quotes("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(in_quotes(std::string("\0\x1b", 2)) == "\"\\u0000\\u001b\"");
    CHECK(in_quotes("\xc2\x9b"
                    "31m") == "\"\\u009b31m\"");           // C1 CSI
    CHECK(in_quotes("caf\xc3\xa9") == "\"caf\xc3\xa9\"");  // other UTF-8 unchanged
}
