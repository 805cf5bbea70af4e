#include "digest/base64.hpp"

#include <openssl/evp.h>

#include <climits>
#include <string_view>

namespace ocx {
namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

std::string base64_encode(std::string_view bytes) {
    if (bytes.empty()) return {};
    if (bytes.size() > static_cast<std::size_t>(INT_MAX / 4 * 3)) return {};  // never: credentials are short
    std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');                    // EVP_EncodeBlock writes a final NUL
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text, Base64Padding padding_rule) {
    if (padding_rule == Base64Padding::required) {
        if (text.size() % 4 != 0) return std::nullopt;
        for (int i = 0; i < 2 && !text.empty() && text.back() == '='; ++i) text.remove_suffix(1);
    } else {
        while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
        while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
        while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    }
    if (text.size() % 4 == 1 || text.size() > static_cast<std::size_t>(INT_MAX) - 3) return std::nullopt;
    // EVP_DecodeBlock reads '=' as zero bits wherever it stands; only trailing padding is base64.
    if (text.find('=') != std::string_view::npos) return std::nullopt;
    // EVP_DecodeBlock wants whole groups of four and returns the padding as zero bytes.
    const std::size_t padding = (4 - text.size() % 4) % 4;
    std::string padded(text);
    padded.append(padding, '=');
    std::string out(padded.size() / 4 * 3, '\0');
    if (padded.empty()) return out;
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(padded.data()), static_cast<int>(padded.size()));
    if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
    out.resize(out.size() - padding);
    return out;
}

}  // namespace ocx
