#pragma once
// Blobs enter an image layout only as the bytes their digest names: the copy hashes exactly the
// bytes it writes and publishes the file (util/atomic_file.hpp) only when digest and size match.

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "digest/digest.hpp"
#include "util/result.hpp"

namespace ocx::layout {

/// What a verified copy wrote.
struct CopyResult {
    Digest digest;
    std::uint64_t size = 0;
};

/// Writes `source_path` (streamed) or, when it is empty, `source_bytes` into a temp file inside
/// `dest`'s directory while hashing exactly the bytes written, then — only if they match
/// `expected` and `expected_size` — fsyncs and renames it to `dest`. On any failure the temp file
/// is removed and `dest` is untouched; a mismatch is ErrorKind::data naming both values; a
/// missing source is ErrorKind::not_found.
Result<CopyResult> copy_verified(const std::filesystem::path& source_path, std::string_view source_bytes,
                                 const Digest& expected, std::uint64_t expected_size, const std::filesystem::path& dest);

}  // namespace ocx::layout
