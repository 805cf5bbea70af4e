#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "bundle/xz_encoder.hpp"
#include "test_bundle_support.hpp"

using namespace ocx;
using namespace ocx::bundle;
using namespace ocx::bundle::test;

namespace {

// Compressible but not trivial: words drawn by a fixed LCG.
std::string sample_input(std::size_t size) {
    static const char* words[] = {"alpha ", "beta ", "gamma ", "delta\n", "lib/", "x86_64 ", "0x7f3a ", "{}; "};
    std::string out;
    std::uint32_t state = 12345;
    while (out.size() < size) {
        state = state * 1103515245u + 12345u;
        out += words[(state >> 16) % 8];
        out += static_cast<char>('a' + (state >> 8) % 26);
    }
    out.resize(size);
    return out;
}

std::string compress(const std::string& input, XzSettings settings, std::size_t chunk) {
    std::string out;
    auto enc = XzEncoder::create(settings, [&out](const void* data, std::size_t size) -> Status {
        out.append(static_cast<const char*>(data), size);
        return {};
    });
    REQUIRE(enc.ok());
    for (std::size_t at = 0; at < input.size(); at += chunk)
        REQUIRE(enc->write(input.data() + at, std::min(chunk, input.size() - at)).ok());
    REQUIRE(enc->finish().ok());
    return out;
}

constexpr std::uint64_t small_block = 64 * 1024;

}  // namespace

TEST_CASE("xz output is independent of the thread count and of write sizes") {
    const std::string input = sample_input(1'000'000);  // 16 blocks of 64 KiB
    const std::string one = compress(input, {6, small_block, 1}, 1 << 20);
    CHECK(compress(input, {6, small_block, 2}, 1 << 20) == one);
    CHECK(compress(input, {6, small_block, 4}, 777) == one);
    CHECK(compress(input, {6, small_block, 0}, 10240) == one);
    // The block size is what fixes the bytes: another one gives another stream.
    CHECK(compress(input, {6, 2 * small_block, 2}, 1 << 20) != one);

    TempDir tmp;
    write_file(tmp / "one.xz", one);
    std::string out;
    REQUIRE(run("xz --robot -l " + shell_quote(tmp / "one.xz"), &out) == 0);
    CHECK(out.find("\ntotals\t1\t16\t") != std::string::npos);  // 1 stream, 16 blocks
    CHECK(out.find("CRC64") != std::string::npos);
    REQUIRE(run("xz -dc " + shell_quote(tmp / "one.xz"), &out) == 0);
    CHECK(out == input);
}

TEST_CASE("xz of an empty input is a valid empty stream") {
    const std::string empty = compress("", {3, xz_block_size(3), 1}, 1);
    TempDir tmp;
    write_file(tmp / "e.xz", empty);
    std::string out = "not empty";
    REQUIRE(run("xz -dc " + shell_quote(tmp / "e.xz"), &out) == 0);
    CHECK(out.empty());
}

TEST_CASE("xz block sizes and thread counts") {
    constexpr std::uint64_t MiB = 1024 * 1024;
    CHECK(xz_block_size(0) == 4 * MiB);
    CHECK(xz_block_size(3) == 16 * MiB);
    CHECK(xz_block_size(9) == 256 * MiB);
    CHECK(xz_threads({0, 4 * MiB, 3}) == 3);
    CHECK(xz_threads({0, 4 * MiB, 0}) >= 1);
    // Preset 9 needs ~674 MiB per worker plus 3 x 256 MiB of buffers: 10000 workers never fit a
    // quarter of RAM, so the count comes down (the bytes would not change).
    CHECK(xz_threads({9, 256 * MiB, 10000}) < 10000);
}

TEST_CASE("xz errors") {
    SUBCASE("invalid settings") {
        auto enc = XzEncoder::create({10, small_block, 1}, [](const void*, std::size_t) -> Status { return {}; });
        REQUIRE_FALSE(enc.ok());
        CHECK(enc.error().kind == ErrorKind::internal);
        CHECK(enc.error().message == "xz: preset must be 0..9 and the block size fixed");
    }
    SUBCASE("the sink's error stops the encoder and is returned as is") {
        auto enc = XzEncoder::create({0, small_block, 1}, [](const void*, std::size_t) -> Status {
            return make_error(ErrorKind::io, "cannot write out.tar.xz: No space left on device");
        });
        REQUIRE(enc.ok());
        const std::string input = sample_input(100'000);
        Status s = enc->write(input.data(), input.size());
        if (s.ok()) s = enc->finish();
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().kind == ErrorKind::io);
        CHECK(s.error().message == "cannot write out.tar.xz: No space left on device");
    }
}
