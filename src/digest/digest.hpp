#pragma once
// Content digests as OCI writes them: "sha256:<64 lowercase hex>" (OCI image spec, descriptor.md).
// This module is the only includer of OpenSSL headers.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ocx {

class Digest {
public:
    Digest() = default;

    /// Parses "sha256:<64 lowercase hex>"; anything else is ErrorKind::data naming the text.
    static Result<Digest> parse(std::string_view text);
    /// From a raw 32-byte SHA-256 value.
    static Digest from_bytes(std::span<const std::uint8_t, 32> bytes);
    /// SHA-256 of a whole buffer.
    static Digest of(std::string_view bytes);

    /// "sha256:<hex>".
    std::string str() const { return "sha256:" + hex_; }
    /// The 64 hex characters only.
    const std::string& hex() const { return hex_; }
    /// "sha256.<hex>": the canonical tag OCX writes next to a manifest (docs/wire-format.md §1).
    std::string canonical_tag() const { return "sha256." + hex_; }
    bool empty() const { return hex_.empty(); }

    friend bool operator==(const Digest&, const Digest&) = default;
    friend auto operator<=>(const Digest&, const Digest&) = default;

private:
    std::string hex_;
};

/// Streaming SHA-256 over OpenSSL EVP. Move-only; finish() may be called once.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, std::size_t size);
    void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
    Digest finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

struct FileDigest {
    Digest digest;
    std::uint64_t size = 0;
};

/// Reads a file once in fixed-size chunks and returns its digest and size.
Result<FileDigest> digest_file(const std::filesystem::path& path);

}  // namespace ocx
