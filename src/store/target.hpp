#pragma once
// The storage interface (docs/architecture.md "Folders"): the seam between publishing decisions
// (publish/, install/) and storage, in a folder of its own so that the implementations depend on
// it and not on the orchestration that uses them. Two implementations:
//  * registry::RegistryTarget — the OCI distribution API over HTTP(S) (registry/),
//  * layout::LayoutTarget     — an OCI image layout directory on disk (layout/).
// Unit tests use an in-memory fake. Every call names one repository (fixed at construction).
// "Not there" is a value (nullopt/false), never an error; errors carry an ErrorKind that says
// whether retrying could help (transient) and map to exit codes.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "digest/digest.hpp"
#include "util/result.hpp"
#include "util/retry.hpp"

namespace ocx::store {

/// A manifest or index document exactly as stored: the digest is over `bytes`.
struct Manifest {
    std::string media_type;
    std::string bytes;
    Digest digest;
};

/// Where a blob's bytes come from when uploading: a file on disk (streamed) or bytes in memory.
struct BlobSource {
    Digest digest;
    std::uint64_t size = 0;
    std::filesystem::path path;  // used when non-empty
    std::string bytes;           // used when path is empty (config blobs)
    /// When set, hears the bytes of this blob sent so far (from the start again on a retry).
    std::function<void(std::uint64_t sent)> progress;
    /// When set (file blobs), sees each piece of the file as the upload reads it, with its offset
    /// (from the start again on a retry). Returning false stops the upload with an error.
    std::function<bool(std::uint64_t offset, const char* data, std::size_t size)> tap;
};

/// Receives blob bytes as they arrive; returning an error aborts the download.
using ByteSink = std::function<Status(const char* data, std::size_t size)>;

class Target {
public:
    virtual ~Target() = default;

    /// Human-readable place, for messages: "127.0.0.1:5000/acme/tool" or "oci:/path".
    virtual std::string describe() const = 0;

    /// True when the blob is present (registry: HEAD /v2/<repo>/blobs/<digest>).
    virtual Result<bool> blob_exists(const Digest& digest) = 0;
    /// Size of a blob present in the repository; nullopt when absent. Registries answer it from
    /// HEAD (Content-Length); this default counts the bytes fetch_blob delivers.
    virtual Result<std::optional<std::uint64_t>> blob_size(const Digest& digest) {
        auto present = blob_exists(digest);
        if (!present) return std::move(present).error();
        if (!*present) return std::optional<std::uint64_t>{};
        std::uint64_t size = 0;
        if (auto s = fetch_blob(digest,
                                [&size](const char*, std::size_t n) -> Status {
                                    size += n;
                                    return {};
                                });
            !s)
            return std::move(s).error();
        return std::optional<std::uint64_t>{size};
    }
    /// Uploads a blob whose digest and size are known up front. Returns bytes sent.
    virtual Result<std::uint64_t> upload_blob(const BlobSource& blob) = 0;
    /// Cross-repository mount from `from_repository` on the same registry; false when the
    /// target cannot mount (it then falls back to upload). Layout targets always return false.
    virtual Result<bool> mount_blob(const Digest& digest, std::string_view from_repository) = 0;
    /// Streams a blob into `sink`, verifying nothing (callers hash what they receive).
    /// nullopt-like: ErrorKind::not_found when absent.
    virtual Status fetch_blob(const Digest& digest, const ByteSink& sink) = 0;

    /// GET a manifest or index by tag or "sha256:…" digest; nullopt when absent (404).
    virtual Result<std::optional<Manifest>> get_manifest(std::string_view reference) = 0;
    /// PUT a manifest/index under a tag or under its digest. For a digest reference the bytes
    /// must hash to it.
    virtual Status put_manifest(std::string_view reference, const Manifest& manifest) = 0;
    /// put_manifest with one attempt: a transient failure comes back at once (with the server's
    /// Retry-After in `hint`) instead of being sent again later. For documents merged from a read
    /// (tag indexes): after a pause the caller must read and merge again, since the same bytes sent
    /// later would drop whatever a concurrent writer added meanwhile. Targets whose put_manifest
    /// makes one attempt anyway need not override this.
    virtual Status put_manifest_once(std::string_view reference, const Manifest& manifest, RetryHint& hint) {
        (void)hint;
        return put_manifest(reference, manifest);
    }
    /// PUT a referrer (a manifest naming a `subject`, OCI 1.1) under its digest. True when the
    /// registry answered with the OCI-Subject header: it keeps the Referrers API for that subject
    /// and no fallback tag is needed (docs/wire-format.md §7 "Discovery on every registry").
    /// Targets without the API (layouts) PUT it as any manifest and return false.
    virtual Result<bool> put_referrer(const Manifest& manifest) {
        if (auto s = put_manifest(manifest.digest.str(), manifest); !s) return std::move(s).error();
        return false;
    }
    /// The referrers index the registry keeps for `subject` (GET /v2/<repo>/referrers/<digest>);
    /// nullopt when the target has no Referrers API, so readers use the fallback tag instead.
    virtual Result<std::optional<Manifest>> get_referrers(const Digest& subject) {
        (void)subject;
        return std::optional<Manifest>();
    }
    /// Before any work is done: checks that the target answers and accepts these credentials,
    /// and with `Access::push` that they may write (docs/cli.md "Fail fast"). Targets with nothing
    /// to check (layouts) succeed.
    enum class Access { read, push };
    virtual Status check_access(Access access) {
        (void)access;
        return {};
    }
    /// All tags of the repository, complete (paginated by the implementation); nullopt when the
    /// repository does not exist (404 NAME_UNKNOWN).
    virtual Result<std::optional<std::vector<std::string>>> list_tags() = 0;
};

}  // namespace ocx::store
