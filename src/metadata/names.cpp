#include "metadata/names.hpp"

namespace ocx::metadata {

namespace {
bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

std::string in_quotes(std::string_view text) {
    // JSON string syntax, with DEL and the C1 controls (U+0080..U+009F) escaped as well: a message
    // must not carry a byte a terminal acts on.
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto u = static_cast<unsigned char>(text[i]);
        unsigned code = u;
        bool c1 = u == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                  static_cast<unsigned char>(text[i + 1]) <= 0x9F;
        if (c1) code = static_cast<unsigned char>(text[++i]);
        if (u == '"' || u == '\\') {
            out += '\\';
            out += text[i];
        } else if (u == '\n') {
            out += "\\n";
        } else if (u == '\t') {
            out += "\\t";
        } else if (u == '\r') {
            out += "\\r";
        } else if (code < 0x20 || code == 0x7f || c1) {
            out += "\\u00";
            out += kHex[code >> 4];
            out += kHex[code & 0xf];
        } else {
            out += text[i];
        }
    }
    out += '"';
    return out;
}

bool is_slug(std::string_view text) {
    if (text.empty() || text.size() > max_slug_length || !is_lower_alnum(text[0])) return false;
    for (char c : text)
        if (!is_lower_alnum(c) && c != '_' && c != '-') return false;
    return true;
}

std::string check_slug(std::string_view text, std::string_view what) {
    if (is_slug(text)) return {};
    std::string msg = in_quotes(text) + " is not a valid " + std::string(what) + ": ";
    if (text.size() > max_slug_length) return msg + "longer than 64 characters";
    return msg + "use lowercase letters, digits, '_' and '-', starting with a letter or digit";
}

bool is_env_key(std::string_view text) {
    if (text.empty() || text.size() > max_env_key_length) return false;
    if (!is_alpha(text[0]) && text[0] != '_') return false;
    for (char c : text)
        if (!is_alpha(c) && !is_digit(c) && c != '_') return false;
    return true;
}

std::string check_env_key(std::string_view text) {
    if (is_env_key(text)) return {};
    std::string msg = in_quotes(text) + " is not a valid variable name: ";
    if (text.empty()) return msg + "it is empty";
    if (text.size() > max_env_key_length) return msg + "longer than 256 characters";
    return msg + "use letters, digits and '_', not starting with a digit";
}

std::string check_binary_name(std::string_view text) {
    std::string msg = in_quotes(text) + " is not a bare binary name: ";
    if (text.empty()) return msg + "it is empty";
    if (text.size() > max_binary_length) return msg + "longer than 255 characters";
    if (text[0] == '-' || text[0] == '.') return msg + "it starts with '" + text[0] + "'";
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u == ' ' || u == '\t' || u == '\n' || u == '\r' || u == '\v' || u == '\f') return msg + "it contains whitespace";
        if (u < 0x21 || u > 0x7e) return msg + "use printable ASCII only";
        if (std::string_view("/\\<>:\"|?*").find(c) != std::string_view::npos)
            return msg + "it contains '" + c + "' (a name, not a path)";
    }
    return {};
}

std::string check_namespace(std::string_view text) {
    std::string msg = in_quotes(text) + " is not a valid integrations namespace: ";
    if (text.empty()) return msg + "it is empty";
    if (text.size() > max_namespace_length) return msg + "longer than 128 bytes";
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto u = static_cast<unsigned char>(text[i]);
        // C0, DEL, and C1 (U+0080..U+009F, encoded C2 80..C2 9F)
        bool c1 = u == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                  static_cast<unsigned char>(text[i + 1]) <= 0x9F;
        if (u < 0x20 || u == 0x7f || c1) return msg + "it contains a control character";
        if (u == ' ') return msg + "it contains whitespace";
    }
    return {};
}

}  // namespace ocx::metadata
