#pragma once
// Base64 (RFC 4648 §4, with padding) for HTTP Basic credentials and Docker config `auth` fields,
// by OpenSSL's EVP encoder (EVP_EncodeBlock/EVP_DecodeBlock), here because digest/ is the one
// folder that includes OpenSSL. The decoder adds what EVP_DecodeBlock lacks: padding is optional
// (Docker config files are written by many tools) and the padding bytes are not returned.

#include <optional>
#include <string>
#include <string_view>

namespace ocx {

/// Standard alphabet, padded.
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64; padding optional, surrounding whitespace ignored; nullopt on bad input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ocx
