#pragma once
// OCI descriptors, image manifests and image indexes, with OCX's canonical compact JSON
// (docs/wire-format.md §2–3): the bytes serialized here are the bytes hashed and pushed.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "digest/digest.hpp"
#include "oci/platform.hpp"
#include "util/result.hpp"

namespace ocx::oci {

using Annotations = std::map<std::string, std::string>;  // sorted keys, as written

struct Descriptor {
    std::string media_type;
    Digest digest;
    std::uint64_t size = 0;
    Annotations annotations;  // written only when non-empty

    friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

/// An OCX platform manifest: config (the package metadata) + layers.
struct ImageManifest {
    Descriptor config;
    std::vector<Descriptor> layers;
    std::string artifact_type{"application/vnd.sh.ocx.package.v1"};

    /// Compact JSON: schemaVersion · mediaType · config · layers · artifactType.
    std::string serialize() const;
    /// Parses a manifest as a registry returns it (OCI or Docker v2 schema 2).
    static Result<ImageManifest> parse(std::string_view bytes);
};

/// One entry of an image index. Fields beyond the ones OCX writes (annotations, artifactType,
/// anything unknown) are kept verbatim so foreign entries survive a merge.
struct IndexEntry {
    std::string media_type;
    Digest digest;
    std::uint64_t size = 0;
    std::optional<Platform> platform;
    std::string extra_json;  // compact JSON object of the other keys in original order, "" if none

    friend bool operator==(const IndexEntry&, const IndexEntry&) = default;
};

struct ImageIndex {
    std::vector<IndexEntry> manifests;
    std::optional<std::string> artifact_type;
    Annotations annotations;

    /// Compact JSON: schemaVersion · mediaType · manifests · artifactType · annotations (if any).
    std::string serialize() const;
    /// Parses an index as a registry returns it (OCI index or Docker manifest list).
    static Result<ImageIndex> parse(std::string_view bytes);

    friend bool operator==(const ImageIndex&, const ImageIndex&) = default;
};

/// The mediaType field of a manifest/index document, or "" when absent/unparseable.
std::string sniff_media_type(std::string_view bytes);

}  // namespace ocx::oci
