#pragma once
// Checking a prebuilt archive before it is published (release.md: bad archives stop the run
// before any write). One read of the file both hashes it and walks it with libarchive:
//  * the compression must be what the extension says (a gzip stream named .tar.xz is refused),
//    the stream must decompress to its end, and the content must be a tar archive;
//  * every member must be a file, directory, symlink or hardlink with a relative path and no `..`
//    component; symlinks must not leave the package (resolved lexically from the link's
//    directory); device nodes, FIFOs, sockets and setuid/setgid bits are refused — exactly what
//    `install` (bundle/extract.hpp) and OCX would refuse later, found here instead.

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "digest/digest.hpp"
#include "util/result.hpp"

namespace ocx::bundle {

struct ArchiveCheck {
    Digest digest;             // SHA-256 of the whole file
    std::uint64_t size = 0;    // file size in bytes
    std::uint64_t entries = 0; // tar members
};

/// Hashes and validates `path` whose layer media type is `media_type` (oci/media_types.hpp).
/// Problems are ErrorKind::data naming the file and, where there is one, the member.
Result<ArchiveCheck> check_archive(const std::filesystem::path& path, std::string_view media_type);

}  // namespace ocx::bundle
