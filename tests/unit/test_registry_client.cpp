#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "digest/base64.hpp"
#include "registry/client.hpp"
#include "util/log.hpp"
#include "util/redact.hpp"

using namespace ocx;
using namespace ocx::registry;

namespace {

// A transport answering from a handler and remembering every request (bodies included).
struct ScriptedTransport : Transport {
    std::function<Result<HttpResponse>(const HttpRequest&)> handler;
    std::vector<HttpRequest> seen;
    Result<HttpResponse> send(const HttpRequest& r) override {
        seen.push_back(r);
        return handler(r);
    }
    std::string auth_of(std::size_t i) const {
        for (const auto& h : seen.at(i).headers)
            if (h.name == "Authorization") return h.value;
        return "";
    }
};

HttpResponse respond(long status, std::vector<Header> headers = {}, std::string body = {}) {
    HttpResponse r;
    r.status = status;
    r.headers = std::move(headers);
    r.body = std::move(body);
    return r;
}

struct Clock {
    std::chrono::steady_clock::time_point t{};
    Authenticator::Clock fn() {
        return [this] { return t; };
    }
};

Credentials basic(std::string user, std::string pw) {
    Credentials c;
    c.kind = Credentials::Kind::basic;
    c.username = std::move(user);
    c.secret = std::move(pw);
    c.source = "OCX_AUTH_registry_example_* variables";
    return c;
}

RegistryRequest get(std::string target) {
    RegistryRequest r;
    r.method = "GET";
    r.target = std::move(target);
    return r;
}

const std::string kBearerChallenge =
    R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:acme/tool:pull")";

}  // namespace

TEST_CASE("plain HTTP is allowed for loopback and listed hosts only") {
    const std::vector<std::string> insecure = {"registry.internal:5000", "build-cache"};
    CHECK(allows_plain_http("127.0.0.1:5000", {}));
    CHECK(allows_plain_http("localhost", {}));
    CHECK(allows_plain_http("[::1]:5000", {}));
    CHECK(allows_plain_http("registry.internal:5000", insecure));
    CHECK(allows_plain_http("REGISTRY.internal:5000", insecure));
    CHECK_FALSE(allows_plain_http("registry.internal:5001", insecure));
    CHECK(allows_plain_http("build-cache:8080", insecure));  // an entry without a port: any port
    CHECK_FALSE(allows_plain_http("registry.example", insecure));
    CHECK(split_insecure_list(" a:1, ,b ,") == std::vector<std::string>{"a:1", "b"});
}

TEST_CASE("scheme choice") {
    auto transport = std::make_shared<ScriptedTransport>();
    Clock clock;

    SUBCASE("a public host is https without a ping") {
        transport->handler = [](const HttpRequest&) { return Result<HttpResponse>(respond(200)); };
        Client c("registry.example", "acme/tool", {}, transport, {}, clock.fn());
        REQUIRE(c.exchange(get("/v2/acme/tool/tags/list")).ok());
        REQUIRE(transport->seen.size() == 1);
        CHECK(transport->seen[0].url == "https://registry.example/v2/acme/tool/tags/list");
    }
    SUBCASE("loopback: https first, plain http when the TLS connection fails") {
        transport->handler = [](const HttpRequest& r) -> Result<HttpResponse> {
            if (r.url.rfind("https://", 0) == 0)
                return make_error(ErrorKind::transient, "GET " + r.url + ": SSL connect error");
            return respond(200);
        };
        Client c("127.0.0.1:5000", "acme/tool", {}, transport, {}, clock.fn());
        REQUIRE(c.exchange(get("/v2/acme/tool/tags/list")).ok());
        REQUIRE(c.exchange(get("/v2/acme/tool/tags/list")).ok());
        REQUIRE(transport->seen.size() == 4);  // two pings, then two requests
        CHECK(transport->seen[0].url == "https://127.0.0.1:5000/v2/");
        CHECK(transport->seen[1].url == "http://127.0.0.1:5000/v2/");
        CHECK(transport->seen[2].url == "http://127.0.0.1:5000/v2/acme/tool/tags/list");
        CHECK(c.requests() == 4);
    }
    SUBCASE("loopback with working TLS stays on https") {
        transport->handler = [](const HttpRequest&) { return Result<HttpResponse>(respond(200)); };
        Client c("localhost:5000", "acme/tool", {}, transport, {}, clock.fn());
        REQUIRE(c.base_url().ok());
        CHECK(*c.base_url() == "https://localhost:5000");
        CHECK(transport->seen.size() == 1);
    }
    SUBCASE("an untrusted certificate is an error, never a downgrade") {
        transport->handler = [](const HttpRequest& r) -> Result<HttpResponse> {
            return make_error(ErrorKind::unavailable, "GET " + r.url + ": SSL peer certificate was not OK");
        };
        Client c("127.0.0.1:5000", "acme/tool", {}, transport, {}, clock.fn());
        auto r = c.exchange(get("/v2/x"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::unavailable);
        CHECK(transport->seen.size() == 1);
    }
    SUBCASE("nothing listening: the plain-HTTP URL is named, not the https probe, and nothing is retried") {
        transport->handler = [](const HttpRequest& r) -> Result<HttpResponse> {
            return unreachable_error(r.method, r.url, "Couldn't connect to server");
        };
        Client c("127.0.0.1:5000", "acme/tool", {}, transport, {}, clock.fn());
        auto r = c.exchange(get("/v2/x"));
        CHECK(r.error().message ==
              "GET http://127.0.0.1:5000/v2/: Couldn't connect to server; is a registry listening at 127.0.0.1:5000?");
        CHECK(r.error().kind == ErrorKind::unavailable);
        REQUIRE(transport->seen.size() == 2);  // the https probe, then plain HTTP
        CHECK(transport->seen[0].url == "https://127.0.0.1:5000/v2/");
        CHECK(transport->seen[1].url == "http://127.0.0.1:5000/v2/");
    }
    SUBCASE("a registry that answered once and then refuses: transient, so the caller retries") {
        transport->handler = [&](const HttpRequest& r) -> Result<HttpResponse> {
            if (r.url.ends_with("/v2/")) return respond(200);
            return unreachable_error(r.method, r.url, "Couldn't connect to server");
        };
        Client c("registry.example", "acme/tool", {}, transport, {}, clock.fn());
        // Before the registry ever answered, the same refusal is final ...
        CHECK(c.exchange(get("/v2/acme/tool/blobs/uploads/")).error().kind == ErrorKind::unavailable);
        REQUIRE(c.exchange(get("/v2/")).ok());
        // ... after, it is a registry restarting under a running release.
        auto r = c.exchange(get("/v2/acme/tool/blobs/uploads/"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::transient);
        CHECK(r.error().message ==
              "GET https://registry.example/v2/acme/tool/blobs/uploads/: Couldn't connect to server; "
              "is a registry listening at registry.example?");
    }
    SUBCASE("a public host that does not resolve: its https URL, unavailable") {
        transport->handler = [](const HttpRequest& r) -> Result<HttpResponse> {
            return unreachable_error(r.method, r.url, "Couldn't resolve host name");
        };
        Client c("nonexistent.invalid:5000", "acme/tool", {}, transport, {}, clock.fn());
        auto r = c.exchange(get("/v2/x"));
        CHECK(r.error().message ==
              "GET https://nonexistent.invalid:5000/v2/x: Couldn't resolve host name; is a registry "
              "listening at nonexistent.invalid:5000?");
        CHECK(r.error().kind == ErrorKind::unavailable);
        CHECK(transport->seen.size() == 1);
    }
}

TEST_CASE("unreachable_error") {
    const Error e = unreachable_error("POST", "http://[::1]:5000/v2/a/blobs/uploads/", "Connection refused");
    CHECK(e.kind == ErrorKind::unavailable);
    CHECK(e.message ==
          "POST http://[::1]:5000/v2/a/blobs/uploads/: Connection refused; is a registry listening at [::1]:5000?");
    CHECK(is_unreachable(e));
    CHECK_FALSE(is_unreachable(make_error(ErrorKind::unavailable, "GET https://x/v2/: SSL peer certificate was not OK")));
    CHECK_FALSE(is_unreachable(make_error(ErrorKind::transient, e.message)));
}

TEST_CASE("redirects") {
    auto transport = std::make_shared<ScriptedTransport>();
    Clock clock;
    Client c("registry.example", "acme/tool", {}, transport, {}, clock.fn());
    CHECK(c.base_url().ok());
    // Bearer token known up front (a ready token), so every registry request carries it.
    Credentials token;
    token.kind = Credentials::Kind::bearer;
    token.secret = "ready-token-1";
    Client authed("registry.example", "acme/tool", token, transport, {}, clock.fn());

    transport->handler = [](const HttpRequest& r) -> Result<HttpResponse> {
        if (r.url == "https://registry.example/v2/acme/tool/blobs/sha256:1")
            return respond(307, {{"location", "/v2/acme/tool/blobs/sha256:1/here"}});
        if (r.url == "https://registry.example/v2/acme/tool/blobs/sha256:1/here")
            return respond(302, {{"location", "https://storage.example/bucket/1?sig=x"}});
        if (r.url == "https://registry.example/v2/loop") return respond(302, {{"location", "/v2/loop"}});
        if (r.url == "https://registry.example/v2/bad") return respond(302, {{"location", "//a@b\n::error::forged"}});
        return respond(200, {}, "blob bytes");
    };

    SUBCASE("an unusable Location is quoted escaped: a registry's text forges no log line") {
        RegistryRequest req = get("/v2/bad");
        req.follow_redirects = true;
        auto r = c.exchange(req);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == "GET /v2/bad: unusable redirect to \"//a@b\\n::error::forged\"");
    }

    SUBCASE("followed for GET; Authorization kept on the registry, dropped at storage") {
        RegistryRequest req = get("/v2/acme/tool/blobs/sha256:1");
        req.follow_redirects = true;
        auto r = authed.exchange(req);
        REQUIRE(r.ok());
        CHECK(r->status == 200);
        CHECK(r->url == "https://storage.example/bucket/1?sig=x");
        REQUIRE(transport->seen.size() == 3);
        CHECK(transport->auth_of(0) == "Bearer ready-token-1");
        CHECK(transport->auth_of(1) == "Bearer ready-token-1");
        CHECK(transport->auth_of(2).empty());
    }
    SUBCASE("not followed unless asked") {
        auto r = authed.exchange(get("/v2/acme/tool/blobs/sha256:1"));
        CHECK(r->status == 307);
        CHECK(transport->seen.size() == 1);
    }
    SUBCASE("not followed for PUT") {
        RegistryRequest req = get("/v2/acme/tool/blobs/sha256:1");
        req.method = "PUT";
        req.follow_redirects = true;
        CHECK(authed.exchange(req)->status == 307);
    }
    SUBCASE("a redirect loop ends") {
        RegistryRequest req = get("/v2/loop");
        req.follow_redirects = true;
        auto r = c.exchange(req);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == "GET /v2/loop: more than 10 redirects");
    }
}

TEST_CASE("Basic auth") {
    auto transport = std::make_shared<ScriptedTransport>();
    Clock clock;
    const std::string good = "Basic " + base64_encode("ci:right-password");
    transport->handler = [&](const HttpRequest& r) -> Result<HttpResponse> {
        for (const auto& h : r.headers)
            if (h.name == "Authorization" && h.value == good) return respond(200);
        return respond(401, {{"www-authenticate", R"(Basic realm="Registry Realm")"}},
                       R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
    };

    SUBCASE("the challenge is answered once, then credentials go up front") {
        Client c("registry.example", "acme/tool", basic("ci", "right-password"), transport, {}, clock.fn());
        REQUIRE(c.exchange(get("/v2/a"))->status == 200);
        REQUIRE(c.exchange(get("/v2/b"))->status == 200);
        REQUIRE(transport->seen.size() == 3);
        CHECK(transport->auth_of(0).empty());
        CHECK(transport->auth_of(1) == good);
        CHECK(transport->auth_of(2) == good);
    }
    SUBCASE("a wrong password: one retry, then the 401 is the answer; the error names the registry, not the password") {
        Client c("registry.example", "acme/tool", basic("ci", "wrong-password"), transport, {}, clock.fn());
        auto r = c.exchange(get("/v2/a"));
        REQUIRE(r.ok());
        CHECK(r->status == 401);
        CHECK(transport->seen.size() == 2);
        Error e = c.unauthorized_error("GET manifest registry.example/acme/tool:1.0", *r);
        CHECK(e.kind == ErrorKind::auth);
        CHECK(e.message ==
              "GET manifest registry.example/acme/tool:1.0: HTTP 401 Unauthorized: UNAUTHORIZED: authentication required "
              "(authentication to registry.example failed; credentials from OCX_AUTH_registry_example_* variables)");
        CHECK(e.message.find("wrong-password") == std::string::npos);
        CHECK(redact(transport->auth_of(1)).find(base64_encode("ci:wrong-password")) == std::string::npos);
    }
    SUBCASE("anonymous: the 401 comes back with a hint on how to log in") {
        Client c("registry.example", "acme/tool", {}, transport, {}, clock.fn());
        auto r = c.exchange(get("/v2/a"));
        CHECK(r->status == 401);
        CHECK(transport->seen.size() == 1);
        CHECK(c.unauthorized_error("GET x", *r).message ==
              "GET x: HTTP 401 Unauthorized: UNAUTHORIZED: authentication required (authentication to registry.example "
              "failed; no credentials found for registry.example: set OCX_AUTH_registry_example_USER and "
              "OCX_AUTH_registry_example_TOKEN, or run docker login)");
    }
}

TEST_CASE("Bearer token auth") {
    auto transport = std::make_shared<ScriptedTransport>();
    Clock clock;
    int tokens_issued = 0;
    std::string token_answer;  // empty: {"token": "tok-N", "expires_in": 300}
    long token_status = 200;
    transport->handler = [&](const HttpRequest& r) -> Result<HttpResponse> {
        if (r.url.rfind("https://auth.example/token", 0) == 0) {
            if (token_status != 200) return respond(token_status, {}, R"({"details":"incorrect username or password"})");
            ++tokens_issued;
            return respond(200, {},
                           token_answer.empty()
                               ? R"({"token":"tok-)" + std::to_string(tokens_issued) + R"(","expires_in":300})"
                               : token_answer);
        }
        for (const auto& h : r.headers)
            if (h.name == "Authorization" && h.value == "Bearer tok-" + std::to_string(tokens_issued) && tokens_issued > 0)
                return respond(200);
        return respond(401, {{"www-authenticate", kBearerChallenge}});
    };

    SUBCASE("challenge -> token (Basic to the realm, service and merged scope) -> retry; cached afterwards") {
        Client c("registry.example", "acme/tool", basic("ci", "pw-123456"), transport, {}, clock.fn());
        REQUIRE(c.exchange(get("/v2/acme/tool/manifests/1.0"))->status == 200);
        REQUIRE(c.exchange(get("/v2/acme/tool/manifests/2.0"))->status == 200);
        REQUIRE(transport->seen.size() == 4);
        CHECK(transport->seen[1].url ==
              "https://auth.example/token?service=registry.example&scope=repository%3Aacme%2Ftool%3Apull%2Cpush&account=ci");
        CHECK(transport->auth_of(1) == "Basic " + base64_encode("ci:pw-123456"));
        CHECK(transport->auth_of(2) == "Bearer tok-1");
        CHECK(transport->auth_of(3) == "Bearer tok-1");
        CHECK(tokens_issued == 1);
        CHECK(redact("Bearer tok-1 leaked") == "Bearer *** leaked");
    }
    SUBCASE("an expired token is renewed up front") {
        Client c("registry.example", "acme/tool", basic("ci", "pw-123456"), transport, {}, clock.fn());
        REQUIRE(c.exchange(get("/v2/a"))->status == 200);
        clock.t += std::chrono::seconds(295);  // within the early-renewal margin of a 300 s token
        REQUIRE(c.exchange(get("/v2/b"))->status == 200);
        CHECK(tokens_issued == 2);
        CHECK(transport->seen.size() == 5);  // 401, token, retry, token, request
    }
    SUBCASE("anonymous pulls get an anonymous token; access_token is accepted") {
        token_answer = R"({"access_token":"tok-1"})";
        Client c("registry.example", "acme/tool", {}, transport, {}, clock.fn());
        REQUIRE(c.exchange(get("/v2/a"))->status == 200);
        CHECK(transport->auth_of(1).empty());
        CHECK(transport->seen[1].url ==
              "https://auth.example/token?service=registry.example&scope=repository%3Aacme%2Ftool%3Apull%2Cpush");
    }
    SUBCASE("extra scopes of a request (mount source) are requested too") {
        Client c("registry.example", "acme/tool", basic("ci", "pw-123456"), transport, {}, clock.fn());
        RegistryRequest req = get("/v2/acme/tool/blobs/uploads/?mount=x&from=acme/base");
        req.method = "POST";
        req.scopes = {"repository:acme/tool:pull,push", "repository:acme/base:pull"};
        REQUIRE(c.exchange(req)->status == 200);
        CHECK(transport->seen[1].url ==
              "https://auth.example/token?service=registry.example&scope=repository%3Aacme%2Fbase%3Apull"
              "&scope=repository%3Aacme%2Ftool%3Apull%2Cpush&account=ci");
    }
    SUBCASE("the token server refusing the credentials is an auth error naming the registry") {
        token_status = 401;
        Client c("registry.example", "acme/tool", basic("ci", "bad-password"), transport, {}, clock.fn());
        auto r = c.exchange(get("/v2/a"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::auth);
        CHECK(r.error().message ==
              "authentication to registry.example failed (credentials from OCX_AUTH_registry_example_* variables): the "
              "token server refused: GET https://auth.example/token: HTTP 401 Unauthorized: incorrect username or password");
    }
    SUBCASE("identity tokens are exchanged with an OAuth2 refresh_token POST") {
        token_answer = R"({"access_token":"tok-1","refresh_token":"refresh-xyz"})";
        Credentials id;
        id.kind = Credentials::Kind::identity_token;
        id.secret = "identity-abc";
        id.source = "auths in config.json";
        Client c("registry.example", "acme/tool", id, transport, {}, clock.fn());
        REQUIRE(c.exchange(get("/v2/a"))->status == 200);
        REQUIRE(transport->seen.size() == 3);
        CHECK(transport->seen[1].method == "POST");
        CHECK(transport->seen[1].url == "https://auth.example/token");
        REQUIRE(transport->seen[1].body);
        CHECK(transport->seen[1].body->bytes ==
              "grant_type=refresh_token&client_id=ocx-release&refresh_token=identity-abc&service=registry.example"
              "&scope=repository%3Aacme%2Ftool%3Apull%2Cpush");
        CHECK(redact("refresh-xyz") == "***");
    }
    SUBCASE("a refused ready token is not renewed") {
        Credentials ready;
        ready.kind = Credentials::Kind::bearer;
        ready.secret = "stale-token";
        ready.source = "OCX_AUTH_registry_example_* variables";
        Client c("registry.example", "acme/tool", ready, transport, {}, clock.fn());
        auto r = c.exchange(get("/v2/a"));
        CHECK(r->status == 401);
        CHECK(transport->seen.size() == 1);
        CHECK(transport->auth_of(0) == "Bearer stale-token");
    }
}

TEST_CASE("insufficient scope is a permission error") {
    auto transport = std::make_shared<ScriptedTransport>();
    Clock clock;
    transport->handler = [&](const HttpRequest& r) -> Result<HttpResponse> {
        if (r.url.rfind("https://auth.example/", 0) == 0) return respond(200, {}, R"({"token":"pull-only"})");
        return respond(
            401,
            {{"www-authenticate",
              R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:acme/tool:pull,push",error="insufficient_scope")"}},
            R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})");
    };
    Client c("registry.example", "acme/tool", basic("ci", "pw-123456"), transport, {}, clock.fn());
    auto first = c.exchange(get("/v2/a"));
    REQUIRE(first.ok());
    CHECK(first->status == 401);
    Error e = c.unauthorized_error("PUT manifest registry.example/acme/tool:1.0", *first);
    CHECK(e.kind == ErrorKind::permission);
    CHECK(e.message ==
          "PUT manifest registry.example/acme/tool:1.0: HTTP 401 Unauthorized: DENIED: requested access to the resource "
          "is denied (the token for registry.example lacks scope \"repository:acme/tool:pull,push\"; credentials from "
          "OCX_AUTH_registry_example_* variables)");
}

TEST_CASE("credentials are not sent to a plain-HTTP realm on a public host") {
    auto transport = std::make_shared<ScriptedTransport>();
    Clock clock;
    transport->handler = [&](const HttpRequest&) -> Result<HttpResponse> {
        return respond(401, {{"www-authenticate", R"(Bearer realm="http://auth.example/token",service="r")"}});
    };
    Client c("registry.example", "acme/tool", basic("ci", "pw-123456"), transport, {}, clock.fn());
    auto r = c.exchange(get("/v2/a"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message ==
          "refusing to send credentials for registry.example to the plain-HTTP token realm http://auth.example (allow "
          "the host as an insecure registry if that is intended)");
    CHECK(transport->seen.size() == 1);
}

TEST_CASE("merge_scopes merges actions per repository") {
    CHECK(merge_scopes({"repository:acme/tool:pull,push"}, "repository:acme/tool:pull") ==
          std::vector<std::string>{"repository:acme/tool:pull,push"});
    CHECK(merge_scopes({"repository:a:push"}, "repository:b:pull repository:a:pull") ==
          std::vector<std::string>{"repository:a:pull,push", "repository:b:pull"});
    CHECK(merge_scopes({}, "registry:catalog:*") == std::vector<std::string>{"registry:catalog:*"});
}

namespace {

// Runs `body` with log level debug and returns everything written to stderr meanwhile.
template <class F>
std::string capture_stderr(F&& body) {
    const log::Level saved = log::level();
    log::set_level(log::Level::debug);
    std::FILE* tmp = std::tmpfile();
    REQUIRE(tmp != nullptr);
    std::fflush(stderr);
    const int saved_fd = ::dup(2);
    ::dup2(::fileno(tmp), 2);
    body();
    std::fflush(stderr);
    ::dup2(saved_fd, 2);
    ::close(saved_fd);
    log::set_level(saved);
    std::rewind(tmp);
    std::string text;
    char buf[1024];
    while (std::fgets(buf, sizeof buf, tmp)) text += buf;
    std::fclose(tmp);
    return text;
}

}  // namespace

TEST_CASE("secrets never reach stderr, even at debug level") {
    auto transport = std::make_shared<ScriptedTransport>();
    Clock clock;
    transport->handler = [&](const HttpRequest& r) -> Result<HttpResponse> {
        if (r.url.rfind("https://auth.example/token", 0) == 0)
            return respond(200, {}, R"({"token":"issued-token-777","refresh_token":"refresh-token-888"})");
        for (const auto& h : r.headers)
            if (h.name == "Authorization" && h.value == "Bearer issued-token-777") return respond(200);
        return respond(401, {{"www-authenticate", kBearerChallenge}});
    };
    std::string errors;
    const std::string out = capture_stderr([&] {
        Client c("registry.example", "acme/tool", basic("ci", "hunter2-password"), transport, {}, clock.fn());
        CHECK(c.exchange(get("/v2/acme/tool/manifests/1.0"))->status == 200);
        // A failing exchange too: its error text goes through the log as well.
        transport->handler = [](const HttpRequest& r) -> Result<HttpResponse> {
            return make_error(ErrorKind::transient, "GET " + r.url + ": Connection reset by peer");
        };
        auto failed = c.exchange(get("/v2/acme/tool/manifests/2.0"));
        errors = failed.error().message;
        log::error(errors);
    });
    CHECK(out.find("debug: > GET https://registry.example/v2/acme/tool/manifests/1.0") != std::string::npos);
    CHECK(out.find("debug: < 200 GET https://registry.example/v2/acme/tool/manifests/1.0") != std::string::npos);
    for (const std::string& secret :
         std::vector<std::string>{"hunter2-password", base64_encode("ci:hunter2-password"), std::string("issued-token-777"),
                                  std::string("refresh-token-888")}) {
        CHECK(out.find(secret) == std::string::npos);
        CHECK(errors.find(secret) == std::string::npos);
    }
}

TEST_CASE("concurrent requests share one token fetch") {
    std::mutex m;
    int token_requests = 0;
    auto transport = std::make_shared<ScriptedTransport>();
    Clock clock;
    transport->handler = [&](const HttpRequest& r) -> Result<HttpResponse> {
        if (r.url.rfind("https://auth.example/token", 0) == 0) {
            ++token_requests;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the other threads pile up
            return respond(200, {}, R"({"token":"shared-token"})");
        }
        for (const auto& h : r.headers)
            if (h.name == "Authorization" && h.value == "Bearer shared-token") return respond(200);
        return respond(401, {{"www-authenticate", kBearerChallenge}});
    };
    // The scripted transport is not thread-safe; serialize it the way a real one would not need to.
    struct Locked : Transport {
        std::shared_ptr<ScriptedTransport> inner;
        std::mutex& m;
        Locked(std::shared_ptr<ScriptedTransport> i, std::mutex& mm) : inner(std::move(i)), m(mm) {}
        Result<HttpResponse> send(const HttpRequest& r) override {
            std::lock_guard lock(m);
            return inner->send(r);
        }
    };
    Client c("registry.example", "acme/tool", basic("ci", "pw-123456"), std::make_shared<Locked>(transport, m), {},
             clock.fn());
    REQUIRE(c.exchange(get("/v2/first"))->status == 200);  // learn the challenge, get a first token
    clock.t += std::chrono::seconds(61);                   // it expires: every thread wants a new one
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            auto r = c.exchange(get("/v2/acme/tool/blobs/" + std::to_string(i)));
            if (r.ok() && r->status == 200) ok.fetch_add(1);
        });
    for (auto& t : threads) t.join();
    CHECK(ok.load() == 8);
    CHECK(token_requests == 2);
    CHECK(c.requests() == 3 + 1 + 8);  // 401, token, retry; one renewal; one request per thread
}
