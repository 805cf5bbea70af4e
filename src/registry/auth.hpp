#pragma once
// Registry authentication (docs/cli.md, "Credentials"; Docker registry token auth). The first
// request to a registry goes without credentials; its 401 names the scheme:
//  * `Basic realm=…`: user name and password are sent with every later request;
//  * `Bearer realm=…,service=…,scope=…`: a token is fetched from the realm — GET with
//    `service` and `scope=repository:<repo>:pull,push` (plus any scope the challenge names, e.g.
//    the source repository of a mount), Basic credentials when there are some, nothing when
//    anonymous; an identity token is exchanged with an OAuth2 `grant_type=refresh_token` POST.
//    The answer's `token` or `access_token` is cached per scope set until `expires_in` (default
//    60 s) runs out, and sent up front from then on, so only the very first request pays a 401.
// A ready token (OCX_AUTH_<HOST>_TYPE=token) is sent as `Bearer <token>` from the first request.
// Credentials go only to https realms, or http ones on hosts allowed plain HTTP.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "registry/credentials.hpp"
#include "registry/http.hpp"
#include "util/result.hpp"

namespace ocx::registry {

/// Sends one request as is (the client counts and logs it).
using RawSend = std::function<Result<HttpResponse>(const HttpRequest&)>;

class Authenticator {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    /// `registry` is "host[:port]"; `plain_http_ok(host)` says whether a realm on `host` may be
    /// spoken to over plain HTTP.
    Authenticator(std::string registry, Credentials credentials, RawSend send,
                  std::function<bool(std::string_view host)> plain_http_ok, Clock now);

    /// The Authorization value to send up front for a request needing `scopes`; "" while no
    /// challenge is known (or the registry wants none). May fetch a token.
    Result<std::string> authorization(const std::vector<std::string>& scopes);

    /// After a 401 to a request sent with Authorization `sent` ("" for none): learns the challenge
    /// and returns the value to retry once with; nullopt when retrying cannot help.
    Result<std::optional<std::string>> on_unauthorized(const HttpResponse& response, const std::vector<std::string>& scopes,
                                                       const std::string& sent);

    /// Learns the challenge of a /v2/ ping (200: none needed; 401: the scheme to use).
    void observe_ping(const HttpResponse& response);

    /// The error for a request still refused after authenticating: ErrorKind::auth naming the
    /// registry and where the credentials came from (never the secret), or ErrorKind::permission
    /// when the registry says the token lacks the scope.
    Error unauthorized_error(std::string_view action, const HttpResponse& response) const;

    const Credentials& credentials() const { return credentials_; }

    /// True when the registry's challenge was Bearer, or the credentials are a ready token.
    bool uses_bearer_tokens() const;

private:
    enum class Scheme { unknown, none, basic, bearer };
    struct Token {
        std::string value;
        std::chrono::steady_clock::time_point expires;
    };

    Result<std::string> bearer_locked(const std::vector<std::string>& scopes);
    Result<Token> fetch_token(const std::vector<std::string>& scopes);
    std::string basic_value() const;
    void learn(const HttpResponse& response);
    std::string credentials_hint() const;

    std::string registry_;
    Credentials credentials_;
    RawSend send_;
    std::function<bool(std::string_view)> plain_http_ok_;
    Clock now_;

    mutable std::mutex mutex_;
    Scheme scheme_ = Scheme::unknown;
    std::string realm_;
    std::string service_;
    std::map<std::string, Token> tokens_;  // key: sorted scopes joined by ' '
};

/// Scopes a request needs plus those a challenge names, sorted and de-duplicated.
std::vector<std::string> merge_scopes(const std::vector<std::string>& wanted, std::string_view challenge_scope);

}  // namespace ocx::registry
