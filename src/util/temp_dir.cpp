#include "util/temp_dir.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <unistd.h>

namespace ocx {

namespace fs = std::filesystem;

namespace {
std::mutex g_mutex;
std::set<std::string>& live() {
    static std::set<std::string> s;
    return s;
}

void track(const fs::path& p) {
    std::lock_guard lock(g_mutex);
    live().insert(p.string());
}
void untrack(const fs::path& p) {
    std::lock_guard lock(g_mutex);
    live().erase(p.string());
}

extern "C" void on_signal(int sig) {
    // Not strictly async-signal-safe (it walks directories), but the process is ending anyway and
    // leaving gigabytes of temporary bundles behind is worse than a best-effort cleanup.
    remove_live_temp_dirs();
    std::_Exit(128 + sig);
}
}  // namespace

TempDir::TempDir(fs::path p) : path_(std::move(p)) { track(path_); }

Result<TempDir> TempDir::create(std::string_view prefix, const fs::path& parent) {
    fs::path base = parent;
    if (base.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        base = tmp != nullptr && *tmp != '\0' ? fs::path(tmp) : fs::temp_directory_path();
    }
    std::string templ = (base / (std::string(prefix) + "XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr)
        return make_error(ErrorKind::io, "cannot create a temporary directory in " + base.string() + ": " + std::strerror(errno));
    return TempDir(fs::path(templ));
}

TempDir::~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
    untrack(path_);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        if (!path_.empty()) {
            std::error_code ec;
            fs::remove_all(path_, ec);
            untrack(path_);
        }
        path_ = std::move(other.path_);
        other.path_.clear();
    }
    return *this;
}

fs::path TempDir::release() {
    untrack(path_);
    fs::path p = std::move(path_);
    path_.clear();
    return p;
}

void remove_live_temp_dirs() noexcept {
    std::unique_lock lock(g_mutex, std::try_to_lock);
    if (!lock.owns_lock()) return;
    for (const auto& p : live()) {
        std::error_code ec;
        fs::remove_all(p, ec);
    }
}

void install_cleanup_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace ocx
