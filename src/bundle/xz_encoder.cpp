// .xz (xz file format 1.1.0) through liblzma's multi-threaded stream encoder. The mt encoder cuts
// the input into blocks of exactly `block_size` uncompressed bytes and compresses each block on its
// own, from an empty dictionary, so the output depends on the preset and block size but not on how
// many workers compress the blocks: one block size per preset, for every thread count, is what makes
// `-j1`, `-j2` and `-j0` write identical bytes. (xz itself picks 3 x the dictionary size, and its
// single-threaded mode writes one block, so its output changes with -T.)
//
// BLOCK SIZES, measured with xz 5.4.1 (`xz -T2 --block-size=N -<preset>`, the same mt encoder) against
// single-threaded `xz -T1 -<preset>` (one block) on two real trees, as deterministic tars:
//   gcc:  /usr/lib/gcc/x86_64-linux-gnu/12, 2672 entries, 248,012,800-byte tar
//   libs: the 474 *.so* files under 20 MB from /usr/lib/x86_64-linux-gnu, 238,090,240-byte tar
// Growth over single-threaded:
//   preset 0 (256 KiB dict), one block 71,739,504 / 74,908,112 bytes:
//     1 MiB +0.75% / -, 2 MiB +0.38% / +0.32%, 4 MiB +0.20% / +0.19%, 8 MiB +0.09% / +0.10%
//   preset 3 (4 MiB dict), one block 65,569,876 / 70,660,540 bytes:
//     12 MiB (xz's mt default) +0.69% / +0.24%, 16 MiB +0.28% / +0.16%, 24 MiB +0.22% / +0.11%,
//     32 MiB +0.14% / +0.09%, 64 MiB +0.06% / -
//   preset 9 (64 MiB dict), one block 31,836,940 bytes (gcc):
//     128 MiB +20.0%, 192 MiB (xz's mt default) +20.3%, 256 MiB (one block for this tree) +8 bytes
// Preset 9 is the outlier: gcc's five compilers proper (cc1, cc1plus, f951, gnat1, lto1: 173 MB) share
// GCC's middle and back end, which only a 64 MiB window reaching from one into the next finds; a block
// boundary among them costs a fifth of the size. So:
//   fast 4 MiB, default 16 MiB: within 0.3% on both trees (xz's 1 MiB / 12 MiB would be 0.75% / 0.69%),
//     while packages of a few tens of MiB still spread over cores;
//   best 256 MiB: a tree under 256 MiB is one block, as small as single-threaded xz -9 (the mt
//     encoder only adds sizes to the block header); `best` asks for size, larger trees still use cores.
// Each worker holds up to about 3 x block_size plus the LZMA2 encoder's own memory (674 MiB at preset
// 9); xz_threads() lowers the thread count to fit a quarter of RAM, which never changes the bytes.

#include "bundle/xz_encoder.hpp"

#include <lzma.h>

#include <algorithm>
#include <string>
#include <vector>

namespace ocx::bundle {

std::uint64_t xz_block_size(std::uint32_t preset) {
    constexpr std::uint64_t MiB = 1024 * 1024;
    if (preset <= 1) return 4 * MiB;   // fast
    if (preset <= 6) return 16 * MiB;  // default
    return 256 * MiB;                  // best
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
