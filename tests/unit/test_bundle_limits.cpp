#include <doctest/doctest.h>

#include "bundle/limits.hpp"

using namespace ocx;
using namespace ocx::bundle;

TEST_CASE("limits: the default byte limit is the larger of the floor and the ratio") {
    const UnpackLimits defaults;
    CHECK(max_unpacked_bytes(defaults, 0) == kUnpackFloor);
    CHECK(max_unpacked_bytes(defaults, kUnpackFloor / kUnpackRatio) == kUnpackFloor);
    CHECK(max_unpacked_bytes(defaults, 1ull << 30) == kUnpackRatio << 30);
    CHECK(max_unpacked_bytes(defaults, UINT64_MAX / 2) == UINT64_MAX);  // no overflow
    UnpackLimits set;
    set.max_bytes = 1000;
    CHECK(max_unpacked_bytes(set, 1ull << 40) == 1000);
}

TEST_CASE("limits: count_member stops at the member that would cross a limit") {
    UnpackLimits limits;
    limits.max_bytes = 100;
    limits.max_entries = 3;
    std::uint64_t entries = 0, bytes = 0;
    CHECK(count_member(limits, 10, 60, entries, bytes).ok());
    CHECK(count_member(limits, 10, 40, entries, bytes).ok());  // exactly at the limit
    auto over = count_member(limits, 10, 1, entries, bytes);
    REQUIRE_FALSE(over.ok());
    CHECK(over.error().kind == ErrorKind::data);
    CHECK(over.error().message ==
          "unpacks to more than 100 bytes, the limit set (raise it with --max-unpacked-size or "
          "OCX_RELEASE_MAX_UNPACKED)");
    CHECK(entries == 2);
    CHECK(bytes == 100);
    CHECK(count_member(limits, 10, 0, entries, bytes).ok());
    auto many = count_member(limits, 10, 0, entries, bytes);
    REQUIRE_FALSE(many.ok());
    CHECK(many.error().message ==
          "more than 3 members, the limit for unpacking (raise it with --max-entries or OCX_RELEASE_MAX_ENTRIES)");
    SUBCASE("the default rule is named with its numbers") {
        std::uint64_t e = 0, b = 0;
        auto r = count_member(UnpackLimits{}, 1000, (1ull << 30) + 1, e, b);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message ==
              "unpacks to more than 1 GiB, the limit for 1000 compressed bytes: the larger of 1 GiB and "
              "100 times that (raise it with --max-unpacked-size or OCX_RELEASE_MAX_UNPACKED)");
        CHECK(e == 0);
    }
    SUBCASE("a huge declared size does not wrap around") {
        std::uint64_t e = 0, b = 50;
        CHECK_FALSE(count_member(limits, 10, UINT64_MAX, e, b).ok());
    }
}

TEST_CASE("limits: parse_size") {
    CHECK(parse_size("1048576").value() == 1048576);
    CHECK(parse_size("4G").value() == 4ull << 30);
    CHECK(parse_size("4gib").value() == 4ull << 30);
    CHECK(parse_size("512M").value() == 512ull << 20);
    CHECK(parse_size("64KiB").value() == 64ull << 10);
    CHECK(parse_size("2T").value() == 2ull << 40);
    for (const char* bad : {"", "0", "-1", "G", "4X", "4 G", "1.5G", "99999999999T"}) {
        auto r = parse_size(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::usage);
        CHECK(r.error().message ==
              "\"" + std::string(bad) + "\" is not a size (a positive number of bytes, or with K, M, G or T: 4G)");
    }
    CHECK(size_text(4ull << 30) == "4 GiB");
    CHECK(size_text(1536) == "1536 bytes");
    CHECK(size_text(3072) == "3 KiB");
}

TEST_CASE("check_totals: a whole bundle against the limits, with count_member's messages") {
    UnpackLimits set;
    set.max_bytes = 100;
    set.max_entries = 3;
    CHECK(check_totals(set, 10, 3, 100).ok());
    CHECK(check_totals(set, 10, 4, 10).error().message ==
          "more than 3 members, the limit for unpacking (raise it with --max-entries or OCX_RELEASE_MAX_ENTRIES)");
    CHECK(check_totals(set, 10, 1, 101).error().message ==
          "unpacks to more than 100 bytes, the limit set (raise it with --max-unpacked-size or OCX_RELEASE_MAX_UNPACKED)");
    CHECK(check_totals(UnpackLimits{}, 1000, 10, (1ull << 30) + 1).error().kind == ErrorKind::data);
}
