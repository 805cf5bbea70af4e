#pragma once
// Docker credential helpers (docker-credential-helpers protocol): `docker-credential-<name> get`
// reads the server address on stdin and prints {"ServerURL":…,"Username":…,"Secret":…}; a
// Username of "<token>" means Secret is an identity token. A host it has nothing for makes it
// exit non-zero printing "credentials not found in native keychain".

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "registry/credentials.hpp"
#include "util/result.hpp"

namespace ocx::registry {

/// The first executable `program` in the colon-separated `path_list`; nullopt when none.
std::optional<std::filesystem::path> find_in_path(std::string_view program, std::string_view path_list);

/// Asks helper `name` for `host`'s credentials (looked up on env's PATH). nullopt when the helper
/// has none; an error (ErrorKind::unavailable) when it is missing, fails, hangs past `timeout` or
/// prints something that is not its JSON answer. The secret is registered before returning.
Result<std::optional<Credentials>> run_credential_helper(std::string_view name, std::string_view host, const EnvLookup& env,
                                                         std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace ocx::registry
