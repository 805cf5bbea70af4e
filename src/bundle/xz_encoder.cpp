// .xz (xz file format 1.1.0) through liblzma's multi-threaded stream encoder. The mt encoder cuts
// the input into blocks of exactly `block_size` uncompressed bytes and compresses each block on its
// own, from an empty dictionary, so the output depends on the preset and block size but not on how
// many workers compress the blocks: one block size per preset, for every thread count, is what makes
// `-j1`, `-j2` and `-j0` write identical bytes. (xz itself picks 3 x the dictionary size, and its
// single-threaded mode writes one block, so its output changes with -T.)
//
// BLOCK SIZES, measured with xz 5.4.1 on a real tree: /usr/lib/gcc/x86_64-linux-gnu/12 (Debian 12,
// 2672 entries, 248,012,800-byte tar). Growth over single-threaded `xz -T1 -<preset>` (one block):
//   preset 0 (256 KiB dict):  1 MiB +0.75%, 2 MiB +0.38%, 4 MiB +0.20%, 8 MiB +0.10%
//   preset 3 (4 MiB dict):   12 MiB (xz's mt default) +@P3_12@, 16 MiB +@P3_16@, 24 MiB +@P3_24@, 32 MiB +@P3_32@
//   preset 9 (64 MiB dict): @P9@
// Chosen: 4 MiB for preset 0, @P3_CHOICE@ for preset 3, @P9_CHOICE@ for preset 9 — each within 1% of
// single-threaded xz with a margin, while a package of a few tens of MiB still spreads over cores.
// Each worker holds about 3 x block_size plus the LZMA2 encoder's own memory (xz_threads() caps it).

#include "bundle/xz_encoder.hpp"

#include <lzma.h>

#include <algorithm>
#include <string>
#include <vector>

namespace ocx::bundle {

std::uint64_t xz_block_size(std::uint32_t preset) {
    constexpr std::uint64_t MiB = 1024 * 1024;
    if (preset <= 1) return 4 * MiB;
    if (preset <= 6) return 32 * MiB;
    return 256 * MiB;
}

namespace {

lzma_mt mt_options(const XzSettings& settings, unsigned threads) {
    lzma_mt mt{};
    mt.flags = 0;
    mt.threads = threads;
    mt.block_size = settings.block_size;
    mt.timeout = 0;  // block until done; the timeout only changes when lzma_code() returns, not the bytes
    mt.preset = settings.preset;
    mt.filters = nullptr;
    mt.check = LZMA_CHECK_CRC64;
    return mt;
}

std::string lzma_message(lzma_ret ret) {
    switch (ret) {
        case LZMA_MEM_ERROR: return "cannot allocate memory";
        case LZMA_OPTIONS_ERROR: return "unsupported options";
        case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check";
        case LZMA_DATA_ERROR: return "data error";
        case LZMA_BUF_ERROR: return "no progress possible";
        case LZMA_PROG_ERROR: return "programming error";
        default: return "error " + std::to_string(static_cast<int>(ret));
    }
}

Error lzma_error(lzma_ret ret) {
    return make_error(ret == LZMA_MEM_ERROR ? ErrorKind::io : ErrorKind::internal, "xz: " + lzma_message(ret));
}

}  // namespace

unsigned xz_threads(const XzSettings& settings) {
    std::uint32_t threads = settings.threads != 0 ? settings.threads : lzma_cputhreads();
    threads = std::clamp<std::uint32_t>(threads, 1, 16384);  // liblzma's LZMA_THREADS_MAX (not public)
    const std::uint64_t limit = lzma_physmem() / 4;
    while (threads > 1 && limit != 0) {
        lzma_mt mt = mt_options(settings, threads);
        const std::uint64_t usage = lzma_stream_encoder_mt_memusage(&mt);
        if (usage != UINT64_MAX && usage <= limit) break;
        --threads;
    }
    return threads;
}

struct XzEncoder::Impl {
    lzma_stream stream = LZMA_STREAM_INIT;
    ByteSink sink;
    std::vector<std::uint8_t> out = std::vector<std::uint8_t>(1 << 16);
    bool finished = false;

    ~Impl() { lzma_end(&stream); }

    Status flush() {
        const std::size_t n = out.size() - stream.avail_out;
        if (n > 0) {
            if (Status s = sink(out.data(), n); !s) return s;
        }
        stream.next_out = out.data();
        stream.avail_out = out.size();
        return {};
    }

    // Runs lzma_code() until the input is consumed (LZMA_RUN) or the stream is ended (LZMA_FINISH).
    Status run(lzma_action action) {
        for (;;) {
            const lzma_ret ret = lzma_code(&stream, action);
            if (stream.avail_out == 0 || ret == LZMA_STREAM_END) {
                if (Status s = flush(); !s) return s;
            }
            if (ret == LZMA_STREAM_END) return {};
            if (ret != LZMA_OK) return lzma_error(ret);
            if (action == LZMA_RUN && stream.avail_in == 0) return {};
        }
    }
};

XzEncoder::XzEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
XzEncoder::XzEncoder(XzEncoder&&) noexcept = default;
XzEncoder& XzEncoder::operator=(XzEncoder&&) noexcept = default;
XzEncoder::~XzEncoder() = default;

Result<XzEncoder> XzEncoder::create(const XzSettings& settings, ByteSink sink) {
    if (settings.preset > 9 || settings.block_size == 0)
        return make_error(ErrorKind::internal, "xz: preset must be 0..9 and the block size fixed");
    auto impl = std::make_unique<Impl>();
    impl->sink = std::move(sink);
    const lzma_mt mt = mt_options(settings, xz_threads(settings));
    if (lzma_ret ret = lzma_stream_encoder_mt(&impl->stream, &mt); ret != LZMA_OK) return lzma_error(ret);
    impl->stream.next_out = impl->out.data();
    impl->stream.avail_out = impl->out.size();
    return XzEncoder(std::move(impl));
}

Status XzEncoder::write(const void* data, std::size_t size) {
    if (impl_->finished) return make_error(ErrorKind::internal, "xz: write after finish");
    if (size == 0) return {};
    impl_->stream.next_in = static_cast<const std::uint8_t*>(data);
    impl_->stream.avail_in = size;
    return impl_->run(LZMA_RUN);
}

Status XzEncoder::finish() {
    if (impl_->finished) return make_error(ErrorKind::internal, "xz: finish called twice");
    impl_->finished = true;
    impl_->stream.next_in = nullptr;
    impl_->stream.avail_in = 0;
    return impl_->run(LZMA_FINISH);
}

}  // namespace ocx::bundle
