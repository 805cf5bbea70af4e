// Asks the loaded libcurl, not the headers this was compiled against: a packaged binary runs
// with whatever libcurl.so.4 the machine has.
#include "registry/library_version.hpp"

#include <curl/curl.h>

namespace ocx::registry {

std::string curl_library_version() {
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    if (info == nullptr || info->version == nullptr) return "unknown";
    std::string out = info->version;
    if (info->ssl_version != nullptr && info->ssl_version[0] != '\0') out += std::string(" (") + info->ssl_version + ")";
    return out;
}

}  // namespace ocx::registry
