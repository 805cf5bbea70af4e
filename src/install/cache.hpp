#pragma once
// The package cache behind `exec` (docs/cli.md "exec"): one install directory per platform
// manifest, <root>/<manifest hex>, so a digest once installed is reused without reading anything
// but the tag. The root is $OCX_RELEASE_CACHE/packages when set, else
// $XDG_CACHE_HOME/ocx-release/packages, else $HOME/.cache/ocx-release/packages. Installs of one
// digest are serialized across processes by an flock on <root>/<hex>.lock; a directory without
// metadata.json (an install that was killed) is removed and installed again.

#include <filesystem>

#include "install/install.hpp"

namespace ocx::install {

/// The cache root from the environment (see the file comment); ErrorKind::usage when none of
/// the variables is set.
Result<std::filesystem::path> cache_root();

struct Cached {
    std::filesystem::path dir;  // <root>/<hex>
    bool reused = false;        // true when it was already installed
};

/// Makes sure the manifest `resolved` names is installed under `root` and returns where.
/// Unpacking is bounded by `limits`, as install() is.
Result<Cached> ensure_cached(store::Target& target, const Resolved& resolved, const std::filesystem::path& root,
                             const bundle::UnpackLimits& limits = {});

}  // namespace ocx::install
