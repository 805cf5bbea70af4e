#pragma once
// The .xz stage of the bundle pipeline: liblzma's multi-threaded stream encoder with a block size fixed
// per preset, so the output bytes are the same for every thread count (one thread included).

#include <cstdint>
#include <memory>

#include "bundle/byte_sink.hpp"
#include "util/result.hpp"

namespace ocx::bundle {

struct XzSettings {
    std::uint32_t preset = 3;      // 0..9
    std::uint64_t block_size = 0;  // uncompressed bytes per .xz block; part of the output's identity
    unsigned threads = 0;          // 0 = one per core; never changes the output
};

/// The block size create() uses for a preset (measurements in xz_encoder.cpp).
std::uint64_t xz_block_size(std::uint32_t preset);

/// The thread count the encoder will run: `threads` (0 = cores), lowered until the encoder's
/// estimated memory fits a quarter of physical RAM (as xz does), never below 1.
unsigned xz_threads(const XzSettings& settings);

/// Compresses what is written to it into one .xz stream (CRC64 check) handed to `sink`.
class XzEncoder {
public:
    /// Starts an encoder; invalid settings are ErrorKind::internal, lack of memory ErrorKind::io.
    static Result<XzEncoder> create(const XzSettings& settings, ByteSink sink);
    XzEncoder(XzEncoder&&) noexcept;
    XzEncoder& operator=(XzEncoder&&) noexcept;
    ~XzEncoder();

    /// Feeds uncompressed bytes; compressed bytes reach the sink as liblzma produces them.
    Status write(const void* data, std::size_t size);
    /// Flushes everything and ends the stream; call once, after the last write().
    Status finish();

private:
    struct Impl;
    explicit XzEncoder(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ocx::bundle
