#include "layout/verified_copy.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

#include "util/atomic_file.hpp"

namespace ocx::layout {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kChunk = 1 << 20;

Error sys_error(std::string_view what, const fs::path& path, int err) {
    return make_error(ErrorKind::io, std::string(what) + " " + path.string() + ": " + std::system_category().message(err));
}

/// Streams `source` into `out` and `hash`; returns the number of bytes copied.
Result<std::uint64_t> copy_stream(const fs::path& source, AtomicFile& out, Sha256& hash) {
    int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return make_error(ErrorKind::not_found,
                              "cannot open " + source.string() + ": " + std::system_category().message(ENOENT));
        return sys_error("cannot open", source, errno);
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    std::vector<char> buf(kChunk);
    std::uint64_t copied = 0;
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("cannot read", source, errno);
        }
        if (n == 0) return copied;
        auto len = static_cast<std::size_t>(n);
        if (auto w = out.write(buf.data(), len); !w) return std::move(w).error();
        hash.update(buf.data(), len);
        copied += len;
    }
}

}  // namespace

Result<CopyResult> copy_verified(const fs::path& source_path, std::string_view source_bytes, const Digest& expected,
                                 std::uint64_t expected_size, const fs::path& dest) {
    auto tmp = AtomicFile::create(dest);
    if (!tmp) return std::move(tmp).error();
    Sha256 hash;
    std::uint64_t written = 0;
    if (source_path.empty()) {
        if (auto w = tmp->write(source_bytes.data(), source_bytes.size()); !w) return std::move(w).error();
        hash.update(source_bytes);
        written = source_bytes.size();
    } else {
        auto copied = copy_stream(source_path, *tmp, hash);
        if (!copied) return std::move(copied).error();
        written = *copied;
    }
    Digest got = hash.finish();
    if (got != expected || written != expected_size) {
        std::string from = source_path.empty() ? std::string("bytes in memory") : source_path.string();
        return make_error(ErrorKind::data, "refusing blob " + expected.str() + ": " + from + " holds " +
                                               std::to_string(written) + " bytes with digest " + got.str() + ", expected " +
                                               std::to_string(expected_size) + " bytes");
    }
    if (auto c = tmp->commit(ExistingFile::replace); !c) return std::move(c).error();
    return CopyResult{got, written};
}

}  // namespace ocx::layout
