#include "registry/headers.hpp"

#include <cctype>
#include <ctime>

#include "registry/http.hpp"

namespace ocx::registry {

namespace {

bool is_tchar(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) return true;
    switch (ch) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~':
        case '/':
        case ':': return true;
        default: return false;
    }
}

// A cursor over a header value.
struct Scanner {
    std::string_view s;
    std::size_t i = 0;

    bool done() const { return i >= s.size(); }
    char peek() const { return done() ? '\0' : s[i]; }
    void skip_ws() {
        while (!done() && (s[i] == ' ' || s[i] == '\t')) ++i;
    }
    void skip_ws_commas() {
        while (!done() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) ++i;
    }
    std::string token() {
        const std::size_t start = i;
        while (!done() && is_tchar(s[i])) ++i;
        return std::string(s.substr(start, i - start));
    }
    // After the opening quote: up to the closing one, honouring backslash escapes.
    std::string quoted() {
        std::string out;
        ++i;
        while (!done() && s[i] != '"') {
            if (s[i] == '\\' && i + 1 < s.size()) ++i;
            out += s[i++];
        }
        if (!done()) ++i;
        return out;
    }
    std::string value() {
        skip_ws();
        return peek() == '"' ? quoted() : token();
    }
};

}  // namespace

std::string Challenge::param(std::string_view key) const {
    const auto it = params.find(std::string(key));
    return it == params.end() ? std::string() : it->second;
}

std::vector<Challenge> parse_challenges(std::string_view header) {
    std::vector<Challenge> out;
    Scanner sc{header};
    sc.skip_ws_commas();
    while (!sc.done()) {
        std::string scheme = sc.token();
        if (scheme.empty()) break;  // garbage: stop rather than guess
        Challenge ch;
        ch.scheme = ascii_lower(scheme);
        // Parameters until the next "token" that is not followed by '=' (a new scheme).
        for (;;) {
            sc.skip_ws_commas();
            const std::size_t mark = sc.i;
            std::string key = sc.token();
            if (key.empty()) {
                // token68 or junk: skip to the next comma.
                while (!sc.done() && sc.peek() != ',') ++sc.i;
                if (sc.done()) break;
                continue;
            }
            sc.skip_ws();
            if (sc.peek() != '=') {
                sc.i = mark;  // the next challenge's scheme
                break;
            }
            ++sc.i;
            if (sc.peek() == '=') {  // token68 padding ("abc==")
                while (!sc.done() && sc.peek() != ',') ++sc.i;
                continue;
            }
            ch.params[ascii_lower(key)] = sc.value();
            if (sc.done()) break;
        }
        out.push_back(std::move(ch));
        sc.skip_ws_commas();
    }
    return out;
}

std::optional<std::string> parse_link_next(std::string_view header) {
    Scanner sc{header};
    while (!sc.done()) {
        sc.skip_ws_commas();
        if (sc.peek() != '<') return std::nullopt;
        const std::size_t close = header.find('>', sc.i);
        if (close == std::string_view::npos) return std::nullopt;
        std::string target(header.substr(sc.i + 1, close - sc.i - 1));
        sc.i = close + 1;
        bool next = false;
        // link-params: *( ";" key [ "=" value ] ) until ',' or end
        for (;;) {
            sc.skip_ws();
            if (sc.peek() != ';') break;
            ++sc.i;
            sc.skip_ws();
            std::string key = ascii_lower(sc.token());
            sc.skip_ws();
            std::string val;
            if (sc.peek() == '=') {
                ++sc.i;
                val = sc.value();
            }
            if (key == "rel") {
                // rel may hold several space-separated relation types.
                std::size_t p = 0;
                const std::string rels = ascii_lower(val);
                while (p <= rels.size()) {
                    const std::size_t q = std::min(rels.find(' ', p), rels.size());
                    if (rels.substr(p, q - p) == "next") next = true;
                    p = q + 1;
                }
            }
        }
        if (next) return target;
        while (!sc.done() && sc.peek() != ',') ++sc.i;
    }
    return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    bool digits = true;
    for (char c : value) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (digits) {
        if (value.size() > 9) return std::chrono::milliseconds(std::chrono::hours(24 * 365));  // absurd: "a long time"
        return std::chrono::milliseconds(std::stoll(std::string(value)) * 1000);
    }
    // IMF-fixdate, the only form senders may generate: "Sun, 06 Nov 1994 08:49:37 GMT".
    std::tm tm{};
    const std::string text(value);
    const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') return std::nullopt;
    const auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
    if (when <= now) return std::chrono::milliseconds(0);
    return std::chrono::ceil<std::chrono::milliseconds>(when - now);
}

std::string media_type_of(std::string_view content_type) {
    std::string_view v = content_type.substr(0, content_type.find(';'));
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return std::string(v);
}

}  // namespace ocx::registry
