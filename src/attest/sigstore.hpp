#pragma once
// Sigstore bundles v0.3 with a key (docs/wire-format.md §7 "Signed things"), the bytes cosign v3
// and OCX write: {"mediaType", "verificationMaterial": {"publicKey": {"hint"}}, and either
// "messageSignature" (a signature over a manifest's bytes, naming their SHA-256) or
// "dsseEnvelope" (an in-toto statement signed over the DSSE pre-authentication encoding)}.
// Protobuf JSON names, bytes in standard base64. No transparency-log entry: verified with
// `cosign verify --key … --insecure-ignore-tlog` and with `ocx-release verify --key`.

#include <string>
#include <string_view>

#include "attest/referrer.hpp"
#include "digest/digest.hpp"
#include "digest/signature.hpp"
#include "util/result.hpp"

namespace ocx::attest {

/// DSSE v1 pre-authentication encoding: "DSSEv1 <len(type)> <type> <len(payload)> <payload>".
std::string dsse_pae(std::string_view payload_type, std::string_view payload);

/// A signature over the manifest or index whose bytes hash to `subject` (the caller signs exactly
/// those bytes), as a referrer document. `created` is RFC 3339 UTC.
Result<Document> message_signature(const SigningKey& key, std::string_view manifest_bytes, std::string_view created);

/// An in-toto statement signed in a DSSE envelope, as a referrer document.
Result<Document> dsse_attestation(const SigningKey& key, std::string_view statement, std::string_view predicate_type,
                                  std::string_view kind, std::string_view created);

/// A bundle as read back.
struct Bundle {
    enum class Content { message_signature, dsse_envelope };
    Content content = Content::message_signature;
    std::string hint;       // verificationMaterial.publicKey.hint, "" when keyless
    Digest message_digest;  // message signatures
    std::string payload;    // DSSE: the raw statement
    std::string payload_type;
    std::string signature;  // raw DER
};
/// Parses a bundle; ErrorKind::data naming what is wrong.
Result<Bundle> parse_bundle(std::string_view bytes);

/// What makes two bundles the same attachment: the key hint and what was signed (the message
/// digest, or the SHA-256 of the DSSE payload). Fresh signatures differ each run; this does not.
std::string identity_of(const Bundle& bundle);

/// Checks the signature with `key`: over `signed_manifest` (whose SHA-256 must be the message
/// digest) for a message signature, over the PAE for an envelope. ErrorKind::data saying why not.
Status verify_bundle(const Bundle& bundle, const SigningKey& key, std::string_view signed_manifest);

}  // namespace ocx::attest
