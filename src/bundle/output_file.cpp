#include "bundle/output_file.hpp"

#include "util/temp_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <utility>

namespace ocx::bundle {
namespace {

namespace fs = std::filesystem;

Error io_error(const fs::path& path, std::string_view what, int err) {
    return make_error(ErrorKind::io, std::string(what) + " " + path.string() + ": " + std::strerror(err));
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

}  // namespace

std::string already_exists_message(const fs::path& path) {
    return path.string() + " already exists (use -f to overwrite)";
}

OutputFile::OutputFile(fs::path final_path, fs::path temp_path, int fd)
    : final_(std::move(final_path)), temp_(std::move(temp_path)), fd_(fd) {}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : final_(std::move(other.final_)),
      temp_(std::move(other.temp_)),
      fd_(std::exchange(other.fd_, -1)),
      committed_(std::exchange(other.committed_, true)) {}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    if (!committed_ && !temp_.empty()) {
        ::unlink(temp_.c_str());
        untrack_temp_path(temp_);
    }
    committed_ = true;
}

Result<OutputFile> OutputFile::create(const fs::path& final_path) {
    const fs::path dir = directory_of(final_path);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(ErrorKind::io, "cannot create directory " + dir.string() + ": " + ec.message());
    const std::string name = "." + final_path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-";
    for (int attempt = 0; attempt < 16; ++attempt) {
        fs::path temp = dir / (name + random_suffix());
        int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            track_temp_path(temp);  // removed if a signal stops the process mid-write
            return OutputFile(final_path, std::move(temp), fd);
        }
        if (errno != EEXIST) return io_error(temp, "cannot create", errno);
    }
    return make_error(ErrorKind::io, "cannot create a temporary file in " + dir.string());
}

Status OutputFile::write(const void* data, std::size_t size) {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd_, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return io_error(final_, "cannot write", errno);
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return {};
}

Status OutputFile::commit(ExistingOutput existing) {
    if (fd_ < 0 || committed_) return make_error(ErrorKind::internal, "output file committed twice");
    if (::fsync(fd_) != 0) return io_error(final_, "cannot write", errno);
    if (::close(std::exchange(fd_, -1)) != 0) return io_error(final_, "cannot write", errno);
    if (existing == ExistingOutput::replace) {
        if (::rename(temp_.c_str(), final_.c_str()) != 0) return io_error(final_, "cannot create", errno);
    } else if (int err = rename_no_replace(temp_, final_); err != 0) {
        if (err == EEXIST) return make_error(ErrorKind::data, already_exists_message(final_));
        return io_error(final_, "cannot create", err);
    }
    committed_ = true;
    untrack_temp_path(temp_);
    // Make the rename itself durable.
    if (int dir_fd = ::open(directory_of(final_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
    return {};
}

}  // namespace ocx::bundle
