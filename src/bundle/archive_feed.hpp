#pragma once
// Bytes of an archive handed from its upload to its check (docs/performance.md "Check while
// uploading"): the upload reads the file and offers each piece here as it sends it; the check
// (check_archive_fed, bundle/check.hpp) reads the same bytes, in order, on its own thread. The
// buffer between them is bounded: an upload that runs ahead waits for the check, so memory does
// not grow with the archive.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace ocx::bundle {

class ArchiveFeed {
public:
    /// `size`: the file's size; `capacity`: the most bytes held between upload and check.
    ArchiveFeed(std::uint64_t size, std::size_t capacity);

    // --- the upload's side ---
    /// Offers the bytes at `offset` of the file. Bytes before what was offered already are ignored
    /// (a retried upload reads the file again from its start). Waits while the buffer is full.
    /// False once the check has failed and more than one buffer of the file is still to come:
    /// the upload stops there. Nearer the end it is let finish (returns true), so whether a blob
    /// went up never depends on which thread got there first.
    bool offer(std::uint64_t offset, const char* data, std::size_t n);
    /// Offers the bytes of `path` the upload did not pass through offer() (a target that copies
    /// the file itself), then close(). ErrorKind::io naming the file.
    Status offer_rest_of(const std::filesystem::path& path);
    /// No more bytes will be offered. A check still reading sees the end of its input.
    void close();
    /// The upload gave up: close(), and say whether the check had failed already (then the upload
    /// failed because the check stopped it, and the check's error is the one to report).
    bool abandon();

    // --- the check's side ---
    /// Copies the next bytes into `buf` (at most `cap`): 0 at the end of the input; waits for bytes.
    std::size_t read(char* buf, std::size_t cap);
    /// The check is over (`passed` or not): offer() stops waiting, and stops the upload when the
    /// check failed (see offer()).
    void finish(bool passed);

    /// Bytes offered so far (the length of the prefix of the file the check has been given).
    std::uint64_t offered() const;

private:
    const std::uint64_t size_;
    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::vector<char>> pieces_;
    std::size_t front_used_ = 0;  // bytes of pieces_.front() already read
    std::size_t held_ = 0;        // bytes in pieces_ not yet read
    std::uint64_t offered_ = 0;
    bool closed_ = false;
    bool finished_ = false;
    bool failed_ = false;
};

}  // namespace ocx::bundle
