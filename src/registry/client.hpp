#pragma once
// One registry, one repository: the request layer under RegistryTarget.
//  * Scheme: https always, except for hosts allowed plain HTTP (loopback — localhost,
//    127.0.0.0/8, [::1] — and insecure registries, docs/cli.md "Targets"). For those, as Docker
//    does, the first request pings `GET /v2/` over https and falls back to http only when the TLS
//    connection itself fails; a server that speaks TLS with an untrusted certificate is an error,
//    never a downgrade. TLS is always verified.
//  * Auth: the Authenticator's header goes with every request to the registry's origin; one 401
//    is answered (challenge -> token -> resend), a second one is returned to the caller.
//  * Redirects (GET/HEAD only; registries send blob downloads to storage): followed up to 10
//    hops; Authorization is dropped as soon as the URL leaves the registry's origin.
//  * Every exchange is counted and logged at debug level (redacted by the logger).
// Retries are not done here: the caller wraps whole operations (see registry_target.cpp).

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "registry/auth.hpp"
#include "registry/http.hpp"
#include "util/result.hpp"

namespace ocx::registry {

struct RegistryRequest {
    std::string method;
    std::string target;  // "/v2/…" on the registry, or an absolute URL (an upload Location)
    std::vector<Header> headers;
    std::optional<RequestBody> body;
    const store::ByteSink* sink = nullptr;  // 2xx body destination
    std::vector<std::string> scopes;        // empty: "repository:<repo>:pull,push"
    bool follow_redirects = false;          // honoured for GET and HEAD
};

/// True for hosts that may be spoken to over plain HTTP: loopback, or listed in `insecure`
/// ("host:port" matches exactly; an entry without a port matches the host on any port).
bool allows_plain_http(std::string_view host, const std::vector<std::string>& insecure);

/// The OCX_INSECURE_REGISTRIES comma list, trimmed, empty items dropped.
std::vector<std::string> split_insecure_list(std::string_view text);

class Client {
public:
    Client(std::string registry, std::string repository, Credentials credentials, std::shared_ptr<Transport> transport,
           std::vector<std::string> insecure_registries, Authenticator::Clock now);

    /// Sends a request as described in the file comment. Every HTTP status is a response
    /// (`url` set to the URL that answered); network failures are errors.
    Result<HttpResponse> exchange(const RegistryRequest& request);

    /// "https://host[:port]" or "http://host[:port]", deciding (and pinging) on first use.
    Result<std::string> base_url();

    /// See Authenticator::unauthorized_error.
    Error unauthorized_error(std::string_view action, const HttpResponse& response) const {
        return auth_.unauthorized_error(action, response);
    }

    /// True when deciding the base URL pinged GET /v2/ and the registry answered 200: it answers
    /// and asks for no credentials, which is all the fail-fast read check would learn from a
    /// second ping (registry/preflight.cpp). Never with a ready bearer token, which that ping
    /// did not carry.
    bool ping_answered_ok();

    /// True once the registry has challenged with Bearer (tokens are scoped per repository).
    bool uses_bearer_tokens() const { return auth_.uses_bearer_tokens(); }

    const std::string& registry() const { return registry_; }
    const std::string& repository() const { return repository_; }
    /// HTTP exchanges made so far (pings, token requests, redirects and retries included).
    std::uint64_t requests() const { return requests_.load(); }

private:
    Result<HttpResponse> send_raw(const HttpRequest& request);

    std::string registry_;
    std::string repository_;
    std::shared_ptr<Transport> transport_;
    std::vector<std::string> insecure_;
    std::atomic<std::uint64_t> requests_{0};
    std::atomic<bool> answered_{false};  // the registry has answered once: a refusal now is transient
    Authenticator auth_;

    std::mutex base_mutex_;
    std::string base_url_;
    long ping_status_ = 0;  // the base URL ping's HTTP status (0: no ping was made)
};

}  // namespace ocx::registry
