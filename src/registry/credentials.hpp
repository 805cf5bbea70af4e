#pragma once
// Where registry credentials come from (docs/cli.md, "Credentials"; first match wins):
//  1. OCX_AUTH_<SLUG>_TYPE|USER|TOKEN|HOST, <SLUG> being the registry with every character that is
//     not an ASCII letter or digit replaced by '_' (case kept): "127.0.0.1:5000" -> "127_0_0_1_5000".
//     Many hosts share a slug ("ocx.registry.example" and "ocx-registry.example"), so the variables
//     are used for one host only: the one in OCX_AUTH_<SLUG>_HOST (exact, port included; host
//     names compared without case) when it is set — for any other host they are skipped with a
//     warning; without it, the host the slug reads back as: '_' stands for '.', except the last '_'
//     before a trailing number, which stands for ':' ("127_0_0_1_5000" -> "127.0.0.1:5000",
//     "registry_example" -> "registry.example"). A host that does not read back so (a '-' or '_' in it, no port after
//     a numeric last label) needs _HOST; using the variables for it without one is a usage error
//     naming the variable to add.
//     These are the variables OCX reads, with OCX's meaning:
//       TYPE=basic            USER + TOKEN are a user name and password (both required);
//       TYPE=token | bearer   TOKEN is sent as is, `Authorization: Bearer <TOKEN>` (USER ignored);
//       TYPE=anonymous        no credentials, and the Docker config is not consulted;
//       TYPE unset            USER + TOKEN -> basic; TOKEN alone -> bearer; otherwise not a match.
//     TYPE is case-insensitive; any other value, or a missing USER/TOKEN it needs, is a usage error.
//  2. The Docker config, $DOCKER_CONFIG/config.json or ~/.docker/config.json (what `docker login`
//     and docker/login-action write): credHelpers[host], then credsStore (both run
//     `docker-credential-<name> get`), then auths[host] (`auth` = base64 "user:password",
//     `identitytoken`, or plain `username`/`password`). A helper that has nothing for the host
//     passes on to the next source; a helper that cannot run, or an unreadable config, is a warning
//     and passes on too (as OCX does) — the registry's 401 then says what is missing.
//  3. Anonymous.
// Every secret is given to register_secret() the moment it is read, so it never reaches output.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ocx::registry {

struct Credentials {
    enum class Kind {
        anonymous,
        basic,           // username + password; exchanged for a token when the registry asks for Bearer
        bearer,          // a ready token, sent as is
        identity_token,  // an OAuth2 refresh token (Docker's `identitytoken`), exchanged at the realm
    };
    Kind kind = Kind::anonymous;
    std::string username;
    std::string secret;  // password, token or identity token
    std::string source;  // for messages: "OCX_AUTH_127_0_0_1_5000_* variables", "" when anonymous
};

/// Reads one environment variable; nullopt when unset. Injected so tests need no setenv.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The real process environment.
EnvLookup process_env();

/// "127.0.0.1:5000" -> "127_0_0_1_5000".
std::string env_host_slug(std::string_view host);

/// The host a slug stands for when OCX_AUTH_<SLUG>_HOST is not set (see the file comment):
/// "127_0_0_1_5000" -> "127.0.0.1:5000", "ocx_registry_example" -> "ocx.registry.example".
std::string host_from_slug(std::string_view slug);

/// Step 1. nullopt when no variable for the host is set, or they are for another host.
Result<std::optional<Credentials>> credentials_from_env(std::string_view host, const EnvLookup& env);

/// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json; nullopt when neither is known.
std::optional<std::filesystem::path> docker_config_path(const EnvLookup& env);

/// Step 2, from the config file at `config` (a missing file is no match).
std::optional<Credentials> credentials_from_docker_config(std::string_view host, const std::filesystem::path& config,
                                                          const EnvLookup& env);

/// Steps 1–3 for a registry host ("127.0.0.1:5000").
Result<Credentials> resolve_credentials(std::string_view host, const EnvLookup& env);

}  // namespace ocx::registry
