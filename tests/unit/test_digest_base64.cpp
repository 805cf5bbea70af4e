#include <doctest/doctest.h>

#include "digest/base64.hpp"

using namespace ocx;

TEST_CASE("base64 round trips (RFC 4648 test vectors)") {
    const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; ++i) {
        CHECK(base64_encode(plain[i]) == coded[i]);
        CHECK(base64_decode(coded[i]) == std::string(plain[i]));
    }
    CHECK(base64_encode(std::string("\xff\x00\x10", 3)) == "/wAQ");
}

TEST_CASE("base64_decode tolerates missing padding and whitespace, refuses junk") {
    CHECK(base64_decode("dXNlcjpwYXNz") == std::string("user:pass"));
    CHECK(base64_decode(" Zm8\n") == std::string("fo"));
    CHECK_FALSE(base64_decode("Zm9v!"));
    CHECK_FALSE(base64_decode("Z"));
}

TEST_CASE("base64 of a long secret is one line and round trips (OpenSSL's encoder breaks no lines)") {
    std::string secret;
    for (int i = 0; i < 301; ++i) secret += static_cast<char>(i % 256);  // 301 % 3 == 1: "==" at the end
    const std::string coded = base64_encode(secret);
    CHECK(coded.find('\n') == std::string::npos);
    CHECK(coded.size() == (secret.size() + 2) / 3 * 4);
    CHECK(base64_decode(coded) == secret);
    REQUIRE(coded.size() - coded.find('=') == 2);
    CHECK(base64_decode(coded.substr(0, coded.find('='))) == secret);  // its padding left off
}

TEST_CASE("base64_decode refuses padding inside the text") {
    CHECK_FALSE(base64_decode("Zg==Zg=="));
    CHECK_FALSE(base64_decode("Zm 9v"));
}
