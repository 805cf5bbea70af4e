// The exec package cache (see cache.hpp).
#include "install/cache.hpp"

#include "util/files.hpp"

namespace ocx::install {

namespace fs = std::filesystem;

Result<fs::path> cache_root() { return cache_dir("packages"); }

Result<Cached> ensure_cached(store::Target& target, const Resolved& resolved, const fs::path& root,
                             const bundle::UnpackLimits& limits) {
    Cached out{root / resolved.digest.hex(), false};
    std::error_code ec;
    if (fs::exists(metadata_file(out.dir), ec)) {
        out.reused = true;
        return out;
    }
    fs::create_directories(root, ec);
    if (ec) return make_error(ErrorKind::io, "cannot create " + root.string() + ": " + ec.message());
    auto lock = FileLock::acquire(root / (resolved.digest.hex() + ".lock"));
    if (!lock) return std::move(lock).error();
    if (fs::exists(metadata_file(out.dir), ec)) {  // another process finished it while we waited
        out.reused = true;
        return out;
    }
    fs::remove_all(out.dir, ec);
    if (ec) return make_error(ErrorKind::io, "cannot remove the incomplete " + out.dir.string() + ": " + ec.message());
    auto installed = install(target, resolved, out.dir, Overwrite::refuse, limits);
    if (!installed) return std::move(installed).error();
    return out;
}

}  // namespace ocx::install
