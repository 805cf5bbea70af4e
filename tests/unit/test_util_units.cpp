#include <doctest/doctest.h>

#include <limits>

#include "util/units.hpp"

using namespace ocx;

TEST_CASE("human_bytes") {
    CHECK(human_bytes(0) == "0 B");
    CHECK(human_bytes(1023) == "1023 B");
    CHECK(human_bytes(1024) == "1.0 KiB");
    CHECK(human_bytes(1536) == "1.5 KiB");
    CHECK(human_bytes(1024 * 1024 - 1) == "1.0 MiB");  // not "1024.0 KiB"
    CHECK(human_bytes(12'900'000) == "12.3 MiB");
    CHECK(human_bytes(150ull << 20) == "150 MiB");
    CHECK(human_bytes(3ull << 29) == "1.50 GiB");
    CHECK(human_bytes(std::numeric_limits<std::uint64_t>::max()) == "16777216.00 TiB");
}

TEST_CASE("human_rate") {
    CHECK(human_rate(0) == "0 B/s");
    CHECK(human_rate(2.5 * 1024 * 1024) == "2.5 MiB/s");
    CHECK(human_rate(-1) == "0 B/s");
    CHECK(human_rate(std::numeric_limits<double>::quiet_NaN()) == "0 B/s");
    CHECK(human_rate(std::numeric_limits<double>::infinity()) == "0 B/s");
}

TEST_CASE("human_duration") {
    CHECK(human_duration(0) == "0s");
    CHECK(human_duration(42.9) == "42s");
    CHECK(human_duration(185) == "3m05s");
    CHECK(human_duration(3720) == "1h02m");
    CHECK(human_duration(-3) == "0s");
    CHECK(human_duration(std::numeric_limits<double>::infinity()) == "0s");
}
