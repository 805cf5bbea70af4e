#pragma once
// The environment a package declares, as a consumer gets it (docs/wire-format.md §4, `env[]`), for
// `ocx-release env` / `exec` smoke tests. Pure: values in, values out; nothing is read from disk.
//
// Entries apply in order to a copy of the base environment:
//   path      prepends the value with ':' (a relative value is taken under the install path)
//   constant  replaces
//   list      appends with its own separator (a value edged by the separator is refused)
// Templates: ${installPath} and ${self.installPath} are the install path (`:native` and `:posix`
// give the same text on Linux); ${self.env.KEY} is this package's own value for KEY so far — its
// earlier entries folded together, without the inherited base value (OCX resolves it the same
// way); `$${` is a literal `${`. ${deps.NAME.installPath} needs the dependency installed, which
// ocx-release does not do: it is an error naming the dependency.
// Visibility picks the entries that reach the result: the consumer surface (what `ocx exec`
// gives someone using the package) takes public and interface entries; the self surface (the
// package's own launchers) takes private and public ones. Every entry is still resolved, so a
// visible entry may build on a hidden one through ${self.env.KEY}. `required` paths are not
// checked for existence here (no I/O); callers with an installed tree may check the result.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "metadata/metadata.hpp"
#include "util/result.hpp"

namespace ocx::metadata {

enum class Surface {
    consumer,  // public + interface entries
    self,      // private + public entries
};

struct EnvChange {
    std::string key;
    std::string value;

    friend bool operator==(const EnvChange&, const EnvChange&) = default;
};

/// Applies the package's env entries visible on `surface` to `base` and returns the variables
/// whose final value differs from `base` (or that `base` lacks), in the order they were first
/// touched. Errors: ErrorKind::not_found for ${deps.…} (dependency not installed),
/// ErrorKind::data for a template or list value that cannot be resolved.
Result<std::vector<EnvChange>> resolve_env(const Metadata& metadata, const std::filesystem::path& install_path,
                                           const std::map<std::string, std::string>& base, Surface surface);

/// `text` in POSIX shell single quotes: 'it'\''s'.
std::string shell_quote(std::string_view text);

/// One `export KEY='value'` line per change, each ending in '\n'.
std::string format_exports(const std::vector<EnvChange>& changes);

}  // namespace ocx::metadata
