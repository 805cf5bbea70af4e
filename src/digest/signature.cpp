#include "digest/signature.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <vector>

#include "digest/base64.hpp"
#include "digest/digest.hpp"

namespace ocx {

struct SigningKey::Impl {
    EVP_PKEY* key = nullptr;
    bool has_private = false;
    ~Impl() { EVP_PKEY_free(key); }
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

namespace {

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};

// ECDSA on P-256 only: the curve cosign's keys and the Sigstore bundle's "ECDSA_P256_SHA256" use.
bool is_p256(EVP_PKEY* key) {
    if (EVP_PKEY_base_id(key) != EVP_PKEY_EC) return false;
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1) return false;
    return std::string_view(group, len) == "prime256v1" || std::string_view(group, len) == "P-256";
}

}  // namespace

Result<SigningKey> SigningKey::private_from_pem(std::string_view pem, std::string_view source) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return make_error(ErrorKind::internal, "out of memory reading a key");
    if (pem.find("-----BEGIN PRIVATE KEY-----") == std::string_view::npos)
        return make_error(ErrorKind::usage, std::string(source) +
                                                ": not a PKCS#8 PEM private key (\"-----BEGIN PRIVATE KEY-----\"); make one "
                                                "with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`");
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (key == nullptr) return make_error(ErrorKind::usage, std::string(source) + ": the private key cannot be read");
    auto impl = std::make_unique<Impl>();
    impl->key = key;
    impl->has_private = true;
    if (!is_p256(key)) return make_error(ErrorKind::usage, std::string(source) + ": not an ECDSA P-256 key");
    return SigningKey(std::move(impl));
}

Result<SigningKey> SigningKey::public_from_pem(std::string_view pem, std::string_view source) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return make_error(ErrorKind::internal, "out of memory reading a key");
    EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
    if (key == nullptr)
        return make_error(ErrorKind::usage, std::string(source) + ": not a PEM public key (\"-----BEGIN PUBLIC KEY-----\")");
    auto impl = std::make_unique<Impl>();
    impl->key = key;
    if (!is_p256(key)) return make_error(ErrorKind::usage, std::string(source) + ": not an ECDSA P-256 key");
    return SigningKey(std::move(impl));
}

Result<std::string> SigningKey::sign(std::string_view bytes) const {
    if (!impl_->has_private) return make_error(ErrorKind::usage, "a public key cannot sign");
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) return make_error(ErrorKind::internal, "out of memory signing");
    std::string sig;
    std::size_t len = 0;
    bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, impl_->key) == 1 &&
              EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) == 1;
    if (ok) {
        sig.resize(len);
        ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                            reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) == 1;
        sig.resize(len);
    }
    EVP_MD_CTX_free(ctx);
    if (!ok) return make_error(ErrorKind::internal, "ECDSA signing failed");
    return sig;
}

bool SigningKey::verify(std::string_view bytes, std::string_view der_signature) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) return false;
    const bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, impl_->key) == 1 &&
                    EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der_signature.data()), der_signature.size(),
                                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

std::string SigningKey::public_der() const {
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(impl_->key, &der);
    if (len <= 0) return {};
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return out;
}

std::string SigningKey::public_pem() const {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), impl_->key) != 1) return {};
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::string digest_bytes(const Digest& digest) {
    auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    std::string raw;
    const std::string& hex = digest.hex();
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        raw.push_back(static_cast<char>((nibble(hex[i]) << 4) | nibble(hex[i + 1])));
    return raw;
}

std::string SigningKey::hint() const { return base64_encode(digest_bytes(Digest::of(public_der()))); }

}  // namespace ocx
