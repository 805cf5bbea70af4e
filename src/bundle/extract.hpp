#pragma once
// Safe extraction of package layers (the consumer side of docs/wire-format.md §2 and §6): tar archives,
// plain or compressed with xz, gzip or zstd (libarchive's read filters), extracted into one fresh
// directory. This module is the only includer of archive.h (see bundle.hpp).
//
// Refused, as ErrorKind::data naming the layer and the member: whatever the member rules
// (bundle/member_rules.hpp) refuse — the same rules `push` checks an archive by — applied across
// all layers (layers are merged, never overlaid: the same non-directory path twice is refused, as
// OCX does), and archives that unpack past the limits (bundle/limits.hpp), counted over all
// layers against their total compressed size. The sticky bit is dropped,
// directories are always owner-writable, owners are never restored and the umask applies.
// Leading `./` and empty components are ignored; strip_components then drops that many leading
// components (members with no more are skipped) and the prefix is put in front.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bundle/limits.hpp"
#include "bundle/member_rules.hpp"
#include "util/result.hpp"

namespace ocx::bundle {

struct LayerFile {
    std::filesystem::path path;  // the downloaded, verified archive
    Placement placement;
    std::string label;  // names the layer in errors: "layer 1 (sha256:…)"
};

struct ExtractStats {
    std::uint64_t entries = 0;  // members written (directories, files, links)
    std::uint64_t skipped = 0;  // members stripped away entirely by strip_components
    std::uint64_t bytes = 0;    // regular file content written
};

/// Creates `dest` (which must not exist; its parent must) and extracts `layers` into it in order.
/// On any error `dest` is removed again, so nothing is left half-extracted.
Result<ExtractStats> extract(const std::vector<LayerFile>& layers, const std::filesystem::path& dest,
                             const UnpackLimits& limits = {});

}  // namespace ocx::bundle
