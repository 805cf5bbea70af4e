#include "util/files.hpp"

#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <vector>

namespace ocx {

namespace fs = std::filesystem;

namespace {

Error sys_error(std::string_view what, const fs::path& path, int err) {
    return make_error(ErrorKind::io, std::string(what) + " " + path.string() + ": " + std::system_category().message(err));
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

UniqueFd::~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
}

Result<FileLock> FileLock::acquire(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return sys_error("cannot open lock file", path, errno);
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        return sys_error("cannot lock", path, err);
    }
    return FileLock(fd);
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);
}

Status write_file_atomic(const fs::path& path, std::string_view bytes) {
    auto tmp = AtomicFile::create(path);
    if (!tmp) return std::move(tmp).error();
    if (auto w = tmp->write(bytes.data(), bytes.size()); !w) return w;
    return tmp->commit(ExistingFile::replace);
}

namespace {
std::string size_text(std::uint64_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}
}  // namespace

Result<std::optional<std::string>> read_file(const fs::path& path, std::uint64_t max_bytes) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below like any
    // non-regular file. Reads from a regular file ignore the flag.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::optional<std::string>{};
        return sys_error("cannot open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return sys_error("cannot read", path, errno);
    if (S_ISDIR(st.st_mode)) return sys_error("cannot read", path, EISDIR);  // as read(2) says, exit 74
    if (!S_ISREG(st.st_mode))
        return make_error(ErrorKind::data, path.string() + ": not a regular file (a device, FIFO or socket)");
    auto too_large = [&] {
        return make_error(ErrorKind::data, path.string() + ": larger than the " + size_text(max_bytes) +
                                               " a document may be; refusing to read it");
    };
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes) return too_large();
    std::string out;
    out.reserve(static_cast<std::size_t>(st.st_size));
    std::vector<char> buf(64 * 1024);
    for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("cannot read", path, errno);
        }
        if (n == 0) break;
        out.append(buf.data(), static_cast<std::size_t>(n));
        if (out.size() > max_bytes) return too_large();  // it grew while being read
    }
    return std::optional<std::string>(std::move(out));
}

namespace {
const char* non_empty_env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
}
}  // namespace

Result<std::filesystem::path> cache_dir(std::string_view part) {
    namespace fs = std::filesystem;
    fs::path base;
    if (const char* v = non_empty_env("OCX_RELEASE_CACHE"))
        base = fs::path(v);
    else if (const char* x = non_empty_env("XDG_CACHE_HOME"))
        base = fs::path(x) / "ocx-release";
    else if (const char* h = non_empty_env("HOME"))
        base = fs::path(h) / ".cache" / "ocx-release";
    else
        return make_error(ErrorKind::usage, "no cache directory: set OCX_RELEASE_CACHE, XDG_CACHE_HOME or HOME");
    fs::path dir = base / part;
    std::error_code ec;
    fs::path absolute = fs::absolute(dir, ec);
    return ec ? dir : absolute.lexically_normal();
}

}  // namespace ocx
