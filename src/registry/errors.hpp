#pragma once
// Turning registry answers into errors people can act on. The distribution spec ("Error Codes")
// returns `{"errors":[{"code":"MANIFEST_INVALID","message":"…","detail":…}]}`; token servers use
// `{"details":"…"}` or OAuth2's `{"error":"…","error_description":"…"}`. The status decides the
// ErrorKind (docs/cli.md, "Exit codes"):
//   401 -> auth · 403 -> permission · 404 -> not_found · 408, 429, 5xx -> transient ·
//   any other status -> unavailable (the registry said no; retrying will not help).

#include <string>
#include <string_view>

#include "registry/http.hpp"
#include "util/result.hpp"

namespace ocx::registry {

/// "MANIFEST_INVALID: manifest invalid; BLOB_UNKNOWN: blob unknown to registry" from an error
/// body; the first line of a non-JSON body (at most 200 characters); "" for an empty body.
std::string describe_error_body(std::string_view body);

/// True when a distribution error body lists an error with this `code` (e.g. "BLOB_UNKNOWN").
bool has_error_code(std::string_view body, std::string_view code);

/// True for statuses worth retrying: 408, 429 and every 5xx.
bool is_transient_status(long status);

/// The ErrorKind for a failed status (see the file comment).
ErrorKind error_kind_for_status(long status);

/// "Not Found", "Service Unavailable", … ("" for unknown codes).
std::string_view reason_phrase(long status);

/// "<action>: HTTP 400 Bad Request: MANIFEST_INVALID: manifest invalid", with the kind from the
/// status. `action` names method, object and reference: "PUT manifest 127.0.0.1:5000/acme/tool:1.0".
Error http_error(std::string_view action, const HttpResponse& response);

}  // namespace ocx::registry
