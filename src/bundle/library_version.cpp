// Asks the loaded libraries, not the headers this was compiled against: a packaged binary runs
// with whatever libarchive.so.13 and liblzma.so.5 the machine has.
#include "bundle/library_version.hpp"

#include <archive.h>
#include <lzma.h>

namespace ocx::bundle {

std::string libarchive_library_version() {
    // MAJOR * 1000000 + MINOR * 1000 + PATCH (archive.h).
    const int n = archive_version_number();
    return std::to_string(n / 1000000) + "." + std::to_string(n / 1000 % 1000) + "." + std::to_string(n % 1000);
}

std::string liblzma_library_version() {
    const char* v = lzma_version_string();
    return v != nullptr ? std::string(v) : std::string("unknown");
}

}  // namespace ocx::bundle
