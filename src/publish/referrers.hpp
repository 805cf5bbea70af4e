#pragma once
// Referrers on every registry (docs/wire-format.md §7 "Discovery on every registry"): attaching a
// document (SBOM, signature, attestation) to a manifest or index, and listing what is attached.
//  * Attach pushes the empty config and the document, then the referrer manifest by digest. A
//    registry that answers OCI-Subject keeps the Referrers API; otherwise the fallback tag
//    `sha256-<subject hex>` (an image index of referrer descriptors) is updated by read–merge–write
//    with the read-back care of version tags (publish/tags.hpp): a pause, a read-back, and a merge
//    again when a concurrent writer dropped our entry — two writers on one subject lose nothing.
//  * Idempotent: a document the subject already has (same identity: the bytes' digest for unsigned
//    documents, key hint and signed content for Sigstore bundles) is not attached again.
//  * Readers try GET /v2/<repo>/referrers/<digest> first, then the fallback tag.

#include <cstdint>
#include <string>
#include <vector>

#include "attest/referrer.hpp"
#include "oci/descriptor.hpp"
#include "publish/tags.hpp"
#include "store/target.hpp"

namespace ocx::publish {

/// One entry of a subject's referrers (API answer or fallback index).
struct Referrer {
    Digest digest;
    std::uint64_t size = 0;
    std::string artifact_type;
    oci::Annotations annotations;
};

/// The fallback tag for `subject`: "sha256-<hex>".
std::string fallback_tag(const Digest& subject);

/// Everything attached to `subject`: the Referrers API's index when the target has one, else the
/// fallback tag's index (empty when the tag does not exist).
Result<std::vector<Referrer>> list_referrers(store::Target& target, const Digest& subject);

enum class AttachWay { referrers_api, fallback_tag, existing };

struct Attached {
    Digest digest;  // the referrer manifest
    std::uint64_t size = 0;
    AttachWay way = AttachWay::existing;
};

/// The listing entry of a referrer manifest, read from its own bytes (not from a listing that
/// names it): ErrorKind::data when it is not a manifest naming `subject`, or when its
/// artifactType or annotations are larger than a referrers index entry should be (64 keys, 16 KiB).
Result<Referrer> referrer_of_manifest(const store::Manifest& manifest, const Digest& subject);

/// Stores `manifest`, a referrer of `subject` whose blobs are already in `target`, and lists it
/// there as `listed` says (artifactType, annotations): through the Referrers API when the target
/// answers OCI-Subject, else in the fallback tag (read–merge–write, paused read-back, merged again
/// when a concurrent writer dropped it). What `attach` and `copy` both end with.
Result<AttachWay> store_referrer(store::Target& target, const Digest& subject, const store::Manifest& manifest,
                                 const Referrer& listed, const WriteOptions& options);

/// The referrer manifest a document would get (no I/O): what dry runs and reports name.
store::Manifest referrer_for(const attest::Document& document, const oci::Descriptor& subject);

/// Attaches `document` to `subject` unless it is already there (then the existing referrer is
/// returned, way = existing). Uses options.settle, max_attempts, tag_retry, manifest_retry, clock.
Result<Attached> attach(store::Target& target, const oci::Descriptor& subject, const attest::Document& document,
                        const WriteOptions& options);

/// The identity (attest::Document::identity) of an attached referrer, read from the target:
/// its layer's digest, or for a Sigstore bundle the key hint and what it signs.
Result<std::string> identity_of_referrer(store::Target& target, const Referrer& referrer);

/// A referrer's document as stored: its manifest and the layer's bytes (at most 4 MiB).
struct StoredReferrer {
    store::Manifest manifest;
    attest::ReferrerManifest parsed;
    std::string document;
};
Result<StoredReferrer> read_referrer(store::Target& target, const Digest& referrer);

}  // namespace ocx::publish
