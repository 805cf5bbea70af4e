#pragma once
// One platform's content: layers + config (the package metadata) -> an OCX platform manifest,
// and pushing it in the write order of wire-format.md §5: blobs, config, manifest by digest.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "bundle/check.hpp"
#include "oci/descriptor.hpp"
#include "oci/platform.hpp"
#include "publish/target.hpp"
#include "report/report.hpp"

namespace ocx::publish {

struct Layer {
    std::filesystem::path path;
    Digest digest;
    std::uint64_t size = 0;
    std::string media_type;
    oci::Annotations annotations;
};

struct PlatformContent {
    oci::Platform platform;
    std::vector<Layer> layers;
    std::string config;  // compact published metadata: the config blob's exact bytes
};

struct BuiltManifest {
    oci::Descriptor config;
    Manifest manifest;     // exact bytes + digest
    oci::IndexEntry entry; // the index entry that points at it, with the platform
};

/// Describes an archive on disk as a layer: media type from the extension (refusing plain .tar,
/// .zip, …), digest and size from one read that also checks the archive (bundle/check.hpp).
/// Errors name the file.
/// Members are held to `limits` (bundle/limits.hpp), as install will hold them. With `set`, one
/// of several archives pushed together, checked with the others (bundle::LayerSet) and always
/// walked: a record vouches for an archive alone.
Result<Layer> layer_from_archive(const std::filesystem::path& path, const bundle::UnpackLimits& limits = {},
                                 bundle::LayerSet* set = nullptr);

/// Serializes the manifest once; the digest is over exactly those bytes (pure).
BuiltManifest build_manifest(const PlatformContent& content);

/// How put_manifest_retrying waits: `attempts` PUTs in all, the n-th retry after n * `pause`.
struct RefusalRetry {
    int attempts = 4;
    std::chrono::milliseconds pause{100};
};

/// True when the registry refused a PUT calling a referenced blob or manifest "unknown"
/// (MANIFEST_BLOB_UNKNOWN, as registry::describe_error_body renders the distribution error code).
bool refused_as_unknown(const Error& e);

/// PUTs a manifest or index under `reference`. When the registry refuses it because a blob or
/// manifest it references is "unknown" (MANIFEST_BLOB_UNKNOWN) — what docker-registry's
/// filesystem storage answers while a concurrent writer re-links that same blob or manifest —
/// waits and PUTs again (logged). A reference that stays unknown fails after the last attempt.
Status put_manifest_retrying(Target& target, std::string_view reference, const Manifest& manifest,
                             const RefusalRetry& retry = {});

/// Pushes layers (HEAD first, skipped when present, mounted from `mount_from` when given),
/// then the config blob, then the manifest by digest (put_manifest_retrying). Returns what was
/// uploaded/skipped.
Result<report::BlobCounts> push_content(Target& target, const PlatformContent& content, const BuiltManifest& built,
                                        std::string_view mount_from = {}, const RefusalRetry& retry = {});

}  // namespace ocx::publish
