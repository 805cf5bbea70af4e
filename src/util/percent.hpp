#pragma once
// RFC 3986 §2.1 percent-encoding of everything but the unreserved characters (§2.3: ALPHA,
// DIGIT, '-', '.', '_', '~'): query values and form bodies sent to registries and token servers
// (registry/), and the forms of a secret the redaction looks for (util/redact.cpp). The platform
// strings of oci/platform.cpp follow another rule (only their own delimiters are encoded) and have
// their own function there.

#include <string>
#include <string_view>

namespace ocx {

enum class HexCase { upper, lower };
/// How a space is written: "%20", or '+' as HTML form encoding (application/x-www-form-urlencoded) may.
enum class SpaceAs { percent, plus };

/// `text` with every byte outside the unreserved set written as %XX.
std::string percent_encode_unreserved(std::string_view text, HexCase hex = HexCase::upper, SpaceAs space = SpaceAs::percent);

}  // namespace ocx
