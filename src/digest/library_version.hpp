#pragma once
// The version of the OpenSSL libcrypto this process runs with (for `ocx-release --version`).

#include <string>

namespace ocx {

/// libcrypto's version as the loaded library reports it (OpenSSL_version): "3.0.17".
std::string openssl_library_version();

}  // namespace ocx
