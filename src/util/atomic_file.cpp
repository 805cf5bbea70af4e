#include "util/atomic_file.hpp"

#include "util/temp_dir.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2 (glibc declares it here)
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <system_error>
#include <utility>

namespace ocx {
namespace {

namespace fs = std::filesystem;

Error io_error(std::string_view what, const fs::path& path, int err) {
    return make_error(ErrorKind::io, std::string(what) + " " + path.string() + ": " + std::system_category().message(err));
}

std::string random_suffix() {
    std::random_device device;
    std::uniform_int_distribution<std::uint32_t> dist;
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", dist(device));
    return buf;
}

fs::path directory_of(const fs::path& path) {
    fs::path dir = path.parent_path();
    return dir.empty() ? fs::path(".") : dir;
}

// Renames without replacing an existing file: renameat2(RENAME_NOREPLACE), or link+unlink where the
// file system does not support it. Returns 0 or an errno value (EEXIST when the target exists).
int rename_no_replace(const fs::path& from, const fs::path& to) {
#ifdef RENAME_NOREPLACE
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return errno;
#endif
    if (::link(from.c_str(), to.c_str()) != 0) return errno;
    ::unlink(from.c_str());
    return 0;
}

/// Makes a rename durable. EINVAL: the file system cannot sync a directory, nothing to do.
Status sync_directory(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_error("cannot open directory", dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0 && err != EINVAL) return io_error("cannot sync directory", dir, err);
    return {};
}

}  // namespace

std::string already_exists_message(const fs::path& path) { return path.string() + " already exists (use -f to overwrite)"; }

AtomicFile::AtomicFile(fs::path dest, fs::path temp, int fd) : dest_(std::move(dest)), temp_(std::move(temp)), fd_(fd) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : dest_(std::move(other.dest_)),
      temp_(std::move(other.temp_)),
      fd_(std::exchange(other.fd_, -1)),
      committed_(std::exchange(other.committed_, true)) {}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    if (!committed_ && !temp_.empty()) {
        ::unlink(temp_.c_str());
        untrack_temp_path(temp_);
    }
    committed_ = true;
}

Result<AtomicFile> AtomicFile::create(const fs::path& dest, MissingParents parents) {
    const fs::path dir = directory_of(dest);
    if (parents == MissingParents::create) {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) return make_error(ErrorKind::io, "cannot create directory " + dir.string() + ": " + ec.message());
    }
    const std::string name = "." + dest.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-";
    for (int attempt = 0; attempt < 16; ++attempt) {
        fs::path temp = dir / (name + random_suffix());
        int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            track_temp_path(temp);  // removed if a signal stops the process mid-write
            return AtomicFile(dest, std::move(temp), fd);
        }
        if (errno != EEXIST) return io_error("cannot create", temp, errno);
    }
    return make_error(ErrorKind::io, "cannot create a temporary file in " + dir.string());
}

Status AtomicFile::write(const void* data, std::size_t size) {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd_, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return io_error("cannot write", dest_, errno);
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return {};
}

Status AtomicFile::commit(ExistingFile existing) {
    if (fd_ < 0 || committed_) return make_error(ErrorKind::internal, "atomic file committed twice");
    if (::fsync(fd_) != 0) return io_error("cannot write", dest_, errno);
    if (::close(std::exchange(fd_, -1)) != 0) return io_error("cannot write", dest_, errno);
    if (existing == ExistingFile::replace) {
        if (::rename(temp_.c_str(), dest_.c_str()) != 0) return io_error("cannot create", dest_, errno);
    } else if (int err = rename_no_replace(temp_, dest_); err != 0) {
        if (err == EEXIST) return make_error(ErrorKind::data, already_exists_message(dest_));
        return io_error("cannot create", dest_, err);
    }
    committed_ = true;
    untrack_temp_path(temp_);
    return sync_directory(directory_of(dest_));
}

}  // namespace ocx
