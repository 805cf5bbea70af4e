// The fail-fast check of RegistryTarget (docs/cli.md "Fail fast"): before a release compresses
// anything, find out whether the registry answers and takes our credentials, so a typo in a
// password costs seconds, not a whole bundling run.
//   GET /v2/                         -> 200: the registry answers (not sent again when choosing
//                                       between https and http already pinged it and had a 200);
//                                       a 401 is answered as usual:
//                                       Bearer -> a token for repository:<repo>:pull,push
//                                       (a refused token request is ErrorKind::auth), Basic ->
//                                       the password (a second 401 is ErrorKind::auth)
//   POST /v2/<repo>/blobs/uploads/   -> 202: writing is allowed; the session is closed at once
//   DELETE <location>                   (best effort; registries expire sessions anyway)
// The upload session is opened with Bearer tokens too: a token server may grant fewer actions
// than asked for without an error (pull only, for read-only credentials), and only the session
// shows what the token allows. Dry runs check read access only (they write nothing, not even a
// session).

#include "registry/errors.hpp"
#include "registry/registry_target.hpp"
#include "registry/url.hpp"
#include "util/log.hpp"

namespace ocx::registry {

Status RegistryTarget::check_access(Access access) {
    const std::string ping_action = "GET /v2/ of " + describe();
    Status answered = with_retry<void>(ping_action, [&](RetryHint& hint) -> Status {
        // Choosing between https and http pings GET /v2/ already; a 200 there needs no second ping.
        if (auto base = client_->base_url(); !base) return std::move(base).error();
        if (client_->ping_answered_ok()) return {};
        RegistryRequest req;
        req.method = "GET";
        req.target = "/v2/";
        auto r = client_->exchange(req);
        if (!r) return std::move(r).error();
        if (r->status == 200) return {};
        if (r->status == 401 || is_transient_status(r->status)) return failure(ping_action, *r, hint);
        // A 404 here is not "not found" (79) but no distribution API at this address.
        Error e = http_error(ping_action, *r);
        e.kind = ErrorKind::unavailable;
        e.message += " (is " + client_->registry() + " an OCI distribution registry?)";
        return e;
    });
    if (!answered) return answered;
    if (access == Access::read) {
        log::verbose(describe() + ": the registry answers and accepts the credentials");
        return {};
    }

    const std::string action = "POST blob upload " + describe() + " (push access check)";
    Status writable = with_retry<void>(action, [&](RetryHint& hint) -> Status {
        RegistryRequest start;
        start.method = "POST";
        start.target = "/v2/" + client_->repository() + "/blobs/uploads/";
        auto r = client_->exchange(start);
        if (!r) return std::move(r).error();
        if (r->status != 202) return failure(action, *r, hint);
        const auto location = r->header("location");
        const std::string url = location ? resolve_url(r->url, *location) : std::string();
        if (url.empty()) return {};
        RegistryRequest cancel;
        cancel.method = "DELETE";
        cancel.target = url;
        auto closed = client_->exchange(cancel);
        if (!closed) log::debug("cancelling the check's upload session: " + closed.error().message);
        return {};
    });
    if (writable) log::verbose(describe() + ": the registry answers and accepts pushes with these credentials");
    return writable;
}

}  // namespace ocx::registry
