#pragma once
// The version of the libcurl this process runs with (for `ocx-release --version`).

#include <string>

namespace ocx::registry {

/// libcurl's version as the loaded library reports it (curl_version_info), with its TLS backend
/// when it has one: "7.88.1 (OpenSSL/3.0.17)".
std::string curl_library_version();

}  // namespace ocx::registry
