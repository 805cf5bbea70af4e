// URLs by libcurl's URL API (curl_url_set / curl_url_get): parsing, and resolving a Location or
// Link reference against the request URL as RFC 3986 §5.2 says (dot segments included), the way
// libcurl itself follows redirects. This file and the transport are the only includers of curl.h.
#include "registry/url.hpp"

#include <curl/curl.h>

#include <memory>

#include "registry/http.hpp"
#include "util/percent.hpp"

namespace ocx::registry {

namespace {

std::string default_port(std::string_view scheme) { return scheme == "https" ? "443" : "80"; }

struct UrlDeleter {
    void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

/// One part of a parsed URL; nullopt when the URL has none.
std::optional<std::string> part(CURLU* url, CURLUPart which) {
    char* text = nullptr;
    if (curl_url_get(url, which, &text, 0) != CURLUE_OK || text == nullptr) return std::nullopt;
    std::string out(text);
    curl_free(text);
    return out;
}

/// A parsed http(s) URL without user-info, as a Url.
std::optional<Url> to_url(CURLU* handle) {
    Url url;
    url.scheme = ascii_lower(part(handle, CURLUPART_SCHEME).value_or(""));
    if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
    if (part(handle, CURLUPART_USER) || part(handle, CURLUPART_PASSWORD)) return std::nullopt;
    const auto host = part(handle, CURLUPART_HOST);
    if (!host || host->empty()) return std::nullopt;
    url.authority = *host;
    if (auto port = part(handle, CURLUPART_PORT)) url.authority += ":" + *port;
    url.path_query = part(handle, CURLUPART_PATH).value_or("/");
    if (url.path_query.empty() || url.path_query.front() != '/') url.path_query.insert(0, "/");
    if (auto query = part(handle, CURLUPART_QUERY)) url.path_query += "?" + *query;
    return url;
}

/// `text` parsed by libcurl; only absolute URLs with "//" and a host. libcurl itself is lenient
/// about the slashes after the scheme ("https:/host", "https:///host"); a registry's answer is not
/// given that benefit.
UrlHandle parse_absolute(std::string_view text) {
    const auto sep = text.find("://");
    if (sep == std::string_view::npos || text.substr(sep + 3, 1) == "/") return nullptr;
    UrlHandle handle(curl_url());
    if (!handle) return nullptr;
    const std::string copy(text);
    if (curl_url_set(handle.get(), CURLUPART_URL, copy.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) return nullptr;
    return handle;
}

/// True when `reference` starts with a scheme (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":").
bool has_scheme(std::string_view reference) {
    const auto colon = reference.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!is_alpha(reference[0])) return false;
    for (char c : reference.substr(1, colon - 1))
        if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
    return true;
}

}  // namespace

std::optional<Url> parse_url(std::string_view text) {
    UrlHandle handle = parse_absolute(text);
    return handle ? to_url(handle.get()) : std::nullopt;
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
    if (auto absolute = parse_url(reference)) return absolute->str();
    if (has_scheme(reference)) return "";  // absolute, but not an http(s) URL with a host
    const auto b = parse_url(base);
    if (!b) return "";
    if (reference.empty()) return b->str();
    // libcurl resolves from the URL the handle holds: the base, re-serialized.
    UrlHandle handle = parse_absolute(b->str());
    if (!handle) return "";
    const std::string ref(reference);
    if (curl_url_set(handle.get(), CURLUPART_URL, ref.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) return "";
    auto out = to_url(handle.get());
    return out ? out->str() : "";
}

std::string append_query(std::string_view url, std::string_view key, std::string_view value) {
    std::string out(url);
    const bool has_query = out.find('?') != std::string::npos;
    if (!has_query)
        out += '?';
    else if (out.back() != '?' && out.back() != '&')
        out += '&';
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
