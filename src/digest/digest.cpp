#include "digest/digest.hpp"

#include <fcntl.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace ocx {

namespace {
bool is_lower_hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}
}  // namespace

Result<Digest> Digest::parse(std::string_view text) {
    constexpr std::string_view prefix = "sha256:";
    if (text.substr(0, prefix.size()) != prefix)
        return make_error(ErrorKind::data, "invalid digest \"" + std::string(text) + "\": expected sha256:<64 hex digits>");
    auto hex = text.substr(prefix.size());
    if (hex.size() != 64 || !is_lower_hex(hex))
        return make_error(ErrorKind::data,
                          "invalid digest \"" + std::string(text) + "\": expected 64 lowercase hex digits after sha256:");
    Digest d;
    d.hex_ = std::string(hex);
    return d;
}

Digest Digest::from_bytes(std::span<const std::uint8_t, 32> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    Digest d;
    d.hex_.resize(64);
    for (std::size_t i = 0; i < 32; ++i) {
        d.hex_[2 * i] = digits[bytes[i] >> 4];
        d.hex_[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    return d;
}

Digest Digest::of(std::string_view bytes) {
    Sha256 h;
    h.update(bytes);
    return h.finish();
}

struct Sha256::Impl {
    EVP_MD_CTX* ctx = nullptr;
    ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
    impl_->ctx = EVP_MD_CTX_new();
    if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) std::abort();
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
    if (size != 0) EVP_DigestUpdate(impl_->ctx, data, size);
}

Digest Sha256::finish() {
    std::array<std::uint8_t, 32> out{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(impl_->ctx, out.data(), &len);
    return Digest::from_bytes(std::span<const std::uint8_t, 32>(out));
}

Result<FileDigest> digest_file(const std::filesystem::path& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr)
        return make_error(errno == ENOENT ? ErrorKind::not_found : ErrorKind::io,
                          path.string() + ": " + std::strerror(errno));
    ::posix_fadvise(::fileno(f), 0, 0, POSIX_FADV_SEQUENTIAL);  // a larger read-ahead
    Sha256 h;
    std::vector<char> buf(1 << 20);
    FileDigest out;
    for (;;) {
        std::size_t n = std::fread(buf.data(), 1, buf.size(), f);
        if (n > 0) {
            h.update(buf.data(), n);
            out.size += n;
        }
        if (n < buf.size()) break;
    }
    const bool failed = std::ferror(f) != 0;
    const int read_errno = errno;
    std::fclose(f);
    if (failed)
        return make_error(ErrorKind::io,
                          path.string() + ": " + (read_errno != 0 ? std::strerror(read_errno) : "read error"));
    out.digest = h.finish();
    return out;
}

}  // namespace ocx
