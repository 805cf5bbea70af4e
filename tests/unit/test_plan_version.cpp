#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "plan/version.hpp"

using namespace ocx::plan;

namespace {

Version v(std::string_view tag) {
    auto parsed = parse_version(tag);
    REQUIRE_MESSAGE(parsed.has_value(), "not a version: ", std::string{tag});
    return *parsed;
}

}  // namespace

TEST_CASE("version: parse_version reads the §5 grammar") {
    SUBCASE("major, minor, patch") {
        const Version x = v("1.2.3");
        CHECK(x.variant.empty());
        CHECK(x.major == 1);
        CHECK(x.minor == 2u);
        CHECK(x.patch == 3u);
        CHECK(x.pre.empty());
        CHECK(x.build.empty());
    }
    SUBCASE("rolling forms") {
        const Version major = v("7");
        CHECK(major.major == 7);
        CHECK_FALSE(major.minor.has_value());
        CHECK_FALSE(major.patch.has_value());
        const Version minor = v("7.0");
        CHECK(minor.minor == 0u);
        CHECK_FALSE(minor.patch.has_value());
    }
    SUBCASE("zero is a number, leading zeros are not") {
        CHECK(v("0.0.0").major == 0);
        CHECK_FALSE(parse_version("01.2.3"));
        CHECK_FALSE(parse_version("1.02.3"));
        CHECK_FALSE(parse_version("1.2.03"));
        CHECK_FALSE(parse_version("00"));
    }
    SUBCASE("pre-release and build") {
        const Version x = v("1.2.3-rc1_20240101");
        CHECK(x.pre == "rc1");
        CHECK(x.build == "20240101");
        CHECK(v("1.2.3-RC1").pre == "RC1");
        CHECK(v("1.2.3_b7").build == "b7");
    }
    SUBCASE("'+' is accepted for '_' and written back as '_'") {
        const Version plus = v("1.2.3+b7");
        CHECK(plus == v("1.2.3_b7"));
        CHECK(to_tag(plus) == "1.2.3_b7");
        CHECK(to_tag(v("1.2.3-rc1+b7")) == "1.2.3-rc1_b7");
    }
    SUBCASE("variants: the variant ends at the first '-'") {
        const Version slim = v("slim-1.2.3");
        CHECK(slim.variant == "slim");
        CHECK(slim.major == 1);
        const Version deb = v("debian12.1-1.2.3-rc1");
        CHECK(deb.variant == "debian12.1");
        CHECK(deb.major == 1);
        CHECK(deb.pre == "rc1");
        CHECK(v("pgo.lto-3").variant == "pgo.lto");
    }
    SUBCASE("a tag starting with a digit has no variant: its '-' is a pre-release") {
        const Version x = v("1.2.3-rc1");
        CHECK(x.variant.empty());
        CHECK(x.pre == "rc1");
    }
    SUBCASE("numbers up to 64 bits, overflow is not a version") {
        CHECK(v("18446744073709551615").major == 18446744073709551615u);
        CHECK_FALSE(parse_version("18446744073709551616"));
        CHECK_FALSE(parse_version("1.99999999999999999999"));
    }
}

TEST_CASE("version: parse_version refuses non-versions") {
    for (const char* tag : {"",
                            "v1.2.3",
                            "1.0.0-rc.1",
                            "latest",
                            "latest-1.2.3",
                            "slim",
                            "sha256.7ba556cd33cef8c872c8ce916fd10ce386877ce5815a93c37b42e34236962042",
                            "1.",
                            "1.2.",
                            "1..2",
                            "1.2.3.4",
                            "1.2-rc1",
                            "1_b1",
                            "1.2_b1",
                            "1.2.3-",
                            "1.2.3_",
                            "1.2.3_b1-rc1",
                            "1.2.3-rc1-2",
                            "1.2.3_b.1",
                            "Slim-1.2.3",
                            "1slim-1.2.3",
                            "slim_x-1.2.3",
                            "slim-",
                            "-1.2.3",
                            "slim-v1",
                            " 1.2.3",
                            "1.2.3 "}) {
        CAPTURE(tag);
        CHECK_FALSE(parse_version(tag).has_value());
    }
}

TEST_CASE("version: to_tag round-trips parsed tags") {
    for (const char* tag :
         {"0", "1.2", "1.2.3", "1.2.3-rc1", "1.2.3_20240101", "1.2.3-rc1_b2", "slim-1", "debian12.1-4.5.6-beta_x"}) {
        CAPTURE(tag);
        CHECK(to_tag(v(tag)) == tag);
    }
}

TEST_CASE("version: parent walks one rolling level up") {
    const auto up = [](std::string_view tag) {
        auto p = parent(v(tag));
        return p ? to_tag(*p) : std::string{"-"};
    };
    CHECK(up("1.2.3-rc1_b1") == "1.2.3-rc1");
    CHECK(up("1.2.3_b1") == "1.2.3");
    CHECK(up("1.2.3-rc1") == "1.2.3");
    CHECK(up("1.2.3") == "1.2");
    CHECK(up("1.2") == "1");
    CHECK(up("1") == "-");
    CHECK(up("slim-1.2") == "slim-1");
}

TEST_CASE("version: version order") {
    SUBCASE("numeric, not lexical") {
        CHECK(v("1.10.0") > v("1.9.0"));
        CHECK(v("10") > v("9"));
        CHECK(v("1.2.10") > v("1.2.9"));
    }
    SUBCASE("a shorter rolling version sorts above its descendants") {
        CHECK(v("1") > v("1.9.9"));
        CHECK(v("1.2") > v("1.2.99"));
        CHECK(v("1") > v("1.99"));
        CHECK(v("1.2") < v("1.3.0"));
        CHECK(v("1") < v("2.0.0"));
        CHECK(v("1.2.3") > v("1.2.3_b1"));
    }
    SUBCASE("pre-release and build below none, PRE before BUILD") {
        CHECK(v("1.2.3-rc1") < v("1.2.3"));
        CHECK(v("1.2.3_b1") < v("1.2.3"));
        CHECK(v("1.2.3-rc1") < v("1.2.3_b1"));
        CHECK(v("1.2.3-rc1_b1") < v("1.2.3-rc1"));
        CHECK(v("1.2.3-rc1_b9") < v("1.2.3-rc2_b1"));
        CHECK(v("1.2.3-rc1") > v("1.2.2"));
    }
    SUBCASE("PRE and BUILD compare as plain strings") {
        CHECK(v("1.2.3-rc10") < v("1.2.3-rc9"));
        CHECK(v("1.2.3-RC1") < v("1.2.3-rc1"));
        CHECK(v("1.2.3_20240102") > v("1.2.3_20240101"));
    }
    SUBCASE("equality") {
        CHECK((v("1.2.3") <=> v("1.2.3")) == std::partial_ordering::equivalent);
        CHECK(v("1.2.3") != v("1.2"));
    }
    SUBCASE("tracks never mix") {
        CHECK((v("slim-1.2.3") <=> v("1.2.3")) == std::partial_ordering::unordered);
        CHECK((v("slim-9") <=> v("fat-1")) == std::partial_ordering::unordered);
        CHECK_FALSE(v("slim-2") < v("1"));
        CHECK_FALSE(v("slim-2") > v("1"));
        CHECK(v("slim-2") > v("slim-1.9"));
        CHECK_FALSE(same_track(v("slim-2"), v("2")));
    }
    SUBCASE("sorting one track gives the documented total order") {
        std::vector<std::string> tags{"1.2.3",      "1.2.3_b2", "1.2.3-b", "1.2.3-a", "1.2.3_b1", "1.2.3-a_b2",
                                      "1.2.3-a_b1", "1.2",      "1.3.0",   "1.2.4",   "1",        "0.9"};
        std::vector<Version> versions;
        for (const auto& t : tags) versions.push_back(v(t));
        std::sort(versions.begin(), versions.end(), [](const Version& a, const Version& b) { return a < b; });
        std::vector<std::string> sorted;
        for (const auto& x : versions) sorted.push_back(to_tag(x));
        CHECK(sorted == std::vector<std::string>{"0.9", "1.2.3-a_b1", "1.2.3-a_b2", "1.2.3-a", "1.2.3-b", "1.2.3_b1",
                                                 "1.2.3_b2", "1.2.3", "1.2.4", "1.2", "1.3.0", "1"});
    }
}

TEST_CASE("names_a_release: one release's tag, not a rolling or moving one") {
    for (const char* tag : {"1.2.3", "0.0.1", "slim-2.1.0", "1.4.0-rc1", "1.2.3_20240101", "1.4.0-rc.1", "1.4.0-beta.2.x",
                            "1.4.0-rc1.x", "slim-1.4.0-rc.1"})
        CHECK_MESSAGE(names_a_release(tag), tag);
    for (const char* tag :
         {"1.2", "1", "latest", "slim", "nightly", "edge", "main", "1.4-rc.1", "v1.4.0", "1.4.0-", "x1.2.3-a.b"})
        CHECK_FALSE_MESSAGE(names_a_release(tag), tag);
}
