#include "util/files.hpp"

#include "util/temp_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <system_error>
#include <vector>

namespace ocx {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kChunk = 1 << 20;

Error sys_error(std::string_view what, const fs::path& path, int err) {
    return make_error(ErrorKind::io, std::string(what) + " " + path.string() + ": " +
                                         std::system_category().message(err));
}

/// Closes a file descriptor on scope exit unless released.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    /// close(2) with its error reported (a failing close can mean lost writes on NFS).
    int close() {
        int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

private:
    int fd_;
};

/// A uniquely named, not yet published file next to its destination; removed unless committed.
class TempFile {
public:
    static Result<TempFile> create(const fs::path& dest) {
        static std::atomic<unsigned> counter{0};
        std::random_device rd;
        for (int attempt = 0; attempt < 16; ++attempt) {
            char suffix[32];
            std::snprintf(suffix, sizeof suffix, "%08x%04x", rd(), counter.fetch_add(1) & 0xffffu);
            fs::path tmp = dest.parent_path() / (".tmp-" + dest.filename().string() + "-" + suffix);
            // 0666 minus the umask, like any file a tool writes (mkstemp would force 0600).
            int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd >= 0) {
                track_temp_path(tmp);  // removed if a signal stops the process mid-write
                return TempFile(std::move(tmp), fd);
            }
            if (errno != EEXIST) return sys_error("cannot create", tmp, errno);
        }
        return make_error(ErrorKind::io, "cannot create a temporary file next to " + dest.string());
    }
    TempFile(TempFile&& o) noexcept : path_(std::move(o.path_)), fd_(o.fd_), committed_(o.committed_) {
        o.fd_ = -1;
        o.committed_ = true;
    }
    TempFile& operator=(TempFile&&) = delete;
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(path_.c_str());
        if (!path_.empty()) untrack_temp_path(path_);
    }

    Status write(const char* data, std::size_t size) {
        while (size > 0) {
            ssize_t n = ::write(fd_, data, size);
            if (n < 0) {
                if (errno == EINTR) continue;
                return sys_error("cannot write", path_, errno);
            }
            data += n;
            size -= static_cast<std::size_t>(n);
        }
        return {};
    }

    /// fsync + close + rename over `dest` + fsync of the directory.
    Status commit(const fs::path& dest) {
        if (::fsync(fd_) != 0) return sys_error("cannot sync", path_, errno);
        int rc = ::close(fd_);
        fd_ = -1;
        if (rc != 0) return sys_error("cannot close", path_, errno);
        if (::rename(path_.c_str(), dest.c_str()) != 0) return sys_error("cannot rename onto", dest, errno);
        committed_ = true;
        fs::path dir = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
        Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (dfd.get() < 0) return sys_error("cannot open directory", dir, errno);
        if (::fsync(dfd.get()) != 0 && errno != EINVAL) return sys_error("cannot sync directory", dir, errno);
        return {};
    }

private:
    TempFile(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}
    fs::path path_;
    int fd_;
    bool committed_ = false;
};

}  // namespace

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
    auto tmp = TempFile::create(path);
    if (!tmp) return std::move(tmp).error();
    if (auto w = tmp->write(bytes.data(), bytes.size()); !w) return w;
    return tmp->commit(path);
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
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
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

Result<CopyResult> copy_verified(const fs::path& source_path, std::string_view source_bytes,
                                 const Digest& expected, std::uint64_t expected_size, const fs::path& dest) {
    auto tmp = TempFile::create(dest);
    if (!tmp) return std::move(tmp).error();
    Sha256 hash;
    std::uint64_t written = 0;
    if (source_path.empty()) {
        if (auto w = tmp->write(source_bytes.data(), source_bytes.size()); !w) return std::move(w).error();
        hash.update(source_bytes);
        written = source_bytes.size();
    } else {
        Fd in(::open(source_path.c_str(), O_RDONLY | O_CLOEXEC));
        if (in.get() < 0) {
            if (errno == ENOENT) {
                return make_error(ErrorKind::not_found, "cannot open " + source_path.string() + ": " +
                                                            std::system_category().message(ENOENT));
            }
            return sys_error("cannot open", source_path, errno);
        }
        std::vector<char> buf(kChunk);
        for (;;) {
            ssize_t n = ::read(in.get(), buf.data(), buf.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                return sys_error("cannot read", source_path, errno);
            }
            if (n == 0) break;
            auto len = static_cast<std::size_t>(n);
            if (auto w = tmp->write(buf.data(), len); !w) return std::move(w).error();
            hash.update(buf.data(), len);
            written += len;
        }
    }
    Digest got = hash.finish();
    if (got != expected || written != expected_size) {
        std::string from = source_path.empty() ? std::string("bytes in memory") : source_path.string();
        return make_error(ErrorKind::data, "refusing blob " + expected.str() + ": " + from + " holds " +
                                               std::to_string(written) + " bytes with digest " + got.str() +
                                               ", expected " + std::to_string(expected_size) + " bytes");
    }
    if (auto c = tmp->commit(dest); !c) return std::move(c).error();
    return CopyResult{got, written};
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
    if (const char* v = non_empty_env("OCX_RELEASE_CACHE")) base = fs::path(v);
    else if (const char* x = non_empty_env("XDG_CACHE_HOME")) base = fs::path(x) / "ocx-release";
    else if (const char* h = non_empty_env("HOME")) base = fs::path(h) / ".cache" / "ocx-release";
    else return make_error(ErrorKind::usage, "no cache directory: set OCX_RELEASE_CACHE, XDG_CACHE_HOME or HOME");
    fs::path dir = base / part;
    std::error_code ec;
    fs::path absolute = fs::absolute(dir, ec);
    return ec ? dir : absolute.lexically_normal();
}

}  // namespace ocx
