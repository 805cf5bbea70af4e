#include <doctest/doctest.h>
#include <lzma.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bundle/xz_decoder.hpp"

using namespace ocx::bundle;

namespace {
using Bytes = std::vector<std::uint8_t>;

// Text-like bytes: compressible, so blocks differ in size.
Bytes sample(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    static const char* words[] = {"alpha ", "beta ", "gamma ", "delta ", "lib", "usr/", "bin ", "\n", "0x1f ", "ocx "};
    Bytes out;
    while (out.size() < n) {
        const char* w = words[rng() % 10];
        out.insert(out.end(), w, w + std::strlen(w));
        if (rng() % 7 == 0) out.push_back(static_cast<std::uint8_t>(rng()));
    }
    out.resize(n);
    return out;
}

Bytes run_encoder(lzma_stream& s, const Bytes& in) {
    Bytes out(in.size() + in.size() / 2 + 4096);
    s.next_in = in.data();
    s.avail_in = in.size();
    s.next_out = out.data();
    s.avail_out = out.size();
    REQUIRE(lzma_code(&s, LZMA_FINISH) == LZMA_STREAM_END);
    out.resize(out.size() - s.avail_out);
    lzma_end(&s);
    return out;
}

// Blocks of `block` bytes with their sizes in the headers, as multi-threaded encoders write them.
Bytes xz_blocks(const Bytes& in, std::uint64_t block) {
    lzma_stream s = LZMA_STREAM_INIT;
    lzma_mt mt{};
    mt.threads = 2;
    mt.block_size = block;
    mt.preset = 1;
    mt.check = LZMA_CHECK_CRC64;
    REQUIRE(lzma_stream_encoder_mt(&s, &mt) == LZMA_OK);
    return run_encoder(s, in);
}

// One block without sizes in its header, as xz's single-threaded encoder writes it.
Bytes xz_single(const Bytes& in, lzma_check check) {
    lzma_stream s = LZMA_STREAM_INIT;
    REQUIRE(lzma_easy_encoder(&s, 1, check) == LZMA_OK);
    return run_encoder(s, in);
}

struct Outcome {
    bool ok = false;
    Bytes out;
    std::string error;
};

// liblzma's own stream decoder, as `xz -d` runs it: the reference.
Outcome reference(const Bytes& file) {
    lzma_stream s = LZMA_STREAM_INIT;
    REQUIRE(lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) == LZMA_OK);
    Outcome o;
    Bytes buf(1 << 16);
    s.next_in = file.data();
    s.avail_in = file.size();
    lzma_ret ret = LZMA_OK;
    while (ret == LZMA_OK) {
        s.next_out = buf.data();
        s.avail_out = buf.size();
        ret = lzma_code(&s, LZMA_FINISH);
        o.out.insert(o.out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(buf.size() - s.avail_out));
    }
    lzma_end(&s);
    o.ok = ret == LZMA_STREAM_END;
    return o;
}

struct Ours {
    Outcome outcome;
    Bytes consumed;
    std::uint64_t helped = 0;
};

Ours ours(const Bytes& file, std::uint64_t budget) {
    Ours r;
    XzDecoder d(
        [&file](std::uint64_t offset, char* buf, std::size_t n) -> std::ptrdiff_t {
            if (offset >= file.size()) return 0;
            const std::size_t k = std::min<std::size_t>(n, file.size() - static_cast<std::size_t>(offset));
            std::memcpy(buf, file.data() + offset, k);
            return static_cast<std::ptrdiff_t>(k);
        },
        [&r](const char* data, std::size_t n) { r.consumed.insert(r.consumed.end(), data, data + n); }, budget);
    const char* p = nullptr;
    std::ptrdiff_t n;
    while ((n = d.next(&p)) > 0) r.outcome.out.insert(r.outcome.out.end(), p, p + n);
    r.outcome.ok = n == 0;
    r.outcome.error = d.error();
    r.helped = d.helped_blocks();
    return r;
}

// Ours, with and without the helper, agrees with liblzma: the same verdict, and on success the
// same bytes out and every byte of the file consumed once, in order.
void agrees(const Bytes& file, const std::string& what) {
    const Outcome want = reference(file);
    for (std::uint64_t budget : {std::uint64_t{0}, std::uint64_t{64} << 20}) {
        const Ours got = ours(file, budget);
        INFO(what << " (helper budget " << budget << "): " << got.outcome.error);
        REQUIRE(got.outcome.ok == want.ok);
        if (want.ok) {
            REQUIRE(got.outcome.out == want.out);
            REQUIRE(got.consumed == file);
        } else {
            REQUIRE_FALSE(got.outcome.error.empty());
        }
    }
}
}  // namespace

TEST_CASE("XzDecoder decodes as liblzma's stream decoder does, on one thread or two") {
    const Bytes data = sample(200'000, 1);
    SUBCASE("blocks with sizes: the helper decodes every other block") {
        const Bytes file = xz_blocks(data, 16 << 10);
        const Ours got = ours(file, 64 << 20);
        REQUIRE(got.outcome.ok);
        CHECK(got.outcome.out == data);
        CHECK(got.consumed == file);
        CHECK(got.helped >= 5);  // 13 blocks
        CHECK(ours(file, 0).helped == 0);
        CHECK(ours(file, 8 << 10).helped == 0);  // no block fits: this thread decodes them all
    }
    SUBCASE("one block without sizes, every check type") {
        for (lzma_check check : {LZMA_CHECK_NONE, LZMA_CHECK_CRC32, LZMA_CHECK_CRC64, LZMA_CHECK_SHA256}) {
            const Bytes file = xz_single(data, check);
            agrees(file, "check " + std::to_string(static_cast<int>(check)));
            CHECK(ours(file, 64 << 20).outcome.out == data);
        }
    }
    SUBCASE("concatenated streams and stream padding") {
        Bytes file = xz_blocks(data, 16 << 10);
        const Bytes second = xz_single(sample(5000, 2), LZMA_CHECK_CRC32);
        file.insert(file.end(), 8, 0);
        file.insert(file.end(), second.begin(), second.end());
        file.insert(file.end(), 4, 0);
        agrees(file, "two streams, padded");
        Bytes bad_padding = file;
        bad_padding.push_back(0);  // 5 bytes of padding
        agrees(bad_padding, "padding not a multiple of four");
        Bytes garbage = file;
        garbage.push_back('x');
        agrees(garbage, "a byte of garbage after the last stream");
    }
    SUBCASE("empty and tiny inputs") {
        agrees({}, "empty");
        agrees(xz_single({}, LZMA_CHECK_CRC64), "an empty stream");
        agrees(xz_blocks({}, 16 << 10), "an empty stream (threaded encoder)");
        agrees({0xFD, '7', 'z', 'X', 'Z', 0x00}, "the magic alone");
    }
}

TEST_CASE("XzDecoder refuses what liblzma refuses: every damaged header, index and footer byte") {
    const Bytes data = sample(120'000, 3);
    const Bytes file = xz_blocks(data, 16 << 10);
    REQUIRE(reference(file).ok);
    SUBCASE("a bit flipped") {
        // The stream header, the first block header, the index and footer, and a sample of the rest.
        std::vector<std::size_t> at;
        for (std::size_t i = 0; i < 64; ++i) at.push_back(i);
        for (std::size_t i = file.size() > 160 ? file.size() - 160 : 0; i < file.size(); ++i) at.push_back(i);
        for (std::size_t i = 64; i < file.size(); i += 211) at.push_back(i);
        for (std::size_t i : at)
            for (int bit : {0, 5}) {
                Bytes damaged = file;
                damaged[i] ^= static_cast<std::uint8_t>(1u << bit);
                agrees(damaged, "bit " + std::to_string(bit) + " of byte " + std::to_string(i));
            }
    }
    SUBCASE("cut short") {
        for (std::size_t n = 0; n < file.size(); n += (n < 64 || n + 160 > file.size()) ? 1u : 397u) {
            const Bytes cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
            agrees(cut, "the first " + std::to_string(n) + " bytes");
        }
    }
}

namespace {
// A stream of exactly these blocks (sizes in every header), CRC64: for block layouts no encoder
// writes on its own, such as an empty block between two others.
Bytes xz_of_blocks(const std::vector<Bytes>& pieces) {
    lzma_options_lzma options;
    REQUIRE_FALSE(lzma_lzma_preset(&options, 0));
    lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &options}, {LZMA_VLI_UNKNOWN, nullptr}};
    lzma_stream_flags flags{};
    flags.check = LZMA_CHECK_CRC64;
    Bytes out(LZMA_STREAM_HEADER_SIZE);
    REQUIRE(lzma_stream_header_encode(&flags, out.data()) == LZMA_OK);
    lzma_index* index = lzma_index_init(nullptr);
    for (const Bytes& piece : pieces) {
        lzma_block b{};
        b.check = LZMA_CHECK_CRC64;
        b.filters = filters;
        Bytes block(lzma_block_buffer_bound(piece.size()));
        std::size_t n = 0;
        REQUIRE(lzma_block_buffer_encode(&b, nullptr, piece.data(), piece.size(), block.data(), &n, block.size()) ==
                LZMA_OK);
        out.insert(out.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(n));
        REQUIRE(lzma_index_append(index, nullptr, lzma_block_unpadded_size(&b), b.uncompressed_size) == LZMA_OK);
    }
    Bytes tail(lzma_index_size(index) + LZMA_STREAM_HEADER_SIZE);
    std::size_t n = 0;
    REQUIRE(lzma_index_buffer_encode(index, tail.data(), &n, tail.size()) == LZMA_OK);
    flags.backward_size = lzma_index_size(index);
    REQUIRE(lzma_stream_footer_encode(&flags, tail.data() + n) == LZMA_OK);
    lzma_index_end(index, nullptr);
    out.insert(out.end(), tail.begin(), tail.end());
    return out;
}
}  // namespace

TEST_CASE("XzDecoder: empty blocks, files larger than a read, read errors") {
    SUBCASE("an empty block between two others is no end of the data") {
        const Bytes a = sample(40'000, 5), b = sample(30'000, 6);
        const Bytes file = xz_of_blocks({a, {}, b, {}, a});
        agrees(file, "blocks a, empty, b, empty, a");
        const Ours got = ours(file, 64 << 20);
        Bytes want = a;
        want.insert(want.end(), b.begin(), b.end());
        want.insert(want.end(), a.begin(), a.end());
        CHECK(got.outcome.out == want);
        CHECK(got.helped >= 1);
    }
    SUBCASE("a file of several reads: the helper's blocks run past what this thread read") {
        std::mt19937 rng(7);
        Bytes noise(3 << 20);
        for (auto& byte : noise) byte = static_cast<std::uint8_t>(rng());  // stored: the file stays 3 MiB
        const Bytes file = xz_blocks(noise, 256 << 10);
        REQUIRE(file.size() > (2u << 20));
        const Ours got = ours(file, 64 << 20);
        REQUIRE(got.outcome.ok);
        CHECK(got.outcome.out == noise);
        CHECK(got.consumed == file);
        CHECK(got.helped >= 4);
    }
    SUBCASE("a read error on either thread is a read error, not damage") {
        std::mt19937 rng(8);
        Bytes noise(3 << 20);
        for (auto& byte : noise) byte = static_cast<std::uint8_t>(rng());
        const Bytes file = xz_blocks(noise, 256 << 10);
        for (std::uint64_t fail_at : {std::uint64_t{0}, std::uint64_t{300} << 10, std::uint64_t{1} << 20,
                                      std::uint64_t{5} << 19, static_cast<std::uint64_t>(file.size() - 10)}) {
            XzDecoder d(
                [&](std::uint64_t offset, char* buf, std::size_t n) -> std::ptrdiff_t {
                    if (offset <= fail_at && fail_at < offset + n) return -1;
                    if (offset >= file.size()) return 0;
                    const std::size_t k = std::min<std::size_t>(n, file.size() - static_cast<std::size_t>(offset));
                    std::memcpy(buf, file.data() + offset, k);
                    return static_cast<std::ptrdiff_t>(k);
                },
                [](const char*, std::size_t) {}, 64 << 20);
            const char* p = nullptr;
            std::ptrdiff_t n;
            while ((n = d.next(&p)) > 0) {
            }
            INFO("failing at " << fail_at);
            CHECK(n == -1);
            CHECK(d.read_failed());
            CHECK(d.error().empty());
        }
    }
}

namespace {
// The size of the block whose header starts at file[at] (header, data, padding, check).
std::size_t block_total(const Bytes& file, std::size_t at) {
    lzma_filter filters[LZMA_FILTERS_MAX + 1];
    lzma_block b{};
    b.version = 1;
    b.check = LZMA_CHECK_CRC64;
    b.filters = filters;
    b.header_size = lzma_block_header_size_decode(file[at]);
    REQUIRE(lzma_block_header_decode(&b, nullptr, file.data() + at) == LZMA_OK);
    for (std::size_t i = 0; filters[i].id != LZMA_VLI_UNKNOWN; ++i) std::free(filters[i].options);
    return static_cast<std::size_t>(lzma_block_total_size(&b));
}
}  // namespace

TEST_CASE("XzDecoder: the helper's read of a block must agree with this thread's") {
    // This thread reads the whole (small) file at once, with the last byte of the second block
    // (its check) changed; the helper, which decodes that block, reads it as it was. Taking the
    // helper's output would hash bytes nobody decoded: the reads are compared, and refused.
    const Bytes file = xz_blocks(sample(120'000, 4), 16 << 10);
    const std::size_t second = LZMA_STREAM_HEADER_SIZE + block_total(file, LZMA_STREAM_HEADER_SIZE);
    const std::size_t changed = second + block_total(file, second) - 1;
    XzDecoder d(
        [&](std::uint64_t offset, char* buf, std::size_t n) -> std::ptrdiff_t {
            if (offset >= file.size()) return 0;
            const std::size_t k = std::min<std::size_t>(n, file.size() - static_cast<std::size_t>(offset));
            std::memcpy(buf, file.data() + offset, k);
            if (offset == 0 && k > changed) buf[changed] ^= 1;  // this thread's read only
            return static_cast<std::ptrdiff_t>(k);
        },
        [](const char*, std::size_t) {}, 64 << 20);
    const char* p = nullptr;
    std::ptrdiff_t n;
    while ((n = d.next(&p)) > 0) {
    }
    CHECK(n == -1);
    CHECK(d.error() == "the file changed while it was being read");
}
