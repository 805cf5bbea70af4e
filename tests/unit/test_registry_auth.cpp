// registry/auth.hpp through its seams: a RawSend that answers as a token server does (the Docker
// registry token flow, docs/cli.md "Credentials") and a clock the test moves.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "digest/base64.hpp"
#include "registry/auth.hpp"
#include "registry/url.hpp"
#include "util/percent.hpp"

using namespace ocx;
using namespace ocx::registry;
using namespace std::chrono_literals;

namespace {

HttpResponse challenge(long status, std::string www_authenticate) {
    HttpResponse r;
    r.status = status;
    r.headers.push_back({"www-authenticate", std::move(www_authenticate)});
    return r;
}

// A token server: answers every request with the next token ("tok-1", "tok-2" …) unless told to
// refuse, and keeps what it was sent.
struct TokenServer {
    std::vector<HttpRequest> requests;
    long status = 200;
    long long expires_in = 300;
    int issued = 0;

    RawSend send() {
        return [this](const HttpRequest& req) -> Result<HttpResponse> {
            requests.push_back(req);
            HttpResponse r;
            r.status = status;
            if (status == 200)
                r.body =
                    R"({"token":"tok-)" + std::to_string(++issued) + R"(","expires_in":)" + std::to_string(expires_in) + "}";
            else
                r.body = R"({"errors":[{"code":"UNAUTHORIZED","message":"bad password"}]})";
            return r;
        };
    }
};

struct Clock {
    std::chrono::steady_clock::time_point now{};
    Authenticator::Clock seam() {
        return [this] { return now; };
    }
};

Credentials basic(std::string user, std::string password) {
    return Credentials{Credentials::Kind::basic, std::move(user), std::move(password),
                       "OCX_AUTH_registry_example_* variables"};
}

const char* const kBearer =
    R"(Bearer realm="https://auth.registry.example/token",service="registry.example",scope="repository:acme/tool:pull")";

std::string header_value(const HttpRequest& req, const std::string& name) {
    for (const auto& h : req.headers)
        if (h.name == name) return h.value;
    return {};
}

}  // namespace

TEST_CASE("merge_scopes joins the actions of one resource and keeps the others, sorted") {
    CHECK(merge_scopes({"repository:acme/tool:push", "repository:acme/tool:pull"}, "") ==
          std::vector<std::string>{"repository:acme/tool:pull,push"});
    CHECK(merge_scopes({"repository:acme/tool:pull,push"}, "repository:acme/base:pull repository:acme/tool:pull") ==
          std::vector<std::string>{"repository:acme/base:pull", "repository:acme/tool:pull,push"});
    // A name may hold ':' (a registry with a port); the actions are after the last one.
    CHECK(merge_scopes({"repository:127.0.0.1:5000/x:pull"}, "") ==
          std::vector<std::string>{"repository:127.0.0.1:5000/x:pull"});
    CHECK(merge_scopes({}, "").empty());
}

TEST_CASE("Basic: credentials after the first 401, sent up front from then on, not retried when refused") {
    TokenServer server;
    Clock clock;
    Authenticator auth(
        "registry.example", basic("ci", "s3cret"), server.send(), [](std::string_view) { return false; }, clock.seam());
    const std::string expected = "Basic " + base64_encode("ci:s3cret");

    REQUIRE(auth.authorization({"repository:acme/tool:pull"}).ok());
    CHECK(*auth.authorization({"repository:acme/tool:pull"}) == "");  // no challenge seen yet

    auto retry = auth.on_unauthorized(challenge(401, R"(Basic realm="registry")"), {}, "");
    REQUIRE(retry.ok());
    REQUIRE(retry->has_value());
    CHECK(**retry == expected);
    CHECK(*auth.authorization({}) == expected);
    CHECK_FALSE(auth.uses_bearer_tokens());

    // The password itself refused: retrying with it cannot help.
    auto again = auth.on_unauthorized(challenge(401, R"(Basic realm="registry")"), {}, expected);
    REQUIRE(again.ok());
    CHECK_FALSE(again->has_value());
    CHECK(server.requests.empty());

    const Error e = auth.unauthorized_error("GET /v2/", challenge(401, R"(Basic realm="registry")"));
    CHECK(e.kind == ErrorKind::auth);
    CHECK(e.message.find("credentials from OCX_AUTH_registry_example_* variables") != std::string::npos);
    CHECK(e.message.find("s3cret") == std::string::npos);
}

TEST_CASE("Bearer: a token per scope set from the realm, cached until it nearly expires") {
    TokenServer server;
    Clock clock;
    Authenticator auth(
        "registry.example", basic("ci", "s3cret"), server.send(), [](std::string_view) { return false; }, clock.seam());
    const std::vector<std::string> scopes{"repository:acme/tool:pull,push"};

    auto retry = auth.on_unauthorized(challenge(401, kBearer), scopes, "");
    REQUIRE(retry.ok());
    REQUIRE(retry->has_value());
    CHECK(**retry == "Bearer tok-1");
    CHECK(auth.uses_bearer_tokens());

    REQUIRE(server.requests.size() == 1);
    const HttpRequest& req = server.requests[0];
    CHECK(req.method == "GET");
    std::string url = append_query("https://auth.registry.example/token", "service", "registry.example");
    url = append_query(url, "scope", "repository:acme/tool:pull,push");
    url = append_query(url, "account", "ci");
    CHECK(req.url == url);
    CHECK(header_value(req, "Authorization") == "Basic " + base64_encode("ci:s3cret"));

    // Cached for the request's scopes: no second request while it lives.
    CHECK(*auth.authorization(scopes) == "Bearer tok-1");
    CHECK(server.requests.size() == 1);
    // Renewed early: 10 s before the 300 s run out.
    clock.now += std::chrono::seconds(server.expires_in) - 10s;
    CHECK(*auth.authorization(scopes) == "Bearer tok-2");
    CHECK(server.requests.size() == 2);

    // Another scope set gets its own token.
    CHECK(*auth.authorization({"repository:acme/other:pull"}) == "Bearer tok-3");
}

TEST_CASE("Bearer: a refused token is dropped; refused for lack of scope, it is not asked for again") {
    TokenServer server;
    Clock clock;
    Authenticator auth(
        "registry.example", basic("ci", "s3cret"), server.send(), [](std::string_view) { return false; }, clock.seam());
    const std::vector<std::string> scopes{"repository:acme/tool:pull"};
    REQUIRE(auth.on_unauthorized(challenge(401, kBearer), scopes, "").ok());
    const std::string insufficient =
        R"(Bearer realm="https://auth.registry.example/token",service="registry.example",scope="repository:acme/tool:pull",error="insufficient_scope")";

    auto none = auth.on_unauthorized(challenge(401, insufficient), scopes, "Bearer tok-1");
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());
    CHECK(server.requests.size() == 1);

    const Error e = auth.unauthorized_error("PUT manifest", challenge(401, insufficient));
    CHECK(e.kind == ErrorKind::permission);
    CHECK(e.message.find("lacks scope \"repository:acme/tool:pull\"") != std::string::npos);

    // An expired token refused without insufficient_scope: a fresh one is fetched.
    auto fresh = auth.on_unauthorized(challenge(401, kBearer), scopes, "Bearer tok-1");
    REQUIRE(fresh.ok());
    REQUIRE(fresh->has_value());
    CHECK(**fresh == "Bearer tok-2");
}

TEST_CASE("Bearer: credentials never go to a plain-HTTP realm the user did not allow") {
    TokenServer server;
    Clock clock;
    std::vector<std::string> asked;
    const std::string plain = R"(Bearer realm="http://auth.registry.example/token",service="registry.example")";
    Authenticator auth(
        "registry.example", basic("ci", "s3cret"), server.send(),
        [&](std::string_view host) {
            asked.emplace_back(host);
            return false;
        },
        clock.seam());
    auto r = auth.on_unauthorized(challenge(401, plain), {"repository:acme/tool:pull"}, "");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::unavailable);
    CHECK(r.error().message ==
          "refusing to send credentials for registry.example to the plain-HTTP token realm http://auth.registry.example "
          "(allow the host as an insecure registry if that is intended)");
    CHECK(asked == std::vector<std::string>{"auth.registry.example"});
    CHECK(server.requests.empty());

    SUBCASE("anonymous: nothing to protect, the token is fetched") {
        Authenticator anonymous(
            "registry.example", Credentials{}, server.send(), [](std::string_view) { return false; }, clock.seam());
        auto t = anonymous.on_unauthorized(challenge(401, plain), {"repository:acme/tool:pull"}, "");
        REQUIRE(t.ok());
        CHECK(**t == "Bearer tok-1");
        REQUIRE(server.requests.size() == 1);
        CHECK(header_value(server.requests[0], "Authorization").empty());
    }
}

TEST_CASE("Bearer: a token server that refuses is an auth error naming where the credentials came from") {
    TokenServer server;
    server.status = 401;
    Clock clock;
    Authenticator auth(
        "registry.example", basic("ci", "s3cret"), server.send(), [](std::string_view) { return false; }, clock.seam());
    auto r = auth.on_unauthorized(challenge(401, kBearer), {"repository:acme/tool:pull"}, "");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::auth);
    CHECK(r.error().message.rfind("authentication to registry.example failed (credentials from "
                                  "OCX_AUTH_registry_example_* variables): the token server refused: ",
                                  0) == 0);
    CHECK(r.error().message.find("s3cret") == std::string::npos);
}

TEST_CASE("an identity token is exchanged with a refresh_token POST") {
    TokenServer server;
    Clock clock;
    const Credentials identity{Credentials::Kind::identity_token, "", "refresh&me=1", "the Docker config"};
    Authenticator auth(
        "registry.example", identity, server.send(), [](std::string_view) { return false; }, clock.seam());
    auto r = auth.on_unauthorized(challenge(401, kBearer), {"repository:acme/tool:pull"}, "");
    REQUIRE(r.ok());
    CHECK(**r == "Bearer tok-1");
    REQUIRE(server.requests.size() == 1);
    const HttpRequest& req = server.requests[0];
    CHECK(req.method == "POST");
    CHECK(req.url == "https://auth.registry.example/token");
    CHECK(header_value(req, "Content-Type") == "application/x-www-form-urlencoded");
    REQUIRE(req.body);
    CHECK(req.body->bytes ==
          "grant_type=refresh_token&client_id=ocx-release&refresh_token=" + percent_encode_unreserved("refresh&me=1") +
              "&service=registry.example&scope=" + percent_encode_unreserved("repository:acme/tool:pull"));
}

TEST_CASE("a ready token is sent from the first request and never renewed") {
    TokenServer server;
    Clock clock;
    const Credentials ready{Credentials::Kind::bearer, "", "ready-token", "OCX_AUTH_registry_example_* variables"};
    Authenticator auth(
        "registry.example", ready, server.send(), [](std::string_view) { return false; }, clock.seam());
    CHECK(*auth.authorization({"repository:acme/tool:pull"}) == "Bearer ready-token");
    CHECK(auth.uses_bearer_tokens());
    auto r = auth.on_unauthorized(challenge(401, kBearer), {"repository:acme/tool:pull"}, "Bearer ready-token");
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
    CHECK(server.requests.empty());
}
