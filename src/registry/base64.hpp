#pragma once
// Base64 (RFC 4648 §4, with padding) for HTTP Basic credentials and Docker config `auth` fields.

#include <optional>
#include <string>
#include <string_view>

namespace ocx::registry {

/// Standard alphabet, padded.
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64; padding optional, surrounding whitespace ignored; nullopt on bad input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ocx::registry
