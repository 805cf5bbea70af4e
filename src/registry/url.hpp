#pragma once
// The URL handling the distribution API needs (RFC 3986 §5.2, by libcurl's URL API in url.cpp): registries
// answer with absolute or relative `Location` and `Link` references, upload locations may already
// carry a query (`?_state=…`), and credentials must not follow a redirect to another origin.

#include <optional>
#include <string>
#include <string_view>

namespace ocx::registry {

struct Url {
    std::string scheme;      // lower-case: "https"
    std::string authority;   // "host[:port]" as written (user-info is refused)
    std::string path_query;  // "/v2/…?…" (at least "/")

    /// "scheme://host[:port]" lower-cased, default port dropped — what "same origin" compares.
    std::string origin() const;
    std::string str() const { return scheme + "://" + authority + path_query; }
};

/// Parses an absolute http(s) URL; nullopt for anything else (other schemes, user-info, no host).
std::optional<Url> parse_url(std::string_view text);

/// Resolves `reference` (absolute, "//host/…", "/path…", "path…" or "?query") against `base`,
/// removing dot segments.
/// Returns "" when `base` is not an absolute URL or the result is not http(s) with a host.
std::string resolve_url(std::string_view base, std::string_view reference);

/// Appends `key=value` with '?' or '&' as the URL needs; the value is percent-encoded
/// (percent_encode_unreserved, util/percent.hpp).
std::string append_query(std::string_view url, std::string_view key, std::string_view value);

/// True when both URLs parse and share scheme, host and port.
bool same_origin(std::string_view a, std::string_view b);

}  // namespace ocx::registry
