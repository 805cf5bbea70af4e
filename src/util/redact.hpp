#pragma once
// Secrets never reach output. Redaction happens when text is formatted for people or files:
//  * URL user-info ("https://user:pass@host" -> "https://***@host"), with or without a scheme
//    ("user:pass@registry.example/repo" -> "***@registry.example/repo"),
//  * Authorization / Proxy-Authorization header values,
//  * token=, access_token=, refresh_token=, password= query or form values,
//  * every secret registered at run time (passwords and tokens read from the environment,
//    Docker config or a token server), wherever it appears verbatim or percent-encoded (as a
//    server may echo what it was sent in a URL or form).

#include <string>
#include <string_view>

namespace ocx {

/// Remembers a secret, and its percent-encoded forms, so that redact() masks them. A form shorter
/// than 4 characters is masked only as a whole word (no letter or digit beside it), so that
/// masking it does not shred ordinary text.
void register_secret(std::string_view secret);

/// Returns `text` with every known secret pattern replaced by "***".
std::string redact(std::string_view text);

}  // namespace ocx
