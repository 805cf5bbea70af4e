#pragma once
// store::Target over the OCI distribution API (distribution spec v1.1: "Pulling", "Pushing",
// "Content Discovery"; docs/cli.md "Targets" and "Credentials").
//  * Blobs: HEAD before upload; uploads stream from disk, either monolithic (POST a session,
//    then PUT <location>?digest= with the whole body) or chunked (PATCH with Content-Range, each
//    body at most chunk_size, then an empty PUT ?digest=); cross-repository mount
//    (POST ?mount=&from=: 201 mounted, 202 not — the session is cancelled and false returned).
//  * Manifests: GET accepting OCI index/manifest and Docker list/manifest; PUT with the manifest's
//    own media type, by tag or digest. Tags: GET tags/list?n=, following Link rel="next".
//  * Digests the registry reports (Docker-Content-Digest) are checked against what we sent or
//    asked for. A mismatch is ErrorKind::data and never retried: the registry holds (or
//    serves) other bytes than the digest we would publish — re-sending the same bytes to a
//    registry that rewrites them changes nothing, and a report naming a digest nobody can pull
//    would be worse than failing.
//  * Failures: transient ones (network, 408, 429, 5xx) are retried per RetryPolicy, honouring
//    Retry-After; a retried upload starts a new session and re-reads the file from the start.
//    404 is a value (false / nullopt). Other errors carry method, status, the registry's error
//    code and message, and the reference.
// Safe to call from several threads at once (the release orchestrator uploads in parallel).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "oci/reference.hpp"
#include "registry/client.hpp"
#include "registry/credentials.hpp"
#include "registry/http.hpp"
#include "store/target.hpp"
#include "util/retry.hpp"

namespace ocx::registry {

/// Chunk size to use when chunked uploads are asked for without a size.
inline constexpr std::uint64_t kDefaultChunkSize = 4 * 1024 * 1024;

struct RegistryOptions {
    std::vector<std::string> insecure_registries;  // --insecure-registry; OCX_INSECURE_REGISTRIES is added
    std::string ca_file;                           // --ca-file; else SSL_CERT_FILE (and SSL_CERT_DIR)
    std::uint64_t chunk_size = 0;                  // 0 = monolithic uploads
    RetryPolicy retry;
    std::chrono::seconds connect_timeout{15};
    long low_speed_limit = 1024;              // bytes/s below which, for low_speed_time, a transfer
    std::chrono::seconds low_speed_time{60};  // is abandoned (transient) — no total timeout

    // Seams; the defaults are the real thing.
    EnvLookup env;  // empty: the process environment
    RetryClock clock = RetryClock::system();
    std::shared_ptr<Transport> transport;  // empty: libcurl
};

/// What a target did, for reports and benchmarks. A snapshot; counters only grow.
struct RegistryStats {
    std::uint64_t requests = 0;  // HTTP exchanges (pings, tokens, redirects, retries included)
    std::uint64_t blobs_uploaded = 0;
    std::uint64_t bytes_uploaded = 0;  // blob bytes of successful uploads
    std::uint64_t blobs_skipped = 0;   // HEAD found the blob present
    std::uint64_t blobs_mounted = 0;
    std::uint64_t retries = 0;  // attempts beyond the first, over all operations
};

class RegistryTarget final : public store::Target {
public:
    RegistryTarget(std::string registry, std::string repository, Credentials credentials,
                   std::vector<std::string> insecure_registries, std::shared_ptr<Transport> transport,
                   const RegistryOptions& options);

    std::string describe() const override;
    Result<bool> blob_exists(const Digest& digest) override;
    Result<std::optional<std::uint64_t>> blob_size(const Digest& digest) override;
    Result<std::uint64_t> upload_blob(const store::BlobSource& blob) override;
    Result<bool> mount_blob(const Digest& digest, std::string_view from_repository) override;
    Status fetch_blob(const Digest& digest, const store::ByteSink& sink) override;
    Result<std::optional<store::Manifest>> get_manifest(std::string_view reference) override;
    Status put_manifest(std::string_view reference, const store::Manifest& manifest) override;
    Status put_manifest_once(std::string_view reference, const store::Manifest& manifest, RetryHint& hint) override;
    Result<std::optional<std::vector<std::string>>> list_tags() override;
    Result<bool> put_referrer(const store::Manifest& manifest) override;
    Result<std::optional<store::Manifest>> get_referrers(const Digest& subject) override;
    /// GET /v2/ (the registry answers; the credentials, or a token for pull,push, are accepted);
    /// for `push` on a registry that does not use Bearer tokens also an upload session opened and
    /// cancelled (preflight.cpp).
    Status check_access(Access access) override;

    RegistryStats stats() const;

private:
    template <class T, class Attempt>
    Result<T> with_retry(std::string_view what, Attempt&& attempt);
    /// The error for an unexpected response; records Retry-After in `hint` for transient ones.
    Error failure(std::string_view action, const HttpResponse& response, RetryHint& hint) const;
    /// ErrorKind::data when the response's Docker-Content-Digest differs from `expected`.
    Status check_digest_header(std::string_view what, const HttpResponse& response, const Digest& expected) const;
    /// One PUT; `subject_answered`, when given, is set when the registry answered OCI-Subject.
    Status put_manifest_attempt(std::string_view reference, const store::Manifest& manifest, RetryHint& hint,
                                bool* subject_answered = nullptr);
    Result<std::uint64_t> upload_once(const store::BlobSource& blob, RetryHint& hint);
    /// One HEAD of a blob (the callers' retry loops read its status).
    Result<HttpResponse> head_blob(const Digest& digest);
    std::string blobs_path(const Digest& digest) const;
    std::string manifests_path(std::string_view reference) const;
    std::string ref_text(std::string_view reference) const;

    std::unique_ptr<Client> client_;
    std::uint64_t chunk_size_;
    RetryPolicy retry_;
    RetryClock clock_;
    std::atomic<std::uint64_t> blobs_uploaded_{0}, bytes_uploaded_{0}, blobs_skipped_{0}, blobs_mounted_{0}, retries_{0};
};

/// Opens `ref` (a registry reference; tag/digest ignored): resolves credentials (which may run a
/// credential helper), merges OCX_INSECURE_REGISTRIES, picks the CA bundle. Nothing is sent yet.
Result<std::unique_ptr<RegistryTarget>> open_registry_target(const oci::Reference& ref, const RegistryOptions& options);

/// open_registry_target as the publish seam.
Result<std::unique_ptr<store::Target>> open_registry(const oci::Reference& ref, const RegistryOptions& options);

template <class T, class Attempt>
Result<T> RegistryTarget::with_retry(std::string_view what, Attempt&& attempt) {
    int attempts = 0;
    return retry<T>(retry_, clock_, what, [&](RetryHint& hint) -> Result<T> {
        if (attempts++ > 0) retries_.fetch_add(1);
        return attempt(hint);
    });
}

}  // namespace ocx::registry
