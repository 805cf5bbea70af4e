#pragma once
// Base64 (RFC 4648 §4, with padding) for HTTP Basic credentials, Docker config `auth` fields and
// the Sigstore bundles of the supply chain (docs/wire-format.md §7), by OpenSSL's EVP encoder
// (EVP_EncodeBlock/EVP_DecodeBlock), here because digest/ is the one folder that includes OpenSSL. The decoder adds what
// EVP_DecodeBlock lacks: padding is optional (Docker config files are written by many tools) and the padding bytes are not
// returned.

#include <optional>
#include <string>
#include <string_view>

namespace ocx {

/// Standard alphabet, padded.
std::string base64_encode(std::string_view bytes);
enum class Base64Padding {
    optional,  // credentials: padding may be left out, surrounding whitespace is ignored
    required,  // documents we verify (Sigstore bundles): exactly the padded form, nothing around it
};

/// Decodes standard base64; nullopt on bad input (an '=' anywhere but at the end included).
std::optional<std::string> base64_decode(std::string_view text, Base64Padding padding = Base64Padding::optional);

}  // namespace ocx
