#include "util/percent.hpp"

namespace ocx {
namespace {

bool is_unreserved(char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
           ch == '_' || ch == '~';
}

}  // namespace

std::string percent_encode_unreserved(std::string_view text, HexCase hex, SpaceAs space) {
    const char* digits = hex == HexCase::upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(ch)) {
            out += ch;
        } else if (ch == ' ' && space == SpaceAs::plus) {
            out += '+';
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 0xF];
        }
    }
    return out;
}

}  // namespace ocx
