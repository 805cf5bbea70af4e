#include <doctest/doctest.h>

#include "bundle/names.hpp"

using namespace ocx::bundle;

TEST_CASE("is_valid_utf8") {
    SUBCASE("accepts ASCII and well-formed multi-byte sequences") {
        CHECK(is_valid_utf8(""));
        CHECK(is_valid_utf8("bin/mytool"));
        CHECK(is_valid_utf8("d\xC3\xA9j\xC3\xA0"));  // déjà
        CHECK(is_valid_utf8("\xE2\x82\xAC"));        // U+20AC
        CHECK(is_valid_utf8("\xF0\x9F\x93\xA6"));    // U+1F4E6
        CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));    // U+10FFFF
    }
    SUBCASE("refuses malformed sequences") {
        CHECK_FALSE(is_valid_utf8("caf\xE9"));               // Latin-1
        CHECK_FALSE(is_valid_utf8("\xC0\xAF"));              // overlong '/'
        CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));          // overlong
        CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));          // surrogate U+D800
        CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));      // above U+10FFFF
        CHECK_FALSE(is_valid_utf8("\xE2\x82"));              // truncated
        CHECK_FALSE(is_valid_utf8("\x80"));                  // lone continuation
        CHECK_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));  // 5-byte form
    }
}

TEST_CASE("quote_name") {
    CHECK(quote_name("bin/tool") == "\"bin/tool\"");
    CHECK(quote_name("d\xC3\xA9j\xC3\xA0") == "\"d\xC3\xA9j\xC3\xA0\"");
    CHECK(quote_name("caf\xE9") == "\"caf\\xE9\"");
    CHECK(quote_name("a\nb\x7F") == "\"a\\x0Ab\\x7F\"");
    CHECK(quote_name("say \"hi\"\\") == "\"say \\\"hi\\\"\\\\\"");
}
