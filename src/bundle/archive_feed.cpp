#include "bundle/archive_feed.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace ocx::bundle {

ArchiveFeed::ArchiveFeed(std::uint64_t size, std::size_t capacity)
    : size_(size), capacity_(std::max<std::size_t>(capacity, 1)) {}

bool ArchiveFeed::offer(std::uint64_t offset, const char* data, std::size_t n) {
    std::unique_lock lock(mutex_);
    const std::uint64_t end = offset + n;
    // After a failed check the upload stops, unless at most one buffer of it is left to send.
    auto go_on = [&] { return !failed_ || size_ - std::min(size_, end) <= capacity_; };
    // Already offered (a retry), out of order (left to offer_rest_of), or nobody reads any more.
    if (end <= offered_ || offset > offered_ || finished_) return go_on();
    const auto skip = static_cast<std::size_t>(offered_ - offset);
    data += skip;
    n -= skip;
    // Wait for room; a piece larger than the whole buffer goes in alone.
    changed_.wait(lock, [&] { return finished_ || held_ == 0 || held_ + n <= capacity_; });
    if (finished_) return go_on();
    pieces_.emplace_back(data, data + n);
    held_ += n;
    offered_ += n;
    changed_.notify_all();
    return true;
}

Status ArchiveFeed::offer_rest_of(const std::filesystem::path& path) {
    const std::uint64_t from = offered();
    bool reading = false;
    {
        std::lock_guard lock(mutex_);
        reading = !finished_;
    }
    if (reading && from < size_) {
        struct Closer {
            void operator()(std::FILE* f) const { std::fclose(f); }
        };
        std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
        if (!file || fseeko(file.get(), static_cast<off_t>(from), SEEK_SET) != 0) {
            close();
            return make_error(ErrorKind::io, "cannot read " + path.string() + ": " + std::strerror(errno));
        }
        std::vector<char> buf(1 << 20);
        for (std::uint64_t at = from; at < size_;) {
            const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size_ - at));
            const std::size_t got = std::fread(buf.data(), 1, want, file.get());
            if (got == 0) break;  // shorter than hashed: the check reports the size
            if (!offer(at, buf.data(), got)) break;
            at += got;
        }
    }
    close();
    return {};
}

void ArchiveFeed::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
}

bool ArchiveFeed::abandon() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
    return finished_ && failed_;
}

std::size_t ArchiveFeed::read(char* buf, std::size_t cap) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return held_ > 0 || closed_; });
    std::size_t copied = 0;
    while (copied < cap && !pieces_.empty()) {
        auto& front = pieces_.front();
        const std::size_t n = std::min(cap - copied, front.size() - front_used_);
        std::memcpy(buf + copied, front.data() + front_used_, n);
        copied += n;
        front_used_ += n;
        if (front_used_ == front.size()) {
            pieces_.pop_front();
            front_used_ = 0;
        }
    }
    held_ -= copied;
    changed_.notify_all();
    return copied;
}

void ArchiveFeed::finish(bool passed) {
    std::lock_guard lock(mutex_);
    finished_ = true;
    failed_ = !passed;
    pieces_.clear();
    front_used_ = 0;
    held_ = 0;
    changed_.notify_all();
}

std::uint64_t ArchiveFeed::offered() const {
    std::lock_guard lock(mutex_);
    return offered_;
}

}  // namespace ocx::bundle
