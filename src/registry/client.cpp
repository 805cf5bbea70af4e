#include "registry/client.hpp"

#include <chrono>

#include "oci/reference.hpp"
#include "registry/url.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

namespace ocx::registry {

namespace {

constexpr int kMaxRedirects = 10;

bool is_redirect(long status) { return status == 301 || status == 302 || status == 303 || status == 307 || status == 308; }

std::string strip_port(std::string_view host) {
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        return std::string(host.substr(0, close == std::string_view::npos ? host.size() : close + 1));
    }
    return std::string(host.substr(0, host.find(':')));
}

}  // namespace

bool allows_plain_http(std::string_view host, const std::vector<std::string>& insecure) {
    if (oci::is_loopback_host(host)) return true;
    const std::string lower = ascii_lower(host);
    for (const auto& entry : insecure) {
        const std::string e = ascii_lower(entry);
        if (e == lower) return true;
        if (strip_port(e) == e && strip_port(lower) == e) return true;  // entry without a port
    }
    return false;
}

std::vector<std::string> split_insecure_list(std::string_view text) {
    std::vector<std::string> out;
    std::size_t p = 0;
    while (p <= text.size()) {
        const std::size_t q = std::min(text.find(',', p), text.size());
        std::string_view item = text.substr(p, q - p);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
        p = q + 1;
    }
    return out;
}

Client::Client(std::string registry, std::string repository, Credentials credentials, std::shared_ptr<Transport> transport,
               std::vector<std::string> insecure_registries, Authenticator::Clock now)
    : registry_(std::move(registry)),
      repository_(std::move(repository)),
      transport_(std::move(transport)),
      insecure_(std::move(insecure_registries)),
      auth_(
          registry_, std::move(credentials), [this](const HttpRequest& r) { return send_raw(r); },
          [this](std::string_view host) { return allows_plain_http(host, insecure_); }, std::move(now)) {}

Result<HttpResponse> Client::send_raw(const HttpRequest& request) {
    requests_.fetch_add(1);
    log::debug("> " + request.method + " " + request.url);
    const auto start = std::chrono::steady_clock::now();
    auto response = transport_->send(request);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    if (!response) {
        log::debug("< " + request.method + " " + request.url + " failed after " + std::to_string(ms) +
                   " ms: " + response.error().message);
        return response;
    }
    response->url = request.url;
    answered_ = true;
    log::debug("< " + std::to_string(response->status) + " " + request.method + " " + request.url + " (" +
               std::to_string(ms) + " ms)");
    return response;
}

Result<std::string> Client::base_url() {
    std::lock_guard lock(base_mutex_);
    if (!base_url_.empty()) return base_url_;
    const std::string https = "https://" + registry_;
    if (!allows_plain_http(registry_, insecure_)) {
        base_url_ = https;
        return base_url_;
    }
    HttpRequest ping;
    ping.method = "GET";
    ping.url = https + "/v2/";
    ping.tls_probe = true;
    auto secure = send_raw(ping);
    if (secure) {
        auth_.observe_ping(*secure);
        ping_status_ = secure->status;
        base_url_ = https;
        return base_url_;
    }
    // Only a failed connection or handshake may fall back; an untrusted certificate may not.
    if (secure.error().kind != ErrorKind::transient && !is_unreachable(secure.error())) return std::move(secure).error();
    ping.url = "http://" + registry_ + "/v2/";
    ping.tls_probe = false;
    auto plain = send_raw(ping);
    // The https ping is our probe, not what the user asked for: a failure names the http:// URL
    // a host that may speak plain HTTP is reached at (with "is a registry listening" when nothing is).
    if (!plain) return std::move(plain).error();
    log::debug(registry_ + " speaks plain HTTP (allowed: loopback or insecure registry)");
    auth_.observe_ping(*plain);
    ping_status_ = plain->status;
    base_url_ = "http://" + registry_;
    return base_url_;
}

bool Client::ping_answered_ok() {
    // A ready token is sent with every request but the ping: only a ping carrying it says
    // whether the registry takes it.
    if (auth_.credentials().kind == Credentials::Kind::bearer) return false;
    std::lock_guard lock(base_mutex_);
    return ping_status_ == 200;
}

Result<HttpResponse> Client::exchange(const RegistryRequest& request) {
    auto base = base_url();
    if (!base) return std::move(base).error();
    const std::vector<std::string> scopes =
        request.scopes.empty() ? std::vector<std::string>{"repository:" + repository_ + ":pull,push"} : request.scopes;
    std::string url = parse_url(request.target) ? request.target : *base + request.target;
    auto authorization = auth_.authorization(scopes);
    if (!authorization) return std::move(authorization).error();
    std::string auth_value = std::move(*authorization);
    bool answered_challenge = false;
    const bool may_follow = request.follow_redirects && (request.method == "GET" || request.method == "HEAD");

    for (int hops = 0;;) {
        HttpRequest http;
        http.method = request.method;
        http.url = url;
        http.headers = request.headers;
        http.body = request.body;
        http.sink = request.sink;
        const bool own_origin = same_origin(url, *base);
        if (own_origin && !auth_value.empty()) http.headers.push_back({"Authorization", auth_value});
        auto response = send_raw(http);
        if (!response) {
            // The registry has answered before: nothing listening now is a restart, or a load
            // balancer between backends, which a retry may outlast. Only a registry that never
            // answered is final, so a wrong host still fails at once with its hint.
            if (answered_ && is_unreachable(response.error()))
                return make_error(ErrorKind::transient, std::move(response).error().message);
            return response;
        }

        if (response->status == 401 && own_origin && !answered_challenge) {
            answered_challenge = true;
            auto retry_with = auth_.on_unauthorized(*response, scopes, auth_value);
            if (!retry_with) return std::move(retry_with).error();
            if (*retry_with) {
                auth_value = std::move(**retry_with);
                continue;
            }
            return response;
        }
        if (may_follow && is_redirect(response->status)) {
            const auto location = response->header("location");
            if (!location) return response;
            if (++hops > kMaxRedirects)
                return make_error(ErrorKind::unavailable, request.method + " " + request.target + ": more than " +
                                                              std::to_string(kMaxRedirects) + " redirects");
            std::string next = resolve_url(url, *location);
            if (next.empty())
                return make_error(ErrorKind::unavailable, request.method + " " + request.target +
                                                              ": unusable redirect to \"" + escape_text(*location, 256) +
                                                              "\"");
            url = std::move(next);
            continue;
        }
        return response;
    }
}

}  // namespace ocx::registry
