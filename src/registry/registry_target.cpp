#include "registry/registry_target.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <filesystem>
#include <set>

#include "oci/descriptor.hpp"
#include "oci/media_types.hpp"
#include "oci/reference.hpp"
#include "registry/curl_transport.hpp"
#include "registry/errors.hpp"
#include "registry/headers.hpp"
#include "registry/url.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

namespace ocx::registry {

namespace {

constexpr int kTagPageSize = 1000;
constexpr int kMaxTagPages = 100000;
// Far more tags than a package has; what a listing holds in memory stays a few MiB (names are
// at most 128 bytes: anything longer, or outside the tag grammar, is not a tag and is dropped).
constexpr std::size_t kMaxTags = 100000;

// One page of a tag listing: the repository is missing (404 on the first page), or where to go next.
struct TagPage {
    bool missing = false;
    std::optional<std::string> next;
};

bool is_digest_reference(std::string_view reference) { return reference.find(':') != std::string_view::npos; }

}  // namespace

RegistryTarget::RegistryTarget(std::string registry, std::string repository, Credentials credentials,
                               std::vector<std::string> insecure_registries, std::shared_ptr<Transport> transport,
                               const RegistryOptions& options)
    : client_(std::make_unique<Client>(std::move(registry), std::move(repository), std::move(credentials),
                                       std::move(transport), std::move(insecure_registries), options.clock.now)),
      chunk_size_(options.chunk_size),
      retry_(options.retry),
      clock_(options.clock) {}

std::string RegistryTarget::describe() const { return client_->registry() + "/" + client_->repository(); }

RegistryStats RegistryTarget::stats() const {
    RegistryStats s;
    s.requests = client_->requests();
    s.blobs_uploaded = blobs_uploaded_.load();
    s.bytes_uploaded = bytes_uploaded_.load();
    s.blobs_skipped = blobs_skipped_.load();
    s.blobs_mounted = blobs_mounted_.load();
    s.retries = retries_.load();
    return s;
}

std::string RegistryTarget::blobs_path(const Digest& digest) const {
    return "/v2/" + client_->repository() + "/blobs/" + digest.str();
}

std::string RegistryTarget::manifests_path(std::string_view reference) const {
    return "/v2/" + client_->repository() + "/manifests/" + std::string(reference);
}

std::string RegistryTarget::ref_text(std::string_view reference) const {
    return describe() + (is_digest_reference(reference) ? "@" : ":") + std::string(reference);
}

Error RegistryTarget::failure(std::string_view action, const HttpResponse& response, RetryHint& hint) const {
    if (response.status == 401) return client_->unauthorized_error(action, response);
    if (is_transient_status(response.status))
        if (const auto value = response.header("retry-after"))
            hint.retry_after = parse_retry_after(*value, std::chrono::system_clock::now());
    return http_error(action, response);
}

Status RegistryTarget::check_digest_header(std::string_view what, const HttpResponse& response,
                                           const Digest& expected) const {
    const auto header = response.header("docker-content-digest");
    if (!header || header->empty() || *header == expected.str()) return {};
    return make_error(ErrorKind::data, std::string(what) + ": the registry reports digest " + escape_text(*header) +
                                           ", expected " + expected.str() + " (Docker-Content-Digest)");
}

Result<HttpResponse> RegistryTarget::head_blob(const Digest& digest) {
    RegistryRequest req;
    req.method = "HEAD";
    req.target = blobs_path(digest);
    req.follow_redirects = true;
    return client_->exchange(req);
}

Result<bool> RegistryTarget::blob_exists(const Digest& digest) {
    const std::string action = "HEAD blob " + describe() + "@" + digest.str();
    auto found = with_retry<bool>(action, [&](RetryHint& hint) -> Result<bool> {
        auto r = head_blob(digest);
        if (!r) return std::move(r).error();
        if (r->status == 200) return true;
        if (r->status == 404) return false;
        return failure(action, *r, hint);
    });
    if (found.ok() && *found) blobs_skipped_.fetch_add(1);
    return found;
}

Result<std::optional<std::uint64_t>> RegistryTarget::blob_size(const Digest& digest) {
    const std::string action = "HEAD blob " + describe() + "@" + digest.str();
    return with_retry<std::optional<std::uint64_t>>(action, [&](RetryHint& hint) -> Result<std::optional<std::uint64_t>> {
        auto r = head_blob(digest);
        if (!r) return std::move(r).error();
        if (r->status == 404) return std::optional<std::uint64_t>{};
        if (r->status != 200) return failure(action, *r, hint);
        const auto length = r->header("content-length");
        std::uint64_t size = 0;
        const char* first = length ? length->data() : nullptr;
        const char* last = length ? length->data() + length->size() : nullptr;
        auto [end, ec] = std::from_chars(first, last, size);
        if (!length || length->empty() || ec != std::errc() || end != last)
            return make_error(ErrorKind::data, action + ": the registry gave no usable Content-Length (" +
                                                   escape_text(length.value_or("none")) + ")");
        return std::optional<std::uint64_t>{size};
    });
}

Status RegistryTarget::fetch_blob(const Digest& digest, const store::ByteSink& sink) {
    const std::string action = "GET blob " + describe() + "@" + digest.str();
    return with_retry<void>(action, [&](RetryHint& hint) -> Status {
        std::uint64_t delivered = 0;
        const store::ByteSink counting = [&](const char* data, std::size_t size) -> Status {
            delivered += size;
            return sink(data, size);
        };
        RegistryRequest req;
        req.method = "GET";
        req.target = blobs_path(digest);
        req.follow_redirects = true;
        req.sink = &counting;
        auto r = client_->exchange(req);
        // Bytes already handed on cannot be taken back: such a failure is not retried here.
        hint.final = delivered > 0;
        if (!r) return std::move(r).error();
        if (r->status == 200) return {};
        if (r->status == 404)
            return make_error(ErrorKind::not_found, "blob " + digest.str() + " not found in " + describe());
        return failure(action, *r, hint);
    });
}

Result<std::optional<store::Manifest>> RegistryTarget::get_manifest(std::string_view reference) {
    using Out = std::optional<store::Manifest>;
    const std::string action = "GET manifest " + ref_text(reference);
    return with_retry<Out>(action, [&](RetryHint& hint) -> Result<Out> {
        RegistryRequest req;
        req.method = "GET";
        req.target = manifests_path(reference);
        req.follow_redirects = true;
        req.headers.push_back({"Accept", std::string(oci::kImageIndex) + ", " + std::string(oci::kImageManifest) + ", " +
                                             std::string(oci::kDockerManifestList) + ", " +
                                             std::string(oci::kDockerManifest)});
        auto r = client_->exchange(req);
        if (!r) return std::move(r).error();
        if (r->status == 404) return Out();
        if (r->status != 200) return failure(action, *r, hint);
        store::Manifest m;
        m.bytes = std::move(r->body);
        m.digest = Digest::of(m.bytes);
        m.media_type = media_type_of(r->header("content-type").value_or(""));
        if (m.media_type.empty() || m.media_type == "application/json" || m.media_type == "application/octet-stream")
            m.media_type = oci::sniff_media_type(m.bytes);
        if (is_digest_reference(reference) && m.digest.str() != reference)
            return make_error(ErrorKind::data, action + ": the registry served bytes with digest " + m.digest.str());
        if (Status s = check_digest_header(action, *r, m.digest); !s) return std::move(s).error();
        return Out(std::move(m));
    });
}

Status RegistryTarget::put_manifest(std::string_view reference, const store::Manifest& manifest) {
    return with_retry<void>("PUT manifest " + ref_text(reference),
                            [&](RetryHint& hint) { return put_manifest_attempt(reference, manifest, hint); });
}

Status RegistryTarget::put_manifest_once(std::string_view reference, const store::Manifest& manifest, RetryHint& hint) {
    return put_manifest_attempt(reference, manifest, hint);
}

Status RegistryTarget::put_manifest_attempt(std::string_view reference, const store::Manifest& manifest, RetryHint& hint,
                                            bool* subject_answered) {
    const std::string action = "PUT manifest " + ref_text(reference);
    // Callers hash once and push exactly those bytes; anything else is a bug upstream.
    if (Digest::of(manifest.bytes) != manifest.digest)
        return make_error(ErrorKind::internal, action + ": the bytes do not hash to " + manifest.digest.str());
    if (is_digest_reference(reference) && reference != manifest.digest.str())
        return make_error(ErrorKind::internal, action + ": the manifest's digest is " + manifest.digest.str());
    RegistryRequest req;
    req.method = "PUT";
    req.target = manifests_path(reference);
    req.headers.push_back({"Content-Type", manifest.media_type});
    req.body = RequestBody{manifest.bytes, {}, 0, 0, {}, {}};
    auto r = client_->exchange(req);
    if (!r) return std::move(r).error();
    if (r->status != 201 && r->status != 200) {
        Error e = failure(action, *r, hint);
        // Manifests are only PUT after every blob they name was confirmed (HEAD 200 or upload
        // 201), so "blob unknown" means the registry's storage has not caught up: eventually
        // consistent back ends, or docker-registry's filesystem driver, which rewrites a
        // blob's link file in place while a concurrent push of the same blob is under way
        // (found by tests/integration/test_races.py). Worth the bounded retries.
        if (r->status == 400 && has_error_code(r->body, "MANIFEST_BLOB_UNKNOWN")) e.kind = ErrorKind::transient;
        return e;
    }
    if (subject_answered != nullptr) *subject_answered = r->header("oci-subject").has_value();
    return check_digest_header(action, *r, manifest.digest);
}

// Distribution spec v1.1 "Pushing manifests with subject": a registry that keeps the Referrers API
// answers the PUT with OCI-Subject: <subject digest>. Any other answer leaves the index to us.
Result<bool> RegistryTarget::put_referrer(const store::Manifest& manifest) {
    const std::string reference = manifest.digest.str();
    return with_retry<bool>("PUT manifest " + ref_text(reference), [&](RetryHint& hint) -> Result<bool> {
        bool answered = false;
        if (Status s = put_manifest_attempt(reference, manifest, hint, &answered); !s) return std::move(s).error();
        return answered;
    });
}

// Distribution spec v1.1 "Listing referrers": a registry with the API answers 200 with an image
// index (empty when nothing refers to the subject) and never 404; 404 (docker-registry 2.8 has no
// such route), 405 and 400 say it has none.
Result<std::optional<store::Manifest>> RegistryTarget::get_referrers(const Digest& subject) {
    using Out = std::optional<store::Manifest>;
    const std::string action = "GET referrers " + describe() + "@" + subject.str();
    return with_retry<Out>(action, [&](RetryHint& hint) -> Result<Out> {
        RegistryRequest req;
        req.method = "GET";
        req.target = "/v2/" + client_->repository() + "/referrers/" + subject.str();
        req.follow_redirects = true;
        req.headers.push_back({"Accept", std::string(oci::kImageIndex)});
        auto r = client_->exchange(req);
        if (!r) return std::move(r).error();
        if (r->status == 404 || r->status == 405 || r->status == 400) return Out();
        if (r->status != 200) return failure(action, *r, hint);
        store::Manifest m;
        m.bytes = std::move(r->body);
        m.digest = Digest::of(m.bytes);
        m.media_type = std::string(oci::kImageIndex);
        return Out(std::move(m));
    });
}

Result<std::optional<std::vector<std::string>>> RegistryTarget::list_tags() {
    using Out = std::optional<std::vector<std::string>>;
    const std::string action = "GET tags " + describe();
    std::vector<std::string> tags;
    std::size_t not_tags = 0;  // listed names outside the tag grammar
    std::set<std::string> seen_pages;
    std::string target = "/v2/" + client_->repository() + "/tags/list?n=" + std::to_string(kTagPageSize);
    for (int page = 0; page < kMaxTagPages; ++page) {
        // One page per retry loop: a failure on page 7 does not start over from page 1.
        auto page_result = with_retry<TagPage>(action, [&](RetryHint& hint) -> Result<TagPage> {
            RegistryRequest req;
            req.method = "GET";
            req.target = target;
            req.follow_redirects = true;
            auto r = client_->exchange(req);
            if (!r) return std::move(r).error();
            if (r->status == 404 && page == 0) return TagPage{true, std::nullopt};
            if (r->status != 200) return failure(action, *r, hint);
            boost::system::error_code ec;
            const boost::json::value doc = boost::json::parse(r->body, ec);
            const boost::json::value* list = !ec && doc.is_object() ? doc.as_object().if_contains("tags") : nullptr;
            if (list == nullptr || !(list->is_array() || list->is_null()))
                return make_error(ErrorKind::unavailable, action + ": the registry's answer has no \"tags\" list");
            if (list->is_array())
                for (const auto& t : list->as_array()) {
                    const std::string_view name = t.is_string() ? std::string_view(t.as_string()) : std::string_view();
                    auto valid = oci::normalize_tag(name);
                    if (!valid || *valid != name) {
                        ++not_tags;
                        continue;
                    }
                    if (tags.size() == kMaxTags)
                        return make_error(ErrorKind::unavailable,
                                          action + ": more than " + std::to_string(kMaxTags) + " tags");
                    tags.emplace_back(name);
                }
            const auto link = r->header("link");
            const auto next_ref = link ? parse_link_next(*link) : std::nullopt;
            if (!next_ref) return TagPage{};
            return TagPage{false, resolve_url(r->url, *next_ref)};
        });
        if (!page_result) return std::move(page_result).error();
        if (page_result->missing) return Out();
        const std::optional<std::string>& next = page_result->next;
        if (!next) {
            if (not_tags > 0)
                log::warn(action + ": ignored " + std::to_string(not_tags) + " listed name(s) that are not tags");
            return Out(std::move(tags));
        }
        if (next->empty() || !seen_pages.insert(*next).second)
            return make_error(ErrorKind::unavailable, action + ": the registry's pagination loops or is unusable");
        target = *next;
    }
    return make_error(ErrorKind::unavailable, action + ": more than " + std::to_string(kMaxTagPages) + " pages of tags");
}

Result<std::unique_ptr<RegistryTarget>> open_registry_target(const oci::Reference& ref, const RegistryOptions& options) {
    if (ref.is_layout() || ref.registry.empty() || ref.repository.empty())
        return make_error(ErrorKind::internal, "open_registry: not a registry reference: " + ref.repository);
    const EnvLookup env = options.env ? options.env : process_env();

    std::vector<std::string> insecure = options.insecure_registries;
    if (const auto list = env("OCX_INSECURE_REGISTRIES"))
        for (auto& host : split_insecure_list(*list)) insecure.push_back(std::move(host));

    std::shared_ptr<Transport> transport = options.transport;
    if (!transport) {
        TransportOptions t;
        t.connect_timeout = options.connect_timeout;
        t.low_speed_limit = options.low_speed_limit;
        t.low_speed_time = options.low_speed_time;
        std::string origin = "--ca-file";
        t.ca_file = options.ca_file;
        if (t.ca_file.empty()) {
            t.ca_file = env("SSL_CERT_FILE").value_or("");
            origin = "SSL_CERT_FILE";
        }
        std::error_code ec;
        if (!t.ca_file.empty() && !std::filesystem::is_regular_file(t.ca_file, ec))
            return make_error(ErrorKind::usage, origin + " " + escape_text(t.ca_file) + ": no such file");
        t.ca_path = env("SSL_CERT_DIR").value_or("");
        t.user_agent = std::string("ocx-release/") + OCX_RELEASE_VERSION;
        transport = make_curl_transport(std::move(t));
    }

    auto credentials = resolve_credentials(ref.registry, env);
    if (!credentials) return std::move(credentials).error();
    log::debug("credentials for " + ref.registry + ": " +
               (credentials->kind == Credentials::Kind::anonymous ? std::string("anonymous") : credentials->source));
    return std::make_unique<RegistryTarget>(ref.registry, ref.repository, std::move(*credentials), std::move(insecure),
                                            std::move(transport), options);
}

Result<std::unique_ptr<store::Target>> open_registry(const oci::Reference& ref, const RegistryOptions& options) {
    auto target = open_registry_target(ref, options);
    if (!target) return std::move(target).error();
    return std::unique_ptr<store::Target>(std::move(*target));
}

}  // namespace ocx::registry
