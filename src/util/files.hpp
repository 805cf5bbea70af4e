#pragma once
// Crash-safe file primitives (the layout target, reports, sidecars): every file written here
// appears complete or not at all (util/atomic_file.hpp), and index.json read-modify-write cycles are serialized across
// processes with an flock(2) on a lock file. POSIX only, like the rest of the tool.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "util/result.hpp"

namespace ocx {

/// <base>/<part> for the tool's caches: base is $OCX_RELEASE_CACHE when set, else
/// $XDG_CACHE_HOME/ocx-release, else $HOME/.cache/ocx-release; made absolute. ErrorKind::usage
/// when none of the variables is set. Nothing is created.
Result<std::filesystem::path> cache_dir(std::string_view part);

/// A file descriptor, closed when this is destroyed. Move-only; -1 holds none.
class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd();
    int get() const { return fd_; }

private:
    int fd_;
};

/// An exclusive flock(2) on a lock file, held until destruction. Move-only.
class FileLock {
public:
    /// Creates `path` if needed and blocks until the exclusive lock is held.
    static Result<FileLock> acquire(const std::filesystem::path& path);

    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

private:
    explicit FileLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

/// Replaces `path` with `bytes` atomically (an AtomicFile, util/atomic_file.hpp; the directory
/// must exist). Readers see the old or the new content, never a mix.
Status write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

/// The most any local document is read into memory for (layout index.json, manifests read from
/// a layout, matrices, metadata, reports, receipts, records, the Docker config): the registry
/// client's cap on a response body (registry/curl_transport.hpp `max_body`), so a file on disk is
/// trusted no more than a registry's answer. Real ones are kilobytes.
inline constexpr std::uint64_t kMaxDocumentBytes = 8u << 20;

/// The whole content of a regular file (symlinks followed) of at most `max_bytes`; nullopt when
/// it does not exist. A device such as /dev/zero, a FIFO or a socket, or a file larger than
/// `max_bytes` (also one that grows past it while read) is ErrorKind::data naming the path, before
/// more than `max_bytes` + 1 bytes are held; a directory and read errors are ErrorKind::io.
Result<std::optional<std::string>> read_file(const std::filesystem::path& path, std::uint64_t max_bytes = kMaxDocumentBytes);

}  // namespace ocx
