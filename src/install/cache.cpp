// The exec package cache (see cache.hpp).
#include "install/cache.hpp"

#include <cstdlib>

#include "util/files.hpp"

namespace ocx::install {

namespace fs = std::filesystem;

namespace {
const char* non_empty_env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
}
}  // namespace

Result<fs::path> cache_root() {
    fs::path root;
    if (const char* v = non_empty_env("OCX_RELEASE_CACHE")) root = fs::path(v) / "packages";
    else if (const char* x = non_empty_env("XDG_CACHE_HOME")) root = fs::path(x) / "ocx-release" / "packages";
    else if (const char* h = non_empty_env("HOME")) root = fs::path(h) / ".cache" / "ocx-release" / "packages";
    else return make_error(ErrorKind::usage, "no cache directory: set OCX_RELEASE_CACHE, XDG_CACHE_HOME or HOME");
    std::error_code ec;
    fs::path absolute = fs::absolute(root, ec);
    return ec ? root : absolute.lexically_normal();
}

Result<Cached> ensure_cached(publish::Target& target, const Resolved& resolved, const fs::path& root) {
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
    auto installed = install(target, resolved, out.dir, Overwrite::refuse);
    if (!installed) return std::move(installed).error();
    return out;
}

}  // namespace ocx::install
