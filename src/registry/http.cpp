#include "registry/http.hpp"

#include <cctype>

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

}  // namespace ocx::registry
