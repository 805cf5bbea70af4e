#pragma once
// One platform's content: layers + config (the package metadata) -> an OCX platform manifest,
// and pushing it in the write order of docs/wire-format.md §5: blobs, config, manifest by digest.

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bundle/check.hpp"
#include "oci/descriptor.hpp"
#include "oci/layer_ref.hpp"
#include "oci/platform.hpp"
#include "report/report.hpp"
#include "store/target.hpp"
#include "util/retry.hpp"

namespace ocx::publish {

struct Layer {
    /// file: an archive on disk, pushed by push_content. present / mounted: a digest reference
    /// (oci/layer_ref.hpp) confirmed in the target by layer_from_registry, never uploaded.
    enum class Origin { file, present, mounted };
    std::filesystem::path path;  // "" for a digest reference
    Digest digest;
    std::uint64_t size = 0;
    std::string media_type;
    oci::Annotations annotations;
    Origin origin = Origin::file;
    std::string mount_from;  // from=REPO of its reference: tried instead of the push-wide one
    /// Set when the archive has been hashed but not walked yet (CheckTiming::beside_upload): the
    /// archive check under these limits is owed, and push_content runs it beside the upload.
    std::optional<bundle::UnpackLimits> pending_check;
};

/// When layer_from_archive walks an archive nobody checked before. Archives a record vouches for
/// (bundle::look_up_check) are only hashed either way.
enum class CheckTiming {
    now,            // before returning (a dry run, or archives checked together in a LayerSet)
    beside_upload,  // hash now; push_content walks it while it uploads (docs/performance.md);
                    // archives of at most 4 MiB are walked now all the same
};

struct PlatformContent {
    oci::Platform platform;
    std::vector<Layer> layers;
    std::string config;  // compact published metadata: the config blob's exact bytes
};

struct BuiltManifest {
    oci::Descriptor config;
    store::Manifest manifest;  // exact bytes + digest
    oci::IndexEntry entry;     // the index entry that points at it, with the platform
};

/// Describes an archive on disk as a layer: media type from the extension (refusing plain .tar,
/// .zip, …), digest and size from one read that also checks the archive (bundle/check.hpp).
/// Errors name the file.
/// Members are held to `limits` (bundle/limits.hpp), as install will hold them. With `set`, one
/// of several archives pushed together, checked with the others (bundle::LayerSet) and always
/// walked now: a record vouches for an archive alone. Otherwise `timing` says whether an archive
/// without a record is walked now or left to push_content (Layer::pending_check).
Result<Layer> layer_from_archive(const std::filesystem::path& path, const bundle::UnpackLimits& limits = {},
                                 bundle::LayerSet* set = nullptr, CheckTiming timing = CheckTiming::now);

/// Whether layer_from_registry may mount a blob that is not in the target (a dry run may not).
enum class Mounting { allowed, refused };

/// A digest reference (oci::LayerRef::Kind::digest) as a layer: its size from the target (HEAD); when
/// absent, mounted from the reference's `from=` (else `mount_from`) and looked up again. Still
/// absent: ErrorKind::not_found naming the reference and the target. Writes nothing else, so a
/// caller resolves every reference before any manifest or tag is written. Annotations from the tail.
/// With Mounting::refused nothing at all is written: an absent blob is not_found, naming the
/// repository a real run would mount it from.
Result<Layer> layer_from_registry(store::Target& target, const oci::LayerRef& ref, std::string_view mount_from,
                                  Mounting mounting = Mounting::allowed);

/// Serializes the manifest once; the digest is over exactly those bytes (pure).
BuiltManifest build_manifest(const PlatformContent& content);

/// PUTs a manifest or index whose bytes are always right for `reference` (a manifest by digest, a
/// canonical tag), one attempt at a time (Target::put_manifest_once), retrying the transient
/// failures under `policy` and waiting on `clock` (logged). One contract for "worth another PUT":
/// ErrorKind::transient, as the target classifies it — 5xx, 408, 429, resets, and docker-registry's
/// 400 MANIFEST_BLOB_UNKNOWN, which its filesystem storage answers while a concurrent writer
/// re-links a blob or manifest the document references (registry/registry_target.cpp). Tag
/// indexes are not PUT this way: they are merged from a read and retried from a fresh one (tags.hpp).
Status put_manifest_retrying(store::Target& target, std::string_view reference, const store::Manifest& manifest,
                             const RetryPolicy& policy, const RetryClock& clock);

/// Writes the canonical tag of a platform manifest (its digest as a tag, "sha256.<hex>",
/// docs/wire-format.md §5) by put_manifest_retrying; returns the tag. `push` and `release` both
/// write it this way, and a failure is reported at the step canonical_tag_step(tag).
Result<std::string> write_canonical_tag(store::Target& target, const store::Manifest& manifest, const RetryPolicy& policy,
                                        const RetryClock& clock);

/// "canonical tag <tag>": the report step of a canonical tag write.
std::string canonical_tag_step(std::string_view tag);

/// Pushes layers (HEAD first, skipped when present, mounted from `mount_from` when given),
/// then the config blob, then the manifest by digest (put_manifest_retrying). Returns what was
/// uploaded/skipped. `on_bytes`, when set, hears the layer bytes sent so far (all layers together;
/// it may go back when an upload is retried). Layers resolved by layer_from_registry are counted
/// (skipped or mounted), not sent. `layer_counts`, when set, receives the layers' counts alone.
/// A layer with a pending check is walked on a thread of its own while it and the blobs after it
/// upload, and the manifest is written only when it passes (an archive that fails its check may
/// leave blobs behind, unreferenced; nothing points at them). `uploaded`, when given, hears every blob uploaded,
/// also when the push then fails, so the report can name them.
Result<report::BlobCounts> push_content(store::Target& target, const PlatformContent& content, const BuiltManifest& built,
                                        std::string_view mount_from = {}, const RetryPolicy& policy = {},
                                        const RetryClock& clock = RetryClock::system(),
                                        const std::function<void(std::uint64_t)>& on_bytes = {},
                                        report::BlobCounts* layer_counts = nullptr,
                                        std::vector<report::Blob>* uploaded = nullptr);

}  // namespace ocx::publish
