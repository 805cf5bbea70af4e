#pragma once
// The versions of the libarchive and liblzma this process runs with (for `ocx-release --version`).

#include <string>

namespace ocx::bundle {

/// libarchive's version as the loaded library reports it (archive_version_number): "3.6.2".
std::string libarchive_library_version();
/// liblzma's version as the loaded library reports it (lzma_version_string): "5.4.1".
std::string liblzma_library_version();

}  // namespace ocx::bundle
