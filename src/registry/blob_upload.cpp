// Blob pushes of RegistryTarget (distribution spec v1.1, "Pushing blobs"):
//   monolithic  POST /v2/<name>/blobs/uploads/            -> 202, Location
//               PUT  <location>[?&]digest=<digest>  body   -> 201
//   chunked     POST …                                     -> 202, Location
//               PATCH <location>  Content-Range: <first>-<last>, body  -> 202, new Location   (repeat)
//               PUT  <location>[?&]digest=<digest>  no body           -> 201
//   mount       POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other>  -> 201 mounted | 202 not
// Locations may be absolute, relative, and carry their own query (`?_state=…`). Each attempt
// starts a fresh session: a session that failed half-way is not resumed (registries forget them
// anyway), and the file is read again from its first byte.

#include <filesystem>

#include "registry/errors.hpp"
#include "registry/registry_target.hpp"
#include "registry/url.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

namespace ocx::registry {

namespace {

// The next upload URL from a 202, resolved against the URL that answered.
Result<std::string> upload_location(std::string_view action, const HttpResponse& r) {
    const auto location = r.header("location");
    const std::string url = location ? resolve_url(r.url, *location) : std::string();
    if (url.empty())
        return make_error(ErrorKind::unavailable,
                          std::string(action) + ": the registry answered " + std::to_string(r.status) +
                              (location ? " with an unusable Location \"" + escape_text(*location, 256) + "\""
                                        : " without a Location"));
    return url;
}

}  // namespace

Result<std::uint64_t> RegistryTarget::upload_blob(const store::BlobSource& blob) {
    const std::string what = "upload blob " + blob.digest.str() + " to " + describe();
    if (!blob.path.empty()) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(blob.path, ec);
        if (ec) return make_error(ErrorKind::io, "cannot read " + blob.path.string() + ": " + ec.message());
        if (size != blob.size)
            return make_error(ErrorKind::io, blob.path.string() + " changed since it was hashed: " + std::to_string(size) +
                                                 " bytes, expected " + std::to_string(blob.size));
    } else if (blob.bytes.size() != blob.size) {
        return make_error(ErrorKind::internal, what + ": " + std::to_string(blob.bytes.size()) + " bytes given, size says " +
                                                   std::to_string(blob.size));
    }
    auto sent = with_retry<std::uint64_t>(what, [&](RetryHint& hint) { return upload_once(blob, hint); });
    if (sent) {
        blobs_uploaded_.fetch_add(1);
        bytes_uploaded_.fetch_add(*sent);
    }
    return sent;
}

Result<std::uint64_t> RegistryTarget::upload_once(const store::BlobSource& blob, RetryHint& hint) {
    const std::string ref = describe() + "@" + blob.digest.str();
    auto body_range = [&](std::uint64_t offset, std::uint64_t length) {
        RequestBody body;
        if (blob.path.empty()) {
            body.bytes = blob.bytes.substr(offset, length);
        } else {
            body.file = blob.path;
            body.offset = offset;
            body.length = length;
            body.on_sent = blob.progress;
            body.tap = blob.tap;
        }
        return body;
    };

    RegistryRequest start;
    start.method = "POST";
    start.target = "/v2/" + client_->repository() + "/blobs/uploads/";
    auto started = client_->exchange(start);
    if (!started) return std::move(started).error();
    const std::string start_action = "POST blob upload " + ref;
    if (started->status != 202) return failure(start_action, *started, hint);
    auto location = upload_location(start_action, *started);
    if (!location) return std::move(location).error();

    const bool chunked = chunk_size_ > 0 && blob.size > 0;
    if (chunked) {
        for (std::uint64_t offset = 0; offset < blob.size;) {
            const std::uint64_t length = std::min(chunk_size_, blob.size - offset);
            const std::string action =
                "PATCH blob " + ref + " bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
            RegistryRequest patch;
            patch.method = "PATCH";
            patch.target = *location;
            patch.headers = {{"Content-Type", "application/octet-stream"},
                             {"Content-Range", std::to_string(offset) + "-" + std::to_string(offset + length - 1)}};
            patch.body = body_range(offset, length);
            auto r = client_->exchange(patch);
            if (!r) return std::move(r).error();
            if (r->status != 202) return failure(action, *r, hint);
            location = upload_location(action, *r);
            if (!location) return std::move(location).error();
            offset += length;
        }
    }

    const std::string action = "PUT blob " + ref;
    RegistryRequest put;
    put.method = "PUT";
    put.target = append_query(*location, "digest", blob.digest.str());
    put.headers = {{"Content-Type", "application/octet-stream"}};
    if (!chunked) put.body = body_range(0, blob.size);
    auto r = client_->exchange(put);
    if (!r) return std::move(r).error();
    if (r->status != 201) return failure(action, *r, hint);
    if (Status s = check_digest_header(action, *r, blob.digest); !s) return std::move(s).error();
    return blob.size;
}

Result<bool> RegistryTarget::mount_blob(const Digest& digest, std::string_view from_repository) {
    if (from_repository.empty() || from_repository == client_->repository()) return false;
    const std::string action =
        "POST blob mount " + describe() + "@" + digest.str() + " from " + std::string(from_repository);
    auto mounted = with_retry<bool>(action, [&](RetryHint& hint) -> Result<bool> {
        RegistryRequest req;
        req.method = "POST";
        req.target = append_query(append_query("/v2/" + client_->repository() + "/blobs/uploads/", "mount", digest.str()),
                                  "from", from_repository);
        req.scopes = {"repository:" + client_->repository() + ":pull,push",
                      "repository:" + std::string(from_repository) + ":pull"};
        auto r = client_->exchange(req);
        if (!r) return std::move(r).error();
        if (r->status == 201) {
            if (Status s = check_digest_header(action, *r, digest); !s) return std::move(s).error();
            return true;
        }
        if (r->status == 202) {
            // The registry opened an ordinary upload session instead; close it, best effort.
            if (auto location = upload_location(action, *r)) {
                RegistryRequest cancel;
                cancel.method = "DELETE";
                cancel.target = *location;
                (void)client_->exchange(cancel);
            }
            return false;
        }
        if (is_transient_status(r->status)) return failure(action, *r, hint);
        if (r->status == 401) {
            Error e = failure(action, *r, hint);
            if (e.kind == ErrorKind::permission) return false;  // no pull right on the source: upload instead
            return e;
        }
        log::debug(action + ": HTTP " + std::to_string(r->status) + ", not mounted");
        return false;
    });
    if (mounted.ok() && *mounted) blobs_mounted_.fetch_add(1);
    return mounted;
}

}  // namespace ocx::registry
