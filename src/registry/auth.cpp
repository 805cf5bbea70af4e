#include "registry/auth.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "digest/base64.hpp"
#include "registry/errors.hpp"
#include "registry/headers.hpp"
#include "registry/url.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"
#include "util/percent.hpp"
#include "util/redact.hpp"

namespace ocx::registry {

namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& s : items) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

std::vector<Challenge> challenges_of(const HttpResponse& response) {
    std::vector<Challenge> out;
    for (const auto& h : response.headers_named("www-authenticate"))
        for (auto& c : parse_challenges(h)) out.push_back(std::move(c));
    return out;
}

const Challenge* find_scheme(const std::vector<Challenge>& challenges, std::string_view scheme) {
    for (const auto& c : challenges)
        if (c.scheme == scheme) return &c;
    return nullptr;
}

}  // namespace

std::vector<std::string> merge_scopes(const std::vector<std::string>& wanted, std::string_view challenge_scope) {
    // "type:name:actions" -> actions merged per "type:name" (names may hold ':', actions never do).
    std::map<std::string, std::set<std::string>> merged;
    auto add = [&](std::string_view scope) {
        if (scope.empty()) return;
        const auto last = scope.rfind(':');
        if (last == std::string_view::npos || last == 0) {
            merged[std::string(scope)];
            return;
        }
        auto& actions = merged[std::string(scope.substr(0, last))];
        std::string_view list = scope.substr(last + 1);
        std::size_t p = 0;
        while (p <= list.size()) {
            const std::size_t q = std::min(list.find(',', p), list.size());
            if (q > p) actions.insert(std::string(list.substr(p, q - p)));
            p = q + 1;
        }
    };
    for (const auto& s : wanted) add(s);
    std::size_t p = 0;
    while (p <= challenge_scope.size()) {
        const std::size_t q = std::min(challenge_scope.find(' ', p), challenge_scope.size());
        add(challenge_scope.substr(p, q - p));
        p = q + 1;
    }
    std::vector<std::string> out;
    for (const auto& [resource, actions] : merged) {
        if (actions.empty()) {
            out.push_back(resource);
            continue;
        }
        std::vector<std::string> list(actions.begin(), actions.end());
        out.push_back(resource + ":" + join(list, ","));
    }
    return out;
}

Authenticator::Authenticator(std::string registry, Credentials credentials, RawSend send,
                             std::function<bool(std::string_view)> plain_http_ok, Clock now)
    : registry_(std::move(registry)),
      credentials_(std::move(credentials)),
      send_(std::move(send)),
      plain_http_ok_(std::move(plain_http_ok)),
      now_(std::move(now)) {
    register_secret(credentials_.secret);
}

std::string Authenticator::basic_value() const {
    std::string encoded = base64_encode(credentials_.username + ":" + credentials_.secret);
    register_secret(encoded);
    return "Basic " + encoded;
}

std::string Authenticator::credentials_hint() const {
    if (credentials_.kind == Credentials::Kind::anonymous) {
        const std::string prefix = "OCX_AUTH_" + env_host_slug(registry_) + "_";
        if (!credentials_.source.empty()) return "anonymous by " + credentials_.source;
        return "no credentials found for " + registry_ + ": set " + prefix + "USER and " + prefix +
               "TOKEN, or run docker login";
    }
    return "credentials from " + credentials_.source;
}

void Authenticator::learn(const HttpResponse& response) {
    const auto challenges = challenges_of(response);
    if (const Challenge* b = find_scheme(challenges, "bearer")) {
        scheme_ = Scheme::bearer;
        realm_ = b->param("realm");
        service_ = b->param("service");
    } else if (find_scheme(challenges, "basic")) {
        scheme_ = Scheme::basic;
    }
}

void Authenticator::observe_ping(const HttpResponse& response) {
    std::lock_guard lock(mutex_);
    if (response.status == 401)
        learn(response);
    else if (response.status >= 200 && response.status < 300 && scheme_ == Scheme::unknown)
        scheme_ = Scheme::none;
}

bool Authenticator::uses_bearer_tokens() const {
    if (credentials_.kind == Credentials::Kind::bearer) return true;
    std::lock_guard lock(mutex_);
    return scheme_ == Scheme::bearer;
}

Result<std::string> Authenticator::authorization(const std::vector<std::string>& scopes) {
    if (credentials_.kind == Credentials::Kind::bearer) return "Bearer " + credentials_.secret;
    std::lock_guard lock(mutex_);
    switch (scheme_) {
        case Scheme::unknown:
        case Scheme::none: return std::string();
        case Scheme::basic: return credentials_.kind == Credentials::Kind::basic ? basic_value() : std::string();
        case Scheme::bearer: return bearer_locked(scopes);
    }
    return std::string();
}

Result<std::string> Authenticator::bearer_locked(const std::vector<std::string>& scopes) {
    const std::vector<std::string> merged = merge_scopes(scopes, "");
    const std::string key = join(merged, " ");
    if (auto it = tokens_.find(key); it != tokens_.end() && it->second.expires > now_()) return "Bearer " + it->second.value;
    auto token = fetch_token(merged);
    if (!token) return std::move(token).error();
    tokens_[key] = *token;
    return "Bearer " + token->value;
}

Result<std::optional<std::string>> Authenticator::on_unauthorized(const HttpResponse& response,
                                                                  const std::vector<std::string>& scopes,
                                                                  const std::string& sent) {
    using None = std::optional<std::string>;
    if (credentials_.kind == Credentials::Kind::bearer) return None();  // a ready token: nothing to renew
    std::lock_guard lock(mutex_);
    learn(response);
    const auto challenges = challenges_of(response);
    if (const Challenge* bearer = find_scheme(challenges, "bearer")) {
        const std::vector<std::string> merged = merge_scopes(scopes, bearer->param("scope"));
        const std::string key = join(merged, " ");
        const std::string request_key = join(merge_scopes(scopes, ""), " ");
        if (sent.rfind("Bearer ", 0) == 0) {
            const std::string value = sent.substr(7);
            // The token we sent was refused: forget it wherever it is cached.
            bool had_exact = false;
            for (auto it = tokens_.begin(); it != tokens_.end();) {
                if (it->second.value == value) {
                    had_exact = had_exact || it->first == key;
                    it = tokens_.erase(it);
                } else {
                    ++it;
                }
            }
            // A token minted for exactly these scopes, refused for lack of scope: asking again gives the same.
            if (had_exact && bearer->param("error") == "insufficient_scope") return None();
        }
        auto token = fetch_token(merged);
        if (!token) return std::move(token).error();
        tokens_[key] = *token;
        tokens_[request_key] = *token;
        return None("Bearer " + token->value);
    }
    if (find_scheme(challenges, "basic")) {
        if (credentials_.kind != Credentials::Kind::basic) return None();
        std::string value = basic_value();
        if (sent == value) return None();  // the password itself was refused
        return None(std::move(value));
    }
    return None();
}

Result<Authenticator::Token> Authenticator::fetch_token(const std::vector<std::string>& scopes) {
    const std::string what = "token request for " + registry_;
    const std::optional<Url> realm = parse_url(realm_);
    if (!realm)
        return make_error(ErrorKind::unavailable,
                          registry_ + " asked for a Bearer token with an unusable realm \"" + escape_text(realm_) + "\"");
    const bool anonymous = credentials_.kind == Credentials::Kind::anonymous;
    if (realm->scheme == "http" && !anonymous && !plain_http_ok_(realm->authority))
        return make_error(ErrorKind::unavailable, "refusing to send credentials for " + registry_ +
                                                      " to the plain-HTTP token realm " + realm->origin() +
                                                      " (allow the host as an insecure registry if that is intended)");
    HttpRequest req;
    if (credentials_.kind == Credentials::Kind::identity_token) {
        req.method = "POST";
        req.url = realm_;
        std::string form =
            "grant_type=refresh_token&client_id=ocx-release&refresh_token=" + percent_encode_unreserved(credentials_.secret);
        if (!service_.empty()) form += "&service=" + percent_encode_unreserved(service_);
        form += "&scope=" + percent_encode_unreserved(join(scopes, " "));
        req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
        req.body = RequestBody{std::move(form), {}, 0, 0, {}, {}};
    } else {
        req.method = "GET";
        req.url = realm_;
        if (!service_.empty()) req.url = append_query(req.url, "service", service_);
        for (const auto& s : scopes) req.url = append_query(req.url, "scope", s);
        if (credentials_.kind == Credentials::Kind::basic) {
            req.url = append_query(req.url, "account", credentials_.username);
            req.headers.push_back({"Authorization", basic_value()});
        }
    }
    auto response = send_(req);
    if (!response) return std::move(response).error().context(what);
    if (response->status != 200) {
        Error e = http_error(req.method + " " + realm->origin() + realm->path_query.substr(0, realm->path_query.find('?')),
                             *response);
        if (response->status == 401 || response->status == 403)
            return make_error(ErrorKind::auth, "authentication to " + registry_ + " failed (" + credentials_hint() +
                                                   "): the token server refused: " + e.message);
        return std::move(e).context(what);
    }
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(response->body, ec);
    Token token;
    long long expires_in = 60;
    if (!ec && doc.is_object()) {
        const auto& o = doc.as_object();
        for (std::string_view key : {"refresh_token", "access_token", "token"})
            if (const auto* v = o.if_contains(key); v && v->is_string()) register_secret(std::string(v->as_string()));
        for (std::string_view key : {"token", "access_token"})
            if (const auto* v = o.if_contains(key); v && v->is_string() && token.value.empty())
                token.value = std::string(v->as_string());
        if (const auto* v = o.if_contains("expires_in"); v && v->is_int64() && v->as_int64() > 0) expires_in = v->as_int64();
    }
    if (token.value.empty())
        return make_error(ErrorKind::unavailable,
                          what + ": the token server at " + realm->origin() + " answered without a token");
    // Renew a little early so a token does not expire between being chosen and being checked.
    const auto lifetime = std::chrono::seconds(expires_in);
    token.expires = now_() + lifetime - std::min<std::chrono::seconds>(std::chrono::seconds(10), lifetime / 2);
    log::debug("got a token for " + registry_ + " (" + join(scopes, " ") + ", " + std::to_string(expires_in) + " s)");
    return token;
}

Error Authenticator::unauthorized_error(std::string_view action, const HttpResponse& response) const {
    Error e = http_error(action, response);
    const auto challenges = challenges_of(response);
    const Challenge* bearer = find_scheme(challenges, "bearer");
    if (bearer && bearer->param("error") == "insufficient_scope") {
        e.kind = ErrorKind::permission;
        e.message += " (the token for " + registry_ + " lacks scope \"" + escape_text(bearer->param("scope")) + "\"; " +
                     credentials_hint() + ")";
        return e;
    }
    e.kind = ErrorKind::auth;
    e.message += " (authentication to " + registry_ + " failed; " + credentials_hint() + ")";
    return e;
}

}  // namespace ocx::registry
