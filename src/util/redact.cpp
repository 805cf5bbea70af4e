#include "util/redact.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <vector>

namespace ocx {

namespace {
std::mutex g_mutex;
std::vector<std::string>& secrets() {
    static std::vector<std::string> s;
    return s;
}

bool iequals_at(std::string_view text, std::size_t pos, std::string_view word) {
    if (pos + word.size() > text.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[pos + i])) != word[i]) return false;
    return true;
}

void replace_all(std::string& text, std::string_view needle) {
    if (needle.empty()) return;
    std::size_t pos = 0;
    while ((pos = text.find(needle, pos)) != std::string::npos) {
        text.replace(pos, needle.size(), "***");
        pos += 3;
    }
}

// "scheme://user:pass@host" -> "scheme://***@host"
void mask_userinfo(std::string& text) {
    std::size_t pos = 0;
    while ((pos = text.find("://", pos)) != std::string::npos) {
        std::size_t start = pos + 3;
        std::size_t end = start;
        while (end < text.size() && text[end] != '/' && text[end] != '@' && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != '"')
            ++end;
        if (end < text.size() && text[end] == '@' && end > start) {
            text.replace(start, end - start, "***");
            pos = start + 4;
        } else {
            pos = start;
        }
    }
}

// "Authorization: Bearer abc" -> "Authorization: ***"; "token=abc&" -> "token=***&"
void mask_after(std::string& text, std::string_view key, bool to_line_end) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t found = std::string::npos;
        for (std::size_t i = pos; i + key.size() <= text.size(); ++i)
            if (iequals_at(text, i, key)) {
                found = i;
                break;
            }
        if (found == std::string::npos) return;
        std::size_t start = found + key.size();
        while (start < text.size() && text[start] == ' ') ++start;
        std::size_t end = start;
        if (to_line_end) {
            while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
        } else {
            while (end < text.size() && text[end] != '&' && text[end] != ' ' && text[end] != '\n' &&
                   text[end] != '"' && text[end] != ',')
                ++end;
        }
        if (end > start) text.replace(start, end - start, "***");
        pos = start + 3;
    }
}
}  // namespace

void register_secret(std::string_view secret) {
    if (secret.size() < 4) return;
    std::lock_guard lock(g_mutex);
    auto& s = secrets();
    if (std::find(s.begin(), s.end(), secret) == s.end()) {
        s.emplace_back(secret);
        // Longest first, so a secret containing another is masked whole.
        std::sort(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    }
}

std::string redact(std::string_view input) {
    std::string text(input);
    {
        std::lock_guard lock(g_mutex);
        for (const auto& s : secrets()) replace_all(text, s);
    }
    mask_userinfo(text);
    mask_after(text, "authorization:", true);
    for (std::string_view key : {"access_token=", "refresh_token=", "token=", "password="})
        mask_after(text, key, false);
    return text;
}

}  // namespace ocx
