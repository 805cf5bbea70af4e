#include <doctest/doctest.h>

#include "registry/base64.hpp"

using namespace ocx::registry;

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
