#include "util/redact.hpp"

#include "util/percent.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <vector>

namespace ocx {

namespace {
std::mutex g_mutex;
// Secrets of 4 characters or more, and every encoded form of a secret: masked wherever they occur.
std::vector<std::string>& secrets() {
    static std::vector<std::string> s;
    return s;
}
// Secrets of 1 to 3 characters: masked only as a whole word (no letter or digit next to them),
// so a password "ab" does not shred every "about".
std::vector<std::string>& short_secrets() {
    static std::vector<std::string> s;
    return s;
}

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

void remember(std::vector<std::string>& list, std::string_view secret) {
    if (std::find(list.begin(), list.end(), secret) != list.end()) return;
    list.emplace_back(secret);
    // Longest first, so a secret containing another is masked whole.
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

void replace_word(std::string& text, std::string_view needle) {
    std::size_t pos = 0;
    while ((pos = text.find(needle, pos)) != std::string::npos) {
        const std::size_t end = pos + needle.size();
        const bool word = (pos == 0 || !is_alnum(text[pos - 1])) && (end == text.size() || !is_alnum(text[end]));
        if (!word) {
            ++pos;
            continue;
        }
        text.replace(pos, needle.size(), "***");
        pos += 3;
    }
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
        while (end < text.size() && text[end] != '/' && text[end] != '@' &&
               !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != '"')
            ++end;
        if (end < text.size() && text[end] == '@' && end > start) {
            text.replace(start, end - start, "***");
            pos = start + 4;
        } else {
            pos = start;
        }
    }
}

// "user:pass@registry.example/repo" -> "***@registry.example/repo": a reference with credentials in
// it and no scheme. The part before '@' is one word holding a ':'; after '@' comes a host (name,
// optional numeric port, or [ipv6]) and a '/'. "repo:tag@sha256:…" is not one: a digest is no host.
void mask_bare_userinfo(std::string& text) {
    const auto is_host_char = [](char c) { return is_alnum(c) || c == '.' || c == '-'; };
    const auto is_word_end = [](char c) {
        return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '=' || c == '(' || c == '<' ||
               c == ',' || c == '/' || c == '@';
    };
    std::size_t at = 0;
    while ((at = text.find('@', at)) != std::string::npos) {
        std::size_t start = at;
        while (start > 0 && !is_word_end(text[start - 1])) --start;
        const std::string_view user = std::string_view(text).substr(start, at - start);
        std::size_t end = at + 1;
        if (end < text.size() && text[end] == '[') {
            end = text.find(']', end);
            end = end == std::string::npos ? text.size() : end + 1;
        } else {
            while (end < text.size() && is_host_char(text[end])) ++end;
        }
        const bool has_host = end > at + 1;
        if (end < text.size() && text[end] == ':') {
            std::size_t digits = end + 1;
            while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
            end = digits > end + 1 ? digits : text.size();  // "host:" without a port is no host
        }
        const bool masked =
            has_host && end < text.size() && text[end] == '/' && user.find(':') != std::string_view::npos && user != "***";
        if (masked) {
            text.replace(start, at - start, "***");
            at = start + 4;
        } else {
            ++at;
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
            while (end < text.size() && text[end] != '&' && text[end] != ' ' && text[end] != '\n' && text[end] != '"' &&
                   text[end] != ',')
                ++end;
        }
        if (end > start) text.replace(start, end - start, "***");
        pos = start + 3;
    }
}
}  // namespace

void register_secret(std::string_view secret) {
    if (secret.empty()) return;
    std::lock_guard lock(g_mutex);
    for (const std::string& form :
         {std::string(secret), percent_encode_unreserved(secret), percent_encode_unreserved(secret, HexCase::lower),
          percent_encode_unreserved(secret, HexCase::upper, SpaceAs::plus)})
        remember(form.size() < 4 ? short_secrets() : secrets(), form);
}

std::string redact(std::string_view input) {
    std::string text(input);
    {
        std::lock_guard lock(g_mutex);
        for (const auto& s : secrets()) replace_all(text, s);
        for (const auto& s : short_secrets()) replace_word(text, s);
    }
    mask_userinfo(text);
    mask_bare_userinfo(text);
    mask_after(text, "authorization:", true);
    for (std::string_view key : {"access_token=", "refresh_token=", "token=", "password="}) mask_after(text, key, false);
    return text;
}

}  // namespace ocx
