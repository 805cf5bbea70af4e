#pragma once
// The tar stage of the bundle pipeline: libarchive's pax writer with our own output callback, so the
// uncompressed tar stream goes to a ByteSink (the xz stage) rather than to a file or filter.

#include <cstdint>
#include <memory>

#include "bundle/bundle.hpp"
#include "bundle/byte_sink.hpp"
#include "util/result.hpp"

namespace ocx::bundle {

/// Writes deterministic tar members (uid/gid 0, no user/group names, one mtime) to a sink.
class TarWriter {
public:
    /// Opens an archive writing to `sink`; libarchive failures are ErrorKind::internal.
    static Result<std::unique_ptr<TarWriter>> open(ByteSink sink);
    ~TarWriter();
    TarWriter(const TarWriter&) = delete;
    TarWriter& operator=(const TarWriter&) = delete;

    /// Writes the header of `entry` with the given mtime; a file's data must follow, exactly entry.size bytes.
    Status add(const Entry& entry, std::int64_t mtime);
    /// Appends data to the current file member.
    Status write_data(const void* data, std::size_t size);
    /// Writes the end-of-archive blocks; call once, after the last member.
    Status close();

    struct Impl;

private:
    explicit TarWriter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ocx::bundle
