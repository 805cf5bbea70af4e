#pragma once
// Merging platform entries into the image index at a tag (docs/wire-format.md §3, "Merging a platform
// into an existing tag"). Pure: the caller GETs the tag, passes what it found, and PUTs the result
// only when `changed`; when unchanged it must keep the bytes it read (never re-serialize them).
//  1. 404 starts an empty index; a plain manifest at the tag becomes an entry without platform, kept.
//  2. Every entry whose platform object is exactly equal to the new entry's is removed
//     (linux/amd64, linux/amd64+libc.glibc and linux/amd64+libc.musl are three platforms); entries
//     without a platform (attestations) are kept.
//  3. The new entry is appended at the end.
//  - artifactType is set to the OCX package type when absent; a different existing value is kept.
//  - Publisher annotations are laid over the existing ones; existing keys they do not name are kept.
//  4. No rewrite: if the tag holds exactly one entry for the platform, equal to the new entry
//     (digest, size, media type and any foreign fields), and the annotations and artifactType would
//     not change, the index is left as it is: changed = false, the entry keeps its place.

#include <variant>
#include <vector>

#include "oci/descriptor.hpp"

namespace ocx::publish {

/// What GET of the tag found: nothing (404), an image index, or a plain manifest (its descriptor).
using TagContent = std::variant<std::monostate, oci::ImageIndex, oci::Descriptor>;

struct MergeResult {
    oci::ImageIndex index;  // what the tag should hold
    bool changed = true;    // false: the tag already holds exactly `index`; keep its bytes, do not PUT
};

/// Merges one platform's entry into the tag's content, steps 1–4. An entry without platform (not
/// something a push makes) removes nothing: it is appended unless an equal one is already there.
MergeResult merge_platform(const TagContent& existing, const oci::IndexEntry& entry, const oci::Annotations& annotations);

/// Merges several entries (matrix order) in one go: the same index as merge_platform applied to each
/// in turn; changed = false when the result equals the existing index. An empty `entries` changes nothing.
MergeResult merge_platforms(const TagContent& existing, const std::vector<oci::IndexEntry>& entries,
                            const oci::Annotations& annotations);

}  // namespace ocx::publish
