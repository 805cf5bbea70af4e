// Sigstore bundle v0.3 JSON (sigstore/protobuf-specs, bundle.proto; docs/wire-format.md §7).
// Field order as cosign v3 writes it through protojson: mediaType, verificationMaterial, then the
// content. HashAlgorithm SHA2_256. DSSE per github.com/secure-systems-lab/dsse protocol.md.
#include "attest/sigstore.hpp"

#include <boost/json.hpp>

#include "digest/base64.hpp"
#include "util/json.hpp"

namespace ocx::attest {

namespace bj = boost::json;

namespace {

std::string bundle_json(std::string_view hint, const char* content_key, bj::object content) {
    bj::object o;
    o["mediaType"] = kSigstoreBundle;
    o["verificationMaterial"] = bj::object{{"publicKey", bj::object{{"hint", hint}}}};
    o[content_key] = std::move(content);
    return bj::serialize(o);
}

const bj::value* at(const bj::value& v, std::initializer_list<std::string_view> path) {
    const bj::value* cur = &v;
    for (auto key : path) {
        const auto* o = cur->if_object();
        if (o == nullptr) return nullptr;
        cur = o->if_contains(key);
        if (cur == nullptr) return nullptr;
    }
    return cur;
}

std::string string_at(const bj::value& v, std::initializer_list<std::string_view> path) {
    const bj::value* s = at(v, path);
    return s && s->is_string() ? std::string(s->get_string()) : std::string();
}

Error bad(std::string_view why) { return make_error(ErrorKind::data, "Sigstore bundle: " + std::string(why)); }

}  // namespace

std::string dsse_pae(std::string_view payload_type, std::string_view payload) {
    return "DSSEv1 " + std::to_string(payload_type.size()) + " " + std::string(payload_type) + " " +
           std::to_string(payload.size()) + " " + std::string(payload);
}

Result<Document> message_signature(const SigningKey& key, std::string_view manifest_bytes, std::string_view created) {
    auto sig = key.sign(manifest_bytes);
    if (!sig) return std::move(sig).error();
    const Digest subject = Digest::of(manifest_bytes);
    bj::object content{{"messageDigest",
                        bj::object{{"algorithm", "SHA2_256"}, {"digest", base64_encode(digest_bytes(subject))}}},
                       {"signature", base64_encode(*sig)}};
    Document d;
    d.kind = "signature";
    d.artifact_type = std::string(kSigstoreBundle);
    d.bytes = bundle_json(key.hint(), "messageSignature", std::move(content));
    d.annotations[std::string(kAnnotationBundleContent)] = "message-signature";
    d.annotations[std::string(oci::kAnnotationCreated)] = std::string(created);
    d.signed_ = true;
    d.identity = "message-signature " + key.hint() + " " + subject.str();
    return d;
}

Result<Document> dsse_attestation(const SigningKey& key, std::string_view statement, std::string_view predicate_type,
                                  std::string_view kind, std::string_view created) {
    auto sig = key.sign(dsse_pae(kInToto, statement));
    if (!sig) return std::move(sig).error();
    bj::array sigs;
    sigs.push_back(bj::object{{"sig", base64_encode(*sig)}, {"keyid", ""}});
    bj::object content{{"payload", base64_encode(statement)}, {"payloadType", kInToto}, {"signatures", std::move(sigs)}};
    Document d;
    d.kind = std::string(kind);
    d.artifact_type = std::string(kSigstoreBundle);
    d.bytes = bundle_json(key.hint(), "dsseEnvelope", std::move(content));
    d.annotations[std::string(kAnnotationBundleContent)] = "dsse-envelope";
    d.annotations[std::string(kAnnotationPredicateType)] = std::string(predicate_type);
    d.annotations[std::string(oci::kAnnotationCreated)] = std::string(created);
    d.signed_ = true;
    d.identity = "dsse-envelope " + key.hint() + " " + Digest::of(statement).str();
    return d;
}

Result<Bundle> parse_bundle(std::string_view bytes) {
    auto doc = json::parse(bytes, "Sigstore bundle");
    if (!doc) return std::move(doc).error();
    if (string_at(*doc, {"mediaType"}) != kSigstoreBundle) return bad("mediaType is not " + std::string(kSigstoreBundle));
    Bundle b;
    b.hint = string_at(*doc, {"verificationMaterial", "publicKey", "hint"});
    if (at(*doc, {"messageSignature"}) != nullptr) {
        b.content = Bundle::Content::message_signature;
        if (string_at(*doc, {"messageSignature", "messageDigest", "algorithm"}) != "SHA2_256")
            return bad("messageDigest.algorithm is not SHA2_256");
        auto raw = base64_decode(string_at(*doc, {"messageSignature", "messageDigest", "digest"}), Base64Padding::required);
        if (!raw || raw->size() != 32) return bad("messageDigest.digest is not 32 bytes of base64");
        b.message_digest =
            Digest::from_bytes(std::span<const std::uint8_t, 32>(reinterpret_cast<const std::uint8_t*>(raw->data()), 32));
        auto sig = base64_decode(string_at(*doc, {"messageSignature", "signature"}), Base64Padding::required);
        if (!sig || sig->empty()) return bad("messageSignature.signature is not base64");
        b.signature = std::move(*sig);
        return b;
    }
    if (at(*doc, {"dsseEnvelope"}) != nullptr) {
        b.content = Bundle::Content::dsse_envelope;
        b.payload_type = string_at(*doc, {"dsseEnvelope", "payloadType"});
        auto payload = base64_decode(string_at(*doc, {"dsseEnvelope", "payload"}), Base64Padding::required);
        if (!payload) return bad("dsseEnvelope.payload is not base64");
        b.payload = std::move(*payload);
        const bj::value* sigs = at(*doc, {"dsseEnvelope", "signatures"});
        if (!sigs || !sigs->is_array() || sigs->get_array().size() != 1)
            return bad("dsseEnvelope.signatures does not hold exactly one signature");
        auto sig = base64_decode(string_at(sigs->get_array()[0], {"sig"}), Base64Padding::required);
        if (!sig || sig->empty()) return bad("dsseEnvelope.signatures[0].sig is not base64");
        b.signature = std::move(*sig);
        return b;
    }
    return bad("neither messageSignature nor dsseEnvelope");
}

std::string identity_of(const Bundle& bundle) {
    if (bundle.content == Bundle::Content::message_signature)
        return "message-signature " + bundle.hint + " " + bundle.message_digest.str();
    return "dsse-envelope " + bundle.hint + " " + Digest::of(bundle.payload).str();
}

Status verify_bundle(const Bundle& bundle, const SigningKey& key, std::string_view signed_manifest) {
    if (!bundle.hint.empty() && bundle.hint != key.hint())
        return bad("signed with another key (hint " + bundle.hint + ", the given key's is " + key.hint() + ")");
    if (bundle.content == Bundle::Content::message_signature) {
        if (Digest::of(signed_manifest) != bundle.message_digest)
            return bad("the message digest " + bundle.message_digest.str() + " is not the subject's");
        if (!key.verify(signed_manifest, bundle.signature)) return bad("the signature does not verify with the key");
        return {};
    }
    if (bundle.payload_type != kInToto) return bad("payloadType is not " + std::string(kInToto));
    if (!key.verify(dsse_pae(bundle.payload_type, bundle.payload), bundle.signature))
        return bad("the DSSE signature does not verify with the key");
    return {};
}

}  // namespace ocx::attest
