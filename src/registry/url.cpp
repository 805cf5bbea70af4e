#include "registry/url.hpp"

#include <cctype>

#include "registry/http.hpp"
#include "util/percent.hpp"

namespace ocx::registry {

namespace {
std::string default_port(std::string_view scheme) { return scheme == "https" ? "443" : "80"; }
}  // namespace

std::optional<Url> parse_url(std::string_view text) {
    const auto sep = text.find("://");
    if (sep == std::string_view::npos) return std::nullopt;
    Url url;
    url.scheme = ascii_lower(text.substr(0, sep));
    if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
    std::string_view rest = text.substr(sep + 3);
    const auto end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
    url.authority = std::string(authority);
    std::string_view tail = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    if (const auto hash = tail.find('#'); hash != std::string_view::npos) tail = tail.substr(0, hash);
    url.path_query = tail.empty() || tail.front() != '/' ? "/" + std::string(tail) : std::string(tail);
    return url;
}

std::string Url::origin() const {
    std::string host = ascii_lower(authority);
    const std::string suffix = ":" + default_port(scheme);
    // "[::1]:443" and "host:443" -> drop the default port; a bare "[::1]" has no port to drop.
    if (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0)
        host.resize(host.size() - suffix.size());
    return scheme + "://" + host;
}

std::string resolve_url(std::string_view base, std::string_view reference) {
    if (parse_url(reference)) return parse_url(reference)->str();
    const std::optional<Url> b = parse_url(base);
    if (!b) return "";
    if (reference.empty()) return b->str();
    if (reference.substr(0, 2) == "//") {
        const auto u = parse_url(b->scheme + ":" + std::string(reference));
        return u ? u->str() : "";
    }
    Url out = *b;
    if (reference.front() == '/') {
        out.path_query = std::string(reference);
    } else if (reference.front() == '?') {
        out.path_query = b->path_query.substr(0, b->path_query.find('?')) + std::string(reference);
    } else {
        const std::string path = b->path_query.substr(0, b->path_query.find('?'));
        out.path_query = path.substr(0, path.rfind('/') + 1) + std::string(reference);
    }
    return out.str();
}

std::string append_query(std::string_view url, std::string_view key, std::string_view value) {
    std::string out(url);
    const bool has_query = out.find('?') != std::string::npos;
    if (!has_query) out += '?';
    else if (out.back() != '?' && out.back() != '&') out += '&';
    out += key;
    out += '=';
    out += percent_encode_unreserved(value);
    return out;
}

bool same_origin(std::string_view a, std::string_view b) {
    const auto ua = parse_url(a);
    const auto ub = parse_url(b);
    return ua && ub && ua->origin() == ub->origin();
}

}  // namespace ocx::registry
