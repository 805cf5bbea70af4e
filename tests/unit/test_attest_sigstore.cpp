// attest/sigstore.cpp, attest/referrer.cpp, digest/signature.cpp: bundle bytes, PAE, signatures.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "attest/referrer.hpp"
#include "attest/sigstore.hpp"
#include "digest/base64.hpp"
#include "digest/signature.hpp"

namespace ocx::attest {

namespace {
// A throwaway P-256 key pair made for these tests (openssl genpkey … ec_paramgen_curve:P-256).
constexpr std::string_view kPrivate = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgv5jkELfExXSCbw9A
hB4HZPCvlJnrRUasHHZsu7GfB8qhRANCAATMEtOuPIVacn8vSPuCjU+Q4xcd6CXh
VIQyydpTQaQ8kdAgV5mrUzTpvd9KLSXbU1cNP6lT7O2Ue0Hr7xKQWR+G
-----END PRIVATE KEY-----
)";
constexpr std::string_view kPublic = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEzBLTrjyFWnJ/L0j7go1PkOMXHegl
4VSEMsnaU0GkPJHQIFeZq1M06b3fSi0l21NXDT+pU+ztlHtB6+8SkFkfhg==
-----END PUBLIC KEY-----
)";
}  // namespace

TEST_CASE("DSSE pre-authentication encoding") {
    CHECK(dsse_pae("application/vnd.in-toto+json", "{}") == "DSSEv1 28 application/vnd.in-toto+json 2 {}");
    CHECK(dsse_pae("", "") == "DSSEv1 0  0 ");
}

TEST_CASE("base64 round trip and refusals") {
    for (std::string_view s : {"", "a", "ab", "abc", "abcd", "\xff\x00\x10"}) {
        const std::string text(s);
        CHECK(base64_decode(base64_encode(text), Base64Padding::required) == text);
    }
    CHECK(base64_encode("abc") == "YWJj");
    CHECK_FALSE(base64_decode("YWJ", Base64Padding::required).has_value());
    CHECK_FALSE(base64_decode("YW!j", Base64Padding::required).has_value());
}

TEST_CASE("keys: private signs, public verifies, hint is base64 SHA-256 of the DER key") {
    auto key = SigningKey::private_from_pem(kPrivate, "test key");
    REQUIRE(key.ok());
    auto pub = SigningKey::public_from_pem(kPublic, "test pub");
    REQUIRE(pub.ok());
    CHECK(key->hint() == pub->hint());
    CHECK(key->public_der() == pub->public_der());
    auto sig = key->sign("hello");
    REQUIRE(sig.ok());
    CHECK(pub->verify("hello", *sig));
    CHECK_FALSE(pub->verify("hellO", *sig));
    CHECK_FALSE(pub->sign("x").ok());

    SUBCASE("a public key or garbage is not a private key; the text is never in the error") {
        auto bad = SigningKey::private_from_pem(kPublic, "--sign-key k.pem");
        REQUIRE_FALSE(bad.ok());
        CHECK(bad.error().kind == ErrorKind::usage);
        CHECK(bad.error().message.find("--sign-key k.pem") == 0);
        CHECK(bad.error().message.find("MFkw") == std::string::npos);
    }
}

TEST_CASE("message signature bundle: fields, verification, identity") {
    auto key = SigningKey::private_from_pem(kPrivate, "k");
    auto pub = SigningKey::public_from_pem(kPublic, "p");
    REQUIRE((key.ok() && pub.ok()));
    const std::string manifest = R"({"schemaVersion":2})";
    auto doc = message_signature(*key, manifest, "2026-01-02T03:04:05Z");
    REQUIRE(doc.ok());
    CHECK(doc->artifact_type == kSigstoreBundle);
    CHECK(doc->annotations.at("dev.sigstore.bundle.content") == "message-signature");
    CHECK(doc->annotations.at("org.opencontainers.image.created") == "2026-01-02T03:04:05Z");
    CHECK(
        doc->bytes.rfind(
            R"({"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":")",
            0) == 0);
    auto parsed = parse_bundle(doc->bytes);
    REQUIRE(parsed.ok());
    CHECK(parsed->message_digest == Digest::of(manifest));
    CHECK(verify_bundle(*parsed, *pub, manifest).ok());
    CHECK_FALSE(verify_bundle(*parsed, *pub, manifest + " ").ok());
    CHECK(identity_of(*parsed) == doc->identity);
    // A second signature has other bytes (ECDSA is randomized) and the same identity.
    auto again = message_signature(*key, manifest, "2026-01-02T03:04:06Z");
    REQUIRE(again.ok());
    CHECK(again->identity == doc->identity);
}

TEST_CASE("DSSE bundle: verifies over the PAE, refuses a changed payload") {
    auto key = SigningKey::private_from_pem(kPrivate, "k");
    auto pub = SigningKey::public_from_pem(kPublic, "p");
    REQUIRE((key.ok() && pub.ok()));
    const std::string statement = R"({"_type":"https://in-toto.io/Statement/v1"})";
    auto doc = dsse_attestation(*key, statement, "https://slsa.dev/provenance/v1", "provenance", "2026-01-02T03:04:05Z");
    REQUIRE(doc.ok());
    CHECK(doc->annotations.at("dev.sigstore.bundle.predicateType") == "https://slsa.dev/provenance/v1");
    auto parsed = parse_bundle(doc->bytes);
    REQUIRE(parsed.ok());
    CHECK(parsed->payload == statement);
    CHECK(verify_bundle(*parsed, *pub, "").ok());
    parsed->payload[3] = 'X';
    auto bad = verify_bundle(*parsed, *pub, "");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("does not verify") != std::string::npos);
}

TEST_CASE("referrer manifest: field order, empty config, subject, sorted annotations") {
    Document d;
    d.artifact_type = std::string(kCycloneDx);
    d.bytes = "{}";
    const oci::Descriptor subject{"application/vnd.oci.image.manifest.v1+json", Digest::of("m"), 1, {}};
    const std::string bytes = referrer_manifest(d, subject);
    CHECK(
        bytes.rfind(
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.cyclonedx+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[)",
            0) == 0);
    CHECK(bytes.find("annotations") == std::string::npos);
    auto parsed = parse_referrer_manifest(bytes);
    REQUIRE(parsed.ok());
    CHECK(parsed->subject->digest == subject.digest);
    CHECK(parsed->layer.digest == Digest::of("{}"));
    d.annotations = {{"b", "2"}, {"a", "1"}};
    CHECK(referrer_manifest(d, subject).find(R"("annotations":{"a":"1","b":"2"}})") != std::string::npos);
}

}  // namespace ocx::attest
