#include "registry/http.hpp"

#include <cctype>

#include "registry/url.hpp"

namespace ocx::registry {

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    const std::string key = ascii_lower(name);
    for (const auto& h : headers)
        if (ascii_lower(h.name) == key) return h.value;
    return std::nullopt;
}

std::vector<std::string> HttpResponse::headers_named(std::string_view name) const {
    const std::string key = ascii_lower(name);
    std::vector<std::string> out;
    for (const auto& h : headers)
        if (ascii_lower(h.name) == key) out.push_back(h.value);
    return out;
}

namespace {
constexpr std::string_view kListeningHint = "; is a registry listening at ";
}  // namespace

Error unreachable_error(std::string_view method, std::string_view url, std::string_view detail) {
    const auto parsed = parse_url(url);
    std::string message(method);
    message += ' ';
    message += url;
    message += ": ";
    message += detail;
    message += kListeningHint;
    message += parsed ? parsed->authority : std::string(url);
    message += '?';
    return make_error(ErrorKind::unavailable, std::move(message));
}

bool is_unreachable(const Error& error) {
    return error.kind == ErrorKind::unavailable && error.message.find(kListeningHint) != std::string::npos &&
           error.message.back() == '?';
}

}  // namespace ocx::registry
