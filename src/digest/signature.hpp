#pragma once
// ECDSA P-256 keys and signatures, as cosign and OCX's keyed mode use them (docs/wire-format.md
// §7 "Keys"): private keys in PKCS#8 PEM (what `openssl genpkey -algorithm EC -pkeyopt
// ec_paramgen_curve:P-256` writes), public keys in SubjectPublicKeyInfo PEM, signatures over the
// SHA-256 of the signed bytes in DER (ECDSA-Sig-Value). The key hint a Sigstore bundle carries is
// the base64 SHA-256 of the DER public key (digest/base64.hpp).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "digest/digest.hpp"
#include "util/result.hpp"

namespace ocx {

/// The 32 raw bytes of a SHA-256 digest (Sigstore's messageDigest.digest is their base64).
std::string digest_bytes(const Digest& digest);

/// An ECDSA P-256 key, private (can sign) or public only. Move-only.
class SigningKey {
public:
    /// Parses a PKCS#8 PEM private key; ErrorKind::usage naming `source` when it is not PEM, not EC
    /// or not on P-256. The key text is never put into an error.
    static Result<SigningKey> private_from_pem(std::string_view pem, std::string_view source);
    /// Parses an SPKI PEM public key ("-----BEGIN PUBLIC KEY-----"), P-256 only.
    static Result<SigningKey> public_from_pem(std::string_view pem, std::string_view source);

    SigningKey(SigningKey&&) noexcept;
    SigningKey& operator=(SigningKey&&) noexcept;
    SigningKey(const SigningKey&) = delete;
    SigningKey& operator=(const SigningKey&) = delete;
    ~SigningKey();

    /// DER ECDSA signature over SHA-256(bytes). ErrorKind::usage for a public key.
    Result<std::string> sign(std::string_view bytes) const;
    /// True when `der_signature` is a valid signature over SHA-256(bytes) by this key.
    bool verify(std::string_view bytes, std::string_view der_signature) const;
    /// The DER SubjectPublicKeyInfo of the (public half of the) key.
    std::string public_der() const;
    /// The public key as SPKI PEM.
    std::string public_pem() const;
    /// base64(SHA-256(public_der())): the Sigstore bundle's publicKey.hint.
    std::string hint() const;

private:
    struct Impl;
    explicit SigningKey(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ocx
