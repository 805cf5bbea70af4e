#pragma once
// The `oci:DIR[:TAG]` target (docs/cli.md, "Targets"): an OCI image layout directory
// (OCI image spec, image-layout.md) that skopeo, umoci and crane read:
//   DIR/oci-layout        {"imageLayoutVersion":"1.0.0"}
//   DIR/index.json        tags = manifest entries annotated org.opencontainers.image.ref.name
//   DIR/blobs/sha256/<hex> every blob, manifest and index by digest
// Files appear atomically (temp + fsync + rename); index.json read-modify-write runs under an
// exclusive flock on DIR/.ocx-lock so concurrent processes cannot lose each other's tags.
// The layout is created on the first write, so reading a directory that does not exist (dry
// runs, verify, install) leaves the file system untouched and reports "repository not found".

#include <filesystem>
#include <memory>

#include "layout/index_file.hpp"
#include "store/target.hpp"

namespace ocx::layout {

class LayoutTarget : public store::Target {
public:
    /// A target over `dir`; nothing is checked or created (use open_layout).
    explicit LayoutTarget(std::filesystem::path dir);

    std::string describe() const override;
    Result<bool> blob_exists(const Digest& digest) override;
    Result<std::optional<std::uint64_t>> blob_size(const Digest& digest) override;
    Result<std::uint64_t> upload_blob(const store::BlobSource& blob) override;
    Result<bool> mount_blob(const Digest& digest, std::string_view from_repository) override;
    Status fetch_blob(const Digest& digest, const store::ByteSink& sink) override;
    Result<std::optional<store::Manifest>> get_manifest(std::string_view reference) override;
    Status put_manifest(std::string_view reference, const store::Manifest& manifest) override;
    Result<std::optional<std::vector<std::string>>> list_tags() override;

    /// Creates DIR, DIR/blobs/sha256, oci-layout and an empty index.json where missing (under
    /// the lock). Idempotent; the write methods call it themselves.
    Status ensure_created();

private:
    std::filesystem::path blob_path(const Digest& digest) const;
    /// index.json of the layout; an empty index when the file does not exist.
    Result<IndexFile> read_index() const;
    /// Reads a stored blob and checks it against `digest` (and `size` when given).
    Result<std::optional<std::string>> read_verified_blob(const Digest& digest, std::optional<std::uint64_t> size) const;
    Status store_blob_bytes(const Digest& digest, std::string_view bytes);

    std::filesystem::path dir_;
    bool created_ = false;
};

/// Opens the layout at `dir`. When the path exists it must be a directory that is empty or an
/// OCI layout (oci-layout with imageLayoutVersion 1.x, or at least index.json); otherwise
/// ErrorKind::data (refusing to scatter blobs into an unrelated directory). A missing `dir` is
/// fine: the first write creates it.
Result<std::unique_ptr<store::Target>> open_layout(const std::filesystem::path& dir);

}  // namespace ocx::layout
