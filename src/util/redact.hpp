#pragma once
// Secrets never reach output. Redaction happens when text is formatted for people or files:
//  * URL user-info ("https://user:pass@host" -> "https://***@host"),
//  * Authorization / Proxy-Authorization header values,
//  * token=, access_token=, refresh_token=, password= query or form values,
//  * every secret registered at run time (passwords and tokens read from the environment,
//    Docker config or a token server), wherever it appears verbatim.

#include <string>
#include <string_view>

namespace ocx {

/// Remembers a secret so that redact() masks it. Secrets shorter than 4 characters are ignored
/// (masking them would shred ordinary text); such secrets are still never printed on purpose.
void register_secret(std::string_view secret);

/// Returns `text` with every known secret pattern replaced by "***".
std::string redact(std::string_view text);

}  // namespace ocx
