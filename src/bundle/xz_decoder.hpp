#pragma once
// An .xz file decoded in order on up to two threads, in bounded memory (docs/performance.md
// "Memory"), for the archive check (bundle/check.cpp).
//
// The file is walked as liblzma's own stream decoder walks it: stream header, blocks, the index
// checked against the blocks, footer, stream padding, further streams; every block through
// lzma_block_decoder, which checks its sizes, padding and integrity check. One difference: while
// this thread decodes a block, streaming it, a helper thread decodes the next one into a buffer,
// when the block headers say where that one starts and how large it is (multi-threaded encoders,
// `create` among them, write the sizes) and it fits the budget. This thread holds only its
// dictionary; the helper one block, compressed and decompressed, and its dictionary. liblzma's
// threaded decoder holds a whole block for each of its threads: two of `create`'s 16 MiB blocks
// at its default level took a push to 74 MiB; this way it stays near 50 MiB.
//
// Every byte of the file reaches `consume` once, in order (the caller hashes them). A block the
// helper decoded is handed on from the helper's own read of it; where this thread had read part
// of that block already, the two reads must agree, or the file changed while it was read.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace ocx::bundle {

class XzDecoder {
public:
    /// Reads up to `n` bytes of the file at `offset` into `buf`: the count (less than `n` only at
    /// the end of the file), or -1 on an error. Called from two threads at once.
    using ReadAt = std::function<std::ptrdiff_t(std::uint64_t offset, char* buf, std::size_t n)>;
    /// Hears every byte of the file once, in order.
    using Consume = std::function<void(const char* data, std::size_t n)>;

    /// `helper_budget`: the most the two decoders may hold together (this thread's dictionary, and
    /// the helper's block, compressed and decompressed, and its dictionary); a block that does
    /// not fit is decoded on this thread. 0: no helper.
    XzDecoder(ReadAt read_at, Consume consume, std::uint64_t helper_budget);
    ~XzDecoder();
    XzDecoder(const XzDecoder&) = delete;
    XzDecoder& operator=(const XzDecoder&) = delete;

    /// The next decompressed bytes (*out points at them until the next call): their count, 0 after
    /// the last stream, -1 on an error (error(), read_failed()).
    std::ptrdiff_t next(const char** out);
    /// Why next() failed, in a few words ("the xz data is corrupt"); empty after a read error.
    const std::string& error() const;
    bool read_failed() const;
    /// Blocks the helper decoded so far.
    std::uint64_t helped_blocks() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ocx::bundle
