#include "util/escape.hpp"

#include <cstdint>

namespace ocx {

namespace {

enum class Newlines { escape, keep };

void append_hex_byte(std::string& out, unsigned char byte) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
}

void append_code_point(std::string& out, std::uint32_t cp) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string digits;
    do {
        digits.insert(digits.begin(), kHex[cp & 0xf]);
        cp >>= 4;
    } while (cp != 0);
    out += "\\u{" + digits + "}";
}

// The length of the valid UTF-8 sequence starting at text[i] and its code point; 0 when the bytes
// there are not one (overlong forms, surrogates and values past U+10FFFF included).
std::size_t utf8_sequence(std::string_view text, std::size_t i, std::uint32_t& cp) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const unsigned char lead = byte(0);
    std::size_t len = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
        len = 2;
        cp = lead & 0x1fu;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        len = 3;
        cp = lead & 0x0fu;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        len = 4;
        cp = lead & 0x07u;
    } else {
        return 0;
    }
    if (i + len > text.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        if ((byte(k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (byte(k) & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

// C1 controls, and the bidirectional overrides/isolates that reorder what a reader sees.
bool is_hidden_code_point(std::uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

// Where the line starting at `start` would begin a workflow command ("::" or "##[" after blanks:
// GitHub's runner trims leading white space before it looks); npos when it would not.
std::size_t command_start(std::string_view text, std::size_t start) {
    std::size_t i = start;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::string_view rest = text.substr(i);
    if (rest.substr(0, 2) == "::" || rest.substr(0, 3) == "##[") return i;
    return std::string_view::npos;
}

std::string escape(std::string_view text, std::size_t max_bytes, Newlines newlines) {
    std::string out;
    out.reserve(text.size() + 8);
    std::size_t breaker = command_start(text, 0);
    std::size_t i = 0;
    while (i < text.size()) {
        if (i >= max_bytes) {
            out += "…";
            break;
        }
        const auto c = static_cast<unsigned char>(text[i]);
        if (i == breaker) {
            append_hex_byte(out, c);
            ++i;
            continue;
        }
        if (c < 0x80) {
            if (c == '\n' && newlines == Newlines::keep) {
                out += '\n';
                ++i;
                breaker = command_start(text, i);
                continue;
            }
            if (c == '\t' && newlines == Newlines::keep)
                out += '\t';
            else if (c == '\n')
                out += "\\n";
            else if (c == '\r')
                out += "\\r";
            else if (c == '\t')
                out += "\\t";
            else if (c == '\\' && newlines == Newlines::escape)
                out += "\\\\";
            else if (c < 0x20 || c == 0x7f)
                append_hex_byte(out, c);
            else
                out += static_cast<char>(c);
            ++i;
            continue;
        }
        std::uint32_t cp = 0;
        const std::size_t len = utf8_sequence(text, i, cp);
        if (len == 0) {
            append_hex_byte(out, c);
            ++i;
        } else if (i + len > max_bytes) {
            out += "…";
            break;
        } else {
            if (is_hidden_code_point(cp))
                append_code_point(out, cp);
            else
                out.append(text.substr(i, len));
            i += len;
        }
    }
    return out;
}

}  // namespace

std::string escape_text(std::string_view text, std::size_t max_bytes) { return escape(text, max_bytes, Newlines::escape); }

std::string escape_message(std::string_view message) { return escape(message, std::string_view::npos, Newlines::keep); }

}  // namespace ocx
