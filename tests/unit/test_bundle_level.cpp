#include <doctest/doctest.h>

#include "bundle/bundle.hpp"

using namespace ocx::bundle;

TEST_CASE("compression levels") {
    CHECK(xz_preset(Level::fast) == 0);
    CHECK(xz_preset(Level::default_) == 3);
    CHECK(xz_preset(Level::best) == 9);
    for (Level level : {Level::fast, Level::default_, Level::best}) CHECK(parse_level(to_string(level)) == level);
    CHECK(to_string(Level::default_) == "default");
    CHECK_FALSE(parse_level("Default").has_value());
    CHECK_FALSE(parse_level("9").has_value());
    CHECK_FALSE(parse_level("").has_value());
}
