#include "util/temp_dir.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <pthread.h>
#include <unistd.h>

namespace ocx {

namespace fs = std::filesystem;

namespace {
std::mutex g_mutex;
std::set<std::string>& live() {
    static std::set<std::string> s;
    return s;
}
}  // namespace

void track_temp_path(const fs::path& p) {
    std::lock_guard lock(g_mutex);
    live().insert(p.string());
}

void untrack_temp_path(const fs::path& p) {
    std::lock_guard lock(g_mutex);
    live().erase(p.string());
}

TempDir::TempDir(fs::path p) : path_(std::move(p)) { track_temp_path(path_); }

Result<TempDir> TempDir::create(std::string_view prefix, const fs::path& parent) {
    fs::path base = parent;
    if (base.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        base = tmp != nullptr && *tmp != '\0' ? fs::path(tmp) : fs::temp_directory_path();
    }
    std::string templ = (base / (std::string(prefix) + "XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr)
        return make_error(ErrorKind::io,
                          "cannot create a temporary directory in " + base.string() + ": " + std::strerror(errno));
    return TempDir(fs::path(templ));
}

TempDir::~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
    untrack_temp_path(path_);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        if (!path_.empty()) {
            std::error_code ec;
            fs::remove_all(path_, ec);
            untrack_temp_path(path_);
        }
        path_ = std::move(other.path_);
        other.path_.clear();
    }
    return *this;
}

fs::path TempDir::release() {
    untrack_temp_path(path_);
    fs::path p = std::move(path_);
    path_.clear();
    return p;
}

void remove_live_temp_paths() noexcept {
    std::lock_guard lock(g_mutex);
    for (const auto& p : live()) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            // A tombstone first: workers writing into the old path now fail instead of leaving files.
            fs::path tomb = p + ".removing";
            fs::rename(p, tomb, ec);
            fs::remove_all(ec ? fs::path(p) : tomb, ec);
        } else {
            fs::remove(p, ec);
        }
    }
}

void install_cleanup_signal_handlers() {
    static std::once_flag once;
    std::call_once(once, [] {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
        std::thread([set] {
            int sig = 0;
            if (sigwait(&set, &sig) != 0) return;
            remove_live_temp_paths();
            std::_Exit(128 + sig);
        }).detach();
    });
}

}  // namespace ocx
