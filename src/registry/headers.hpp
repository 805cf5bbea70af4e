#pragma once
// Parsers for the response headers the distribution API relies on:
//  * WWW-Authenticate (RFC 7235 §4.1; Docker token auth): `Bearer realm="…",service="…",scope="…"`,
//    possibly several challenges in one header, quoted values holding commas and escapes;
//  * Link (RFC 8288), for tag-list pagination: `</v2/<name>/tags/list?last=x&n=100>; rel="next"`
//    (distribution spec, "Listing Tags");
//  * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date;
//  * Content-Type, reduced to its media type.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ocx::registry {

struct Challenge {
    std::string scheme;                         // lower-case: "bearer", "basic"
    std::map<std::string, std::string> params;  // keys lower-case, values unquoted

    /// The parameter's value, "" when absent.
    std::string param(std::string_view key) const;
};

/// All challenges in one WWW-Authenticate header value, in order. Malformed tails are dropped.
std::vector<Challenge> parse_challenges(std::string_view header);

/// The target of the first link with rel="next" in a Link header value; nullopt when none.
std::optional<std::string> parse_link_next(std::string_view header);

/// The delay a Retry-After value asks for, relative to `now` for an HTTP-date (a date in the
/// past is zero); nullopt when the value is neither form.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

/// "application/json; charset=utf-8" -> "application/json" (trimmed; case kept).
std::string media_type_of(std::string_view content_type);

}  // namespace ocx::registry
