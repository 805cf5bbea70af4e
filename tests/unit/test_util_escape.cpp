#include <doctest/doctest.h>

#include <string>

#include "util/escape.hpp"

using namespace ocx;

namespace {
// True when some line of `text` would be read by GitHub's runner as a workflow command.
bool has_command_line(const std::string& text) {
    std::size_t start = 0;
    for (;;) {
        std::size_t i = start;
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
        if (text.compare(i, 2, "::") == 0 || text.compare(i, 3, "##[") == 0) return true;
        const std::size_t nl = text.find('\n', start);
        if (nl == std::string::npos) return false;
        start = nl + 1;
    }
}
}  // namespace

TEST_CASE("escape_text: one safe line out of outside text") {
    CHECK(escape_text("blob unknown to registry") == "blob unknown to registry");
    CHECK(escape_text("x\n::error::forged") == "x\\n::error::forged");
    CHECK(escape_text("a\r\tb") == "a\\r\\tb");
    CHECK(escape_text("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
    CHECK(escape_text(std::string("nul\0byte", 8)) == "nul\\x00byte");
    CHECK(escape_text("del\x7f") == "del\\x7f");
    CHECK(escape_text("back\\slash") == "back\\\\slash");
    // UTF-8 is kept; invalid bytes, C1 controls and bidi overrides are not.
    CHECK(escape_text("caf\xc3\xa9 \xe2\x9c\x93") == "caf\xc3\xa9 \xe2\x9c\x93");
    CHECK(escape_text("bad\xff\xc3") == "bad\\xff\\xc3");
    CHECK(escape_text("\xc2\x9b"
                      "31m") == "\\u{9b}31m");
    CHECK(escape_text("\xe2\x80\xae"
                      "cod") == "\\u{202e}cod");
    CHECK(escape_text("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a UTF-16 surrogate is not UTF-8
    CHECK(escape_text("\xc0\xaf") == "\\xc0\\xaf");           // nor is an overlong form
    // Text that would start a workflow command on its own line.
    CHECK(escape_text("::error::forged") == "\\x3a:error::forged");
    CHECK(escape_text("  ::warning::x") == "  \\x3a:warning::x");
    CHECK(escape_text("##[error]x") == "\\x23#[error]x");
    CHECK(escape_text("a ::b") == "a ::b");
}

TEST_CASE("escape_text: bounded, never cutting a character") {
    CHECK(escape_text(std::string(2000, 'a')).size() == 1024 + std::string("…").size());
    CHECK(escape_text("abcdef", 3) == "abc…");
    CHECK(escape_text("ab\xc3\xa9", 3) == "ab…");
    CHECK(escape_text("abc", 3) == "abc");
}

TEST_CASE("escape_message: our own lines kept, no line a workflow command") {
    CHECK(escape_message("release.json:/tag: bad\n  release.json:/platforms: bad") ==
          "release.json:/tag: bad\n  release.json:/platforms: bad");
    const std::string forged = escape_message("PUT manifest: HTTP 400: x\n::error::forged\n ::add-mask::y\r\n##[group]z");
    CHECK(forged == "PUT manifest: HTTP 400: x\n\\x3a:error::forged\n \\x3a:add-mask::y\\r\n\\x23#[group]z");
    CHECK_FALSE(has_command_line(forged));
    CHECK(escape_message("tab\tkept, bell\a not") == "tab\tkept, bell\\x07 not");
    CHECK(escape_message("::stop-commands::x") == "\\x3a:stop-commands::x");
}
