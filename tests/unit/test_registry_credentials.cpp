#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "registry/credentials.hpp"
#include "temp_dir.hpp"
#include "util/log.hpp"
#include "util/redact.hpp"

using namespace ocx;
using namespace ocx::registry;
using ocx::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct FakeEnv {
    std::map<std::string, std::string> vars;
    EnvLookup lookup() const {
        return [this](const std::string& name) -> std::optional<std::string> {
            auto it = vars.find(name);
            if (it == vars.end()) return std::nullopt;
            return it->second;
        };
    }
};

// A credential helper script at `rel` under `dir`, executable by its owner.
void write_helper(const TempDir& dir, const fs::path& rel, const std::string& script) {
    fs::permissions(dir.write(rel, script), fs::perms::owner_all);
}

struct QuietLog {
    log::Level saved = log::level();
    QuietLog() { log::set_level(log::Level::quiet); }
    ~QuietLog() { log::set_level(saved); }
};

// A fake docker-credential helper: answers for hosts listed in the script, "not found" otherwise,
// and records what it was asked on stdin.
std::string helper_script(const std::string& log_file, const std::string& host, const std::string& json) {
    return "#!/bin/sh\nread host\necho \"$1 $host\" >> '" + log_file + "'\nif [ \"$host\" = '" + host +
           "' ]; then printf '%s' '" + json + "'; exit 0; fi\necho 'credentials not found in native keychain'\nexit 1\n";
}

}  // namespace

TEST_CASE("env host slug: every non-alphanumeric becomes '_', case kept") {
    CHECK(env_host_slug("localhost:5000") == "localhost_5000");
    CHECK(env_host_slug("127.0.0.1:5000") == "127_0_0_1_5000");
    CHECK(env_host_slug("[::1]:5000") == "___1__5000");
    CHECK(env_host_slug("Reg-1.example") == "Reg_1_example");
}

TEST_CASE("OCX_AUTH_<HOST>_* variables") {
    FakeEnv env;
    const std::string p = "OCX_AUTH_127_0_0_1_5000_";
    auto get = [&] { return credentials_from_env("127.0.0.1:5000", env.lookup()); };

    SUBCASE("nothing set: no match") {
        auto r = get();
        REQUIRE(r.ok());
        CHECK_FALSE(r->has_value());
    }
    SUBCASE("USER + TOKEN without TYPE is basic") {
        env.vars = {{p + "USER", "ci"}, {p + "TOKEN", "s3cret-pw"}};
        auto r = get();
        REQUIRE(r->has_value());
        CHECK((*r)->kind == Credentials::Kind::basic);
        CHECK((*r)->username == "ci");
        CHECK((*r)->secret == "s3cret-pw");
        CHECK((*r)->source == "OCX_AUTH_127_0_0_1_5000_* variables");
    }
    SUBCASE("TOKEN alone is a bearer token") {
        env.vars = {{p + "TOKEN", "tok-123456"}};
        CHECK((*get())->kind == Credentials::Kind::bearer);
    }
    SUBCASE("USER alone is no match") {
        env.vars = {{p + "USER", "ci"}};
        CHECK_FALSE(get()->has_value());
    }
    SUBCASE("TYPE is case-insensitive; token and bearer are the same") {
        env.vars = {{p + "TYPE", "Bearer"}, {p + "USER", "ignored"}, {p + "TOKEN", "tok-123456"}};
        CHECK((*get())->kind == Credentials::Kind::bearer);
        env.vars[p + "TYPE"] = "token";
        CHECK((*get())->kind == Credentials::Kind::bearer);
        CHECK((*get())->secret == "tok-123456");
    }
    SUBCASE("TYPE=anonymous wins over everything") {
        env.vars = {{p + "TYPE", "anonymous"}, {p + "TOKEN", "tok-123456"}};
        CHECK((*get())->kind == Credentials::Kind::anonymous);
    }
    SUBCASE("TYPE=basic needs USER and TOKEN") {
        env.vars = {{p + "TYPE", "basic"}, {p + "TOKEN", "pw-123456"}};
        auto r = get();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::usage);
        CHECK(r.error().message == "OCX_AUTH_127_0_0_1_5000_TYPE=basic needs OCX_AUTH_127_0_0_1_5000_USER to be set");
    }
    SUBCASE("unknown TYPE") {
        env.vars = {{p + "TYPE", "kerberos"}};
        CHECK(get().error().message ==
              "OCX_AUTH_127_0_0_1_5000_TYPE: unknown authentication type \"kerberos\"; expected anonymous, basic, token or "
              "bearer");
    }
    SUBCASE("the token is registered as a secret as soon as it is read") {
        env.vars = {{p + "TOKEN", "env-secret-value-42"}};
        (void)get();
        CHECK(redact("sent env-secret-value-42!") == "sent ***!");
    }
}

TEST_CASE("a slug reads back as one host: '_' is '.', the last '_' before a trailing number ':'") {
    CHECK(host_from_slug("127_0_0_1_5000") == "127.0.0.1:5000");
    CHECK(host_from_slug("localhost_5000") == "localhost:5000");
    CHECK(host_from_slug("registry_example") == "registry.example");
    CHECK(host_from_slug("ocx_registry_example") == "ocx.registry.example");
    CHECK(host_from_slug("ocx_registry_example_443") == "ocx.registry.example:443");
    CHECK(host_from_slug("localhost") == "localhost");
    // Hosts the rule cannot give back: they need OCX_AUTH_<SLUG>_HOST.
    for (std::string_view host : {"ocx-registry.example", "my_registry.example", "127.0.0.1", "[::1]:5000"})
        CHECK(host_from_slug(env_host_slug(host)) != host);
}

TEST_CASE("OCX_AUTH_<SLUG>_* reach only the host they were written for") {
    QuietLog quiet;
    FakeEnv env;
    const std::string p = "OCX_AUTH_ocx_registry_example_";
    env.vars = {{p + "USER", "ci"}, {p + "TOKEN", "pw-for-the-real-host"}};
    auto get = [&](std::string_view host) { return credentials_from_env(host, env.lookup()); };

    SUBCASE("without _HOST: the host the slug reads back as gets them") {
        auto r = get("ocx.registry.example");
        REQUIRE(r.ok());
        REQUIRE(r->has_value());
        CHECK((*r)->secret == "pw-for-the-real-host");
    }
    SUBCASE("without _HOST: a look-alike host sharing the slug is refused, naming the variable to add") {
        auto r = get("ocx-registry.example");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::usage);
        CHECK(r.error().message ==
              "OCX_AUTH_ocx_registry_example_* are for ocx.registry.example (the host their name reads back as), "
              "not for ocx-registry.example, and are not sent there; if they are meant for ocx-registry.example, "
              "set OCX_AUTH_ocx_registry_example_HOST=ocx-registry.example");
        CHECK_FALSE(get("ocx.registry_example").ok());
    }
    SUBCASE("_HOST names the one host; every other host sharing the slug goes without them") {
        env.vars[p + "HOST"] = "ocx-registry.example";
        auto mine = get("ocx-registry.example");
        REQUIRE(mine.ok());
        REQUIRE(mine->has_value());
        CHECK((*mine)->username == "ci");
        auto other = get("ocx.registry.example");
        REQUIRE(other.ok());
        CHECK_FALSE(other->has_value());
    }
    SUBCASE("_HOST compares host names without case") {
        env.vars[p + "HOST"] = "OCX.Registry.EXAMPLE";
        REQUIRE(get("ocx.registry.example")->has_value());
    }
    SUBCASE("_HOST holds the port too") {
        env.vars = {{"OCX_AUTH_ocx_registry_example_5000_TOKEN", "tok-123456"},
                    {"OCX_AUTH_ocx_registry_example_5000_HOST", "ocx-registry.example:5000"}};
        CHECK(get("ocx-registry.example:5000")->has_value());
        env.vars["OCX_AUTH_ocx_registry_example_5000_HOST"] = "ocx-registry.example";
        CHECK_FALSE(get("ocx-registry.example:5000")->has_value());
    }
    SUBCASE("a lone _HOST is no match") {
        env.vars = {{p + "HOST", "ocx.registry.example"}};
        auto r = get("ocx.registry.example");
        REQUIRE(r.ok());
        CHECK_FALSE(r->has_value());
    }
    SUBCASE("resolve_credentials falls through to anonymous for the other host") {
        env.vars[p + "HOST"] = "ocx.registry.example";
        auto r = resolve_credentials("ocx-registry.example", env.lookup());
        REQUIRE(r.ok());
        CHECK(r->kind == Credentials::Kind::anonymous);
        CHECK(r->secret.empty());
    }
}

TEST_CASE("Docker config location") {
    FakeEnv env;
    CHECK_FALSE(docker_config_path(env.lookup()));
    env.vars["HOME"] = "/home/ci";
    CHECK(docker_config_path(env.lookup()) == fs::path("/home/ci/.docker/config.json"));
    env.vars["DOCKER_CONFIG"] = "/etc/docker-ci";
    CHECK(docker_config_path(env.lookup()) == fs::path("/etc/docker-ci/config.json"));
}

TEST_CASE("Docker config resolution order") {
    QuietLog quiet;
    TempDir dir;
    FakeEnv env;
    env.vars["PATH"] = (dir.path() / "bin").string();
    env.vars["DOCKER_CONFIG"] = (dir.path() / "docker").string();
    const fs::path config = dir.path() / "docker" / "config.json";
    const std::string calls = (dir.path() / "calls.log").string();
    const std::string host = "127.0.0.1:5000";
    // "user:from-auths" and "user:from-auths-2"
    const std::string auths =
        R"("auths":{"https://127.0.0.1:5000/v1/":{"auth":"dXNlcjpmcm9tLWF1dGhz"},"other.example":{"auth":"eDp5"}})";
    write_helper(dir, "bin/docker-credential-pass",
                 helper_script(calls, host,
                               R"({"ServerURL":"127.0.0.1:5000","Username":"helper-user","Secret":"from-helper-1"})"));
    write_helper(dir, "bin/docker-credential-store",
                 helper_script(calls, host,
                               R"({"ServerURL":"127.0.0.1:5000","Username":"store-user","Secret":"from-store-1"})"));
    write_helper(dir, "bin/docker-credential-tokenstore",
                 helper_script(calls, host, R"({"Username":"<token>","Secret":"identity-tok-1"})"));
    write_helper(dir, "bin/docker-credential-broken", "#!/bin/sh\nexit 3\n");
    auto resolve = [&] { return credentials_from_docker_config(host, config, env.lookup()); };
    auto read_calls = [&] {
        std::ifstream in(calls);
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return all;
    };

    SUBCASE("missing file: no match") { CHECK_FALSE(resolve()); }
    SUBCASE("a config that is /dev/zero is ignored unread, not read until memory runs out") {
        fs::create_directories(config.parent_path());
        fs::create_symlink("/dev/zero", config);
        CHECK_FALSE(resolve());
    }
    SUBCASE("credHelpers[host] comes first, and gets the host on stdin") {
        dir.write("docker/config.json", R"({"credHelpers":{"127.0.0.1:5000":"pass"},"credsStore":"store",)" + auths + "}");
        auto c = resolve();
        REQUIRE(c);
        CHECK(c->kind == Credentials::Kind::basic);
        CHECK(c->username == "helper-user");
        CHECK(c->secret == "from-helper-1");
        CHECK(c->source == "docker-credential-pass (credHelpers in " + config.string() + ")");
        CHECK(read_calls() == "get 127.0.0.1:5000\n");
        CHECK(redact("from-helper-1") == "***");
    }
    SUBCASE("credsStore when no helper is named for the host") {
        dir.write("docker/config.json", R"({"credHelpers":{"other.example":"pass"},"credsStore":"store",)" + auths + "}");
        auto c = resolve();
        REQUIRE(c);
        CHECK(c->secret == "from-store-1");
        CHECK(read_calls() == "get 127.0.0.1:5000\n");
    }
    SUBCASE("a helper with nothing for the host passes on to auths") {
        dir.write("docker/config.json", R"({"credsStore":"store",)" + auths + "}");
        auto c = resolve_credentials("127.0.0.1:5000", env.lookup());  // via resolve: env first, then config
        REQUIRE(c.ok());
        CHECK(c->secret == "from-store-1");
        auto other = credentials_from_docker_config("other.example", config, env.lookup());
        REQUIRE(other);
        CHECK(other->username == "x");
        CHECK(other->secret == "y");
        CHECK(other->source == "auths in " + config.string());
    }
    SUBCASE("auths: base64 user:password, key with scheme and path") {
        dir.write("docker/config.json", "{" + auths + "}");
        auto c = resolve();
        REQUIRE(c);
        CHECK(c->kind == Credentials::Kind::basic);
        CHECK(c->username == "user");
        CHECK(c->secret == "from-auths");
        CHECK(redact("pw=from-auths") == "pw=***");
    }
    SUBCASE("auths: identitytoken") {
        dir.write("docker/config.json",
                  R"({"auths":{"127.0.0.1:5000":{"auth":"dXNlcjpmcm9tLWF1dGhz","identitytoken":"id-token-xyz"}}})");
        auto c = resolve();
        REQUIRE(c);
        CHECK(c->kind == Credentials::Kind::identity_token);
        CHECK(c->username == "user");
        CHECK(c->secret == "id-token-xyz");
    }
    SUBCASE("a helper answering <token> gives an identity token") {
        dir.write("docker/config.json", R"({"credsStore":"tokenstore"})");
        auto c = resolve();
        REQUIRE(c);
        CHECK(c->kind == Credentials::Kind::identity_token);
        CHECK(c->secret == "identity-tok-1");
    }
    SUBCASE("a failing or missing helper is skipped") {
        dir.write("docker/config.json",
                  R"({"credHelpers":{"127.0.0.1:5000":"broken"},"credsStore":"absent",)" + auths + "}");
        auto c = resolve();
        REQUIRE(c);
        CHECK(c->secret == "from-auths");
    }
    SUBCASE("an empty auths entry (credentials kept in a store) is no match") {
        dir.write("docker/config.json", R"({"auths":{"127.0.0.1:5000":{}}})");
        CHECK_FALSE(resolve());
    }
    SUBCASE("a broken config is ignored") {
        dir.write("docker/config.json", "{not json");
        CHECK_FALSE(resolve());
    }
    SUBCASE("environment variables win over the Docker config; anonymous at the end") {
        dir.write("docker/config.json", "{" + auths + "}");
        env.vars["OCX_AUTH_127_0_0_1_5000_TOKEN"] = "env-token-1";
        auto c = resolve_credentials("127.0.0.1:5000", env.lookup());
        REQUIRE(c.ok());
        CHECK(c->kind == Credentials::Kind::bearer);
        auto anon = resolve_credentials("unknown.example", env.lookup());
        REQUIRE(anon.ok());
        CHECK(anon->kind == Credentials::Kind::anonymous);
        CHECK(anon->source.empty());
    }
}
