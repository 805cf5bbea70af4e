#pragma once
// Referrer manifests (docs/wire-format.md §7 "Referrer manifest"): an OCI 1.1 image manifest whose
// `subject` names the manifest or index it is about, with the empty config and one layer holding the
// document (an SBOM, a Sigstore bundle, an in-toto statement). Pure: values in, bytes out.

#include <optional>
#include <string>
#include <string_view>

#include "oci/descriptor.hpp"
#include "oci/media_types.hpp"

namespace ocx::attest {

inline constexpr std::string_view kCycloneDx = "application/vnd.cyclonedx+json";
inline constexpr std::string_view kSigstoreBundle = "application/vnd.dev.sigstore.bundle.v0.3+json";
inline constexpr std::string_view kInToto = "application/vnd.in-toto+json";

inline constexpr std::string_view kAnnotationBundleContent = "dev.sigstore.bundle.content";
inline constexpr std::string_view kAnnotationPredicateType = "dev.sigstore.bundle.predicateType";

/// What is attached to a subject: the document and how it is typed.
struct Document {
    std::string kind;           // "sbom", "provenance", "signature", "sbom-attestation" (for people and the report)
    std::string artifact_type;  // the referrer manifest's artifactType; also the layer's media type
    std::string bytes;          // the layer's exact bytes
    oci::Annotations annotations;
    bool signed_ = false;
    /// What makes two documents the same attachment although their bytes differ (a fresh ECDSA
    /// signature or timestamp each run): see identity_of_bundle. Unsigned documents: their digest.
    std::string identity;
};

/// The referrer manifest's bytes: schemaVersion · mediaType · artifactType · config (empty) ·
/// layers (the document) · subject · annotations (sorted, omitted when empty).
std::string referrer_manifest(const Document& document, const oci::Descriptor& subject);

/// The parts of a referrer manifest a reader needs; ErrorKind::data when it is not one.
struct ReferrerManifest {
    std::string artifact_type;
    oci::Descriptor layer;
    std::optional<oci::Descriptor> subject;
    oci::Annotations annotations;
};
Result<ReferrerManifest> parse_referrer_manifest(std::string_view bytes);

}  // namespace ocx::attest
