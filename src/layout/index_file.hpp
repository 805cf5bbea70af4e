#pragma once
// The index.json of an OCI image layout (OCI image spec, image-layout.md + image-index.md) as
// skopeo and umoci use it: a tag is a `manifests` entry whose annotation
// org.opencontainers.image.ref.name equals the tag. This module edits that file without
// disturbing anything it does not own: entries for other tags, untagged entries and unknown
// top-level keys are written back byte-for-byte as they were read (modulo JSON whitespace).
// Pure: text in, text out.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/descriptor.hpp"
#include "util/result.hpp"

namespace ocx::layout {

class IndexFile {
public:
    /// An index with no manifests.
    IndexFile() = default;

    /// Parses index.json text; `source` names it in errors. A non-object document, a
    /// `manifests` that is not an array of objects, or a non-string ref.name is ErrorKind::data.
    static Result<IndexFile> parse(std::string_view text, std::string_view source);

    /// The descriptor of the first entry tagged `tag`; nullopt when no entry has that tag.
    /// A tagged entry without a valid mediaType/digest/size is ErrorKind::data with its path.
    Result<std::optional<oci::Descriptor>> find(std::string_view tag) const;

    /// Every ref.name in the index, sorted, without duplicates.
    std::vector<std::string> tags() const;

    /// Points `tag` at `descriptor`: the first entry with that tag is replaced in place (the new
    /// entry's annotations are exactly {ref.name: tag}), later duplicates are dropped, and when
    /// there was none the entry is appended.
    void set_tag(std::string_view tag, const oci::Descriptor& descriptor);

    /// Compact JSON: schemaVersion · mediaType · manifests · other top-level keys as read.
    std::string serialize() const;

private:
    struct Entry {
        std::optional<std::string> ref_name;
        std::string json;  // the entry as a compact JSON object
    };
    std::vector<Entry> entries_;
    std::string extra_members_;  // compact `"key":value` members after manifests, "" if none
    std::string source_;
};

/// The top-level "mediaType" of a manifest/index document; "" when absent or not JSON.
std::string document_media_type(std::string_view bytes);

/// Checks an oci-layout file: an object whose imageLayoutVersion is "1.x.y". ErrorKind::data
/// naming `source` otherwise.
Status check_layout_version(std::string_view text, std::string_view source);

}  // namespace ocx::layout
