// bundle/xz_decoder (the archive check's two-thread xz decoder) against liblzma's own stream
// decoder: the same verdict on any input, and when both accept it, the same bytes out and every
// input byte consumed once, in order — with the helper thread and without it.
//
// Input: the bytes of an .xz file. Inputs that decompress to more than 8 MiB, or whose decoder
// would need more than 256 MiB, are skipped (liblzma's verdict then says nothing here).
#include <lzma.h>

#include <cstring>
#include <string>
#include <vector>

#include "bundle/xz_decoder.hpp"
#include "fuzz_check.hpp"

using ocx::bundle::XzDecoder;

namespace {
constexpr std::size_t kMaxOut = 8u << 20;

struct Outcome {
    bool ok = false;
    bool skip = false;
    std::string out;
};

Outcome reference(const unsigned char* data, std::size_t size) {
    Outcome o;
    lzma_stream s = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&s, 256u << 20, LZMA_CONCATENATED) != LZMA_OK) std::abort();
    std::vector<char> buf(1 << 16);
    s.next_in = data;
    s.avail_in = size;
    lzma_ret ret = LZMA_OK;
    while (ret == LZMA_OK && o.out.size() <= kMaxOut) {
        s.next_out = reinterpret_cast<std::uint8_t*>(buf.data());
        s.avail_out = buf.size();
        ret = lzma_code(&s, LZMA_FINISH);
        o.out.append(buf.data(), buf.size() - s.avail_out);
    }
    lzma_end(&s);
    o.ok = ret == LZMA_STREAM_END;
    o.skip = ret == LZMA_MEMLIMIT_ERROR || o.out.size() > kMaxOut;
    return o;
}

void ours_agree(const unsigned char* data, std::size_t size, const Outcome& want, std::uint64_t budget) {
    std::string out;
    std::string consumed;
    XzDecoder d(
        [&](std::uint64_t offset, char* buf, std::size_t n) -> std::ptrdiff_t {
            if (offset >= size) return 0;
            const std::size_t k = std::min<std::size_t>(n, size - static_cast<std::size_t>(offset));
            std::memcpy(buf, data + offset, k);
            return static_cast<std::ptrdiff_t>(k);
        },
        [&](const char* p, std::size_t n) { consumed.append(p, n); }, budget);
    const char* p = nullptr;
    std::ptrdiff_t n;
    while ((n = d.next(&p)) > 0) out.append(p, static_cast<std::size_t>(n));
    const std::string what = "helper budget " + std::to_string(budget) + ": " + d.error();
    FUZZ_CHECK((n == 0) == want.ok, what);
    if (want.ok) {
        FUZZ_CHECK(out == want.out, what);
        FUZZ_CHECK(consumed == std::string(reinterpret_cast<const char*>(data), size), what);
    } else {
        FUZZ_CHECK(!d.error().empty(), what);  // damage, never a read error: every read succeeds
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const Outcome want = reference(data, size);
    if (want.skip) return 0;
    ours_agree(data, size, want, 0);
    ours_agree(data, size, want, 64u << 20);
    return 0;
}
