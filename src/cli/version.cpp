// `ocx-release --version`. Boost is linked statically in the release packages and has no run-time
// version call, so its version is the one of the headers it was built with; every other library is
// asked at run time, in the folder that owns it (STYLE.md: one includer per C library).
#include "cli/version.hpp"

#include <boost/version.hpp>

#include <string_view>

#include "bundle/library_version.hpp"
#include "digest/library_version.hpp"
#include "registry/library_version.hpp"

#ifndef OCX_RELEASE_COMMIT
#define OCX_RELEASE_COMMIT "unknown"
#endif

namespace ocx::cli {

namespace {

// A library's own string, bounded and reduced to printable ASCII before it reaches a terminal.
std::string printable(std::string_view text) {
    constexpr std::size_t max_length = 80;
    std::string out;
    for (const char c : text.substr(0, max_length)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
    return out;
}

}  // namespace

std::string version_text() {
    constexpr int boost = BOOST_VERSION;  // MAJOR * 100000 + MINOR * 100 + PATCH
    std::string out = std::string("ocx-release ") + OCX_RELEASE_VERSION + "\n";
    out += std::string("commit: ") + OCX_RELEASE_COMMIT + "\n";
    out += "boost: " + std::to_string(boost / 100000) + "." + std::to_string(boost / 100 % 1000) + "." +
           std::to_string(boost % 100) + "\n";
    out += "libcurl: " + printable(registry::curl_library_version()) + "\n";
    out += "libarchive: " + printable(bundle::libarchive_library_version()) + "\n";
    out += "liblzma: " + printable(bundle::liblzma_library_version()) + "\n";
    out += "openssl: " + printable(openssl_library_version()) + "\n";
    return out;
}

}  // namespace ocx::cli
