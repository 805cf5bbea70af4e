#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "digest/digest.hpp"
#include "temp_dir.hpp"

using namespace ocx;

TEST_CASE("SHA-256 of known inputs") {
    CHECK(Digest::of("").str() == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(Digest::of("abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Sha256 h;
    h.update("a");
    h.update("bc");
    CHECK(h.finish() == Digest::of("abc"));
}

TEST_CASE("digest parse and format") {
    auto d = Digest::parse("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    REQUIRE(d.ok());
    CHECK(d->canonical_tag() == "sha256.ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    SUBCASE("wrong algorithm") {
        auto r = Digest::parse("sha512:abc");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == "invalid digest \"sha512:abc\": expected sha256:<64 hex digits>");
    }
    SUBCASE("uppercase hex") {
        auto r = Digest::parse("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
        CHECK_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
    }
    SUBCASE("short") { CHECK_FALSE(Digest::parse("sha256:abcd").ok()); }
}

TEST_CASE("digest_file streams a file") {
    testing::TempDir tmp;
    const auto path = tmp / "data.bin";
    {
        std::ofstream out(path, std::ios::binary);
        std::string chunk(3 << 19, 'x');  // 1.5 MiB: crosses the read buffer boundary
        out << chunk;
    }
    auto r = digest_file(path);
    REQUIRE(r.ok());
    CHECK(r->size == (3u << 19));
    CHECK(r->digest == Digest::of(std::string(3 << 19, 'x')));
    std::filesystem::remove(path);
    auto missing = digest_file(path);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == ErrorKind::not_found);
}
