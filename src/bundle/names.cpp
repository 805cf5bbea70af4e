#include "bundle/names.hpp"

#include <cstdint>

namespace ocx::bundle {
namespace {

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 when it is not one
// (Unicode 15, table 3-7).
std::size_t sequence_length(std::string_view s) {
    auto byte = [&s](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
    const std::uint8_t b0 = byte(0);
    if (b0 < 0x80) return 1;
    std::size_t len = 0;
    std::uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        if (b0 == 0xE0) lo = 0xA0;  // overlong
        if (b0 == 0xED) hi = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        if (b0 == 0xF0) lo = 0x90;  // overlong
        if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        return 0;
    }
    if (s.size() < len) return 0;
    if (byte(1) < lo || byte(1) > hi) return 0;
    for (std::size_t i = 2; i < len; ++i)
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    return len;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
    while (!bytes.empty()) {
        std::size_t n = sequence_length(bytes);
        if (n == 0) return false;
        bytes.remove_prefix(n);
    }
    return true;
}

std::string quote_name(std::string_view bytes) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out = "\"";
    while (!bytes.empty()) {
        const auto b = static_cast<std::uint8_t>(bytes.front());
        std::size_t n = sequence_length(bytes);
        if (n > 1) {
            out.append(bytes.substr(0, n));
        } else if (n == 1 && b >= 0x20 && b != 0x7F) {
            if (b == '"' || b == '\\') out += '\\';
            out += static_cast<char>(b);
        } else {
            n = 1;
            out += "\\x";
            out += hex[b >> 4];
            out += hex[b & 0xF];
        }
        bytes.remove_prefix(n);
    }
    out += '"';
    return out;
}

}  // namespace ocx::bundle
