// Asks the loaded libcrypto, not the headers this was compiled against: a packaged binary runs
// with whatever libcrypto.so.3 the machine has.
#include "digest/library_version.hpp"

#include <openssl/crypto.h>

namespace ocx {

std::string openssl_library_version() {
    const char* v = OpenSSL_version(OPENSSL_VERSION_STRING);
    return v != nullptr ? std::string(v) : std::string("unknown");
}

}  // namespace ocx
