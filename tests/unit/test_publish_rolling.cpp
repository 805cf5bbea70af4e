#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "publish/rolling.hpp"

using namespace ocx;
using namespace ocx::publish;

namespace {

// A digest per (version, platform), so every entry differs unless a test makes two equal.
Digest digest_of(const std::string& version, const std::string& platform) { return Digest::of(version + " " + platform); }

oci::IndexEntry entry(const std::string& platform, const Digest& d) {
    auto p = oci::Platform::parse(platform);
    REQUIRE(p.ok());
    return {"application/vnd.oci.image.manifest.v1+json", d, 100, *p, {}};
}

PublishedVersion published(const std::string& tag, const std::vector<std::string>& platforms) {
    auto v = plan::parse_version(tag);
    REQUIRE(v);
    PublishedVersion out{*v, {tag, Digest::of(tag), {}}};
    for (const auto& p : platforms) out.index.platforms.emplace(p, entry(p, digest_of(tag, p)));
    return out;
}

// tag -> platform -> version, for comparing folds.
std::map<std::string, std::map<std::string, std::string>> sources(const ExpectedRolling& expected) {
    std::map<std::string, std::map<std::string, std::string>> out;
    for (const auto& [tag, platforms] : expected)
        for (const auto& [platform, e] : platforms) out[tag][platform] = e.version;
    return out;
}

}  // namespace

TEST_CASE("expected_rolling folds the cascade of every version, per platform") {
    const std::vector<PublishedVersion> versions{published("1.2.3", {"linux/amd64", "linux/arm64"}),
                                                 published("1.3.0", {"linux/amd64"}),
                                                 published("2.0.0-rc1", {"linux/amd64"})};
    const auto got = sources(expected_rolling(versions));
    // 1.3.0 takes 1.3 and 1 for amd64; 1.2.3 keeps 1.2 for both and 1, latest for arm64. The
    // pre-release moves nothing, but blocks latest for amd64 (wire-format §5: `1.2.3` with
    // `2.0.0-rc1` existing writes 1.2 and 1, not latest), so no version brings amd64 there.
    const std::map<std::string, std::map<std::string, std::string>> want{
        {"1.2", {{"linux/amd64", "1.2.3"}, {"linux/arm64", "1.2.3"}}},
        {"1.3", {{"linux/amd64", "1.3.0"}}},
        {"1", {{"linux/amd64", "1.3.0"}, {"linux/arm64", "1.2.3"}}},
        {"latest", {{"linux/arm64", "1.2.3"}}},
    };
    CHECK(got == want);

    SUBCASE("the order the versions come in does not matter") {
        const std::vector<PublishedVersion> reversed(versions.rbegin(), versions.rend());
        CHECK(sources(expected_rolling(reversed)) == want);
    }
}

TEST_CASE("expected_rolling: a build moves its own version's rolling tags, never the version tag") {
    const auto got = sources(expected_rolling({published("1.2.3_b1", {"linux/amd64"})}));
    CHECK(got.count("1.2.3") == 0);
    CHECK(got.at("1.2").at("linux/amd64") == "1.2.3_b1");
    CHECK(got.at("latest").at("linux/amd64") == "1.2.3_b1");
}

TEST_CASE("expected_rolling: variant tracks roll to their own tags") {
    const auto got =
        sources(expected_rolling({published("slim-1.0.0", {"linux/amd64"}), published("2.0.0", {"linux/amd64"})}));
    CHECK(got.at("slim").at("linux/amd64") == "slim-1.0.0");
    CHECK(got.at("slim-1").at("linux/amd64") == "slim-1.0.0");
    CHECK(got.at("latest").at("linux/amd64") == "2.0.0");
}

TEST_CASE("find_drift lists what differs, by tag then platform") {
    Inventory inv;
    inv.versions = {published("1.3.0", {"linux/amd64"}), published("1.2.3", {"linux/amd64", "linux/arm64"})};
    const auto amd13 = digest_of("1.3.0", "linux/amd64");
    const auto amd12 = digest_of("1.2.3", "linux/amd64");
    const auto arm12 = digest_of("1.2.3", "linux/arm64");
    auto rolling = [](const std::string& tag, const std::map<std::string, Digest>& held) {
        TagEntries t{tag, Digest::of(tag), {}};
        for (const auto& [p, d] : held) t.platforms.emplace(p, entry(p, d));
        return t;
    };

    SUBCASE("consistent: nothing") {
        inv.rolling = {rolling("1.2", {{"linux/amd64", amd12}, {"linux/arm64", arm12}}),
                       rolling("1.3", {{"linux/amd64", amd13}}),
                       rolling("1", {{"linux/amd64", amd13}, {"linux/arm64", arm12}}),
                       rolling("latest", {{"linux/amd64", amd13}, {"linux/arm64", arm12}})};
        CHECK(find_drift(inv).empty());
    }
    SUBCASE("set back, missing, and an entry no version brings") {
        const auto stray = Digest::of("stray");
        inv.rolling = {rolling("1.2", {{"linux/amd64", amd12}, {"linux/arm64", arm12}, {"windows/amd64", stray}}),
                       rolling("1", {{"linux/amd64", amd12}, {"linux/arm64", arm12}}),
                       rolling("latest", {{"linux/amd64", amd13}, {"linux/arm64", arm12}})};
        const auto drift = find_drift(inv);
        REQUIRE(drift.size() == 3);
        CHECK(drift[0].tag == "1");
        CHECK(drift[0].platform == "linux/amd64");
        CHECK(drift[0].found == amd12);
        CHECK(drift[0].expected == amd13);
        CHECK(drift[0].version == "1.3.0");
        CHECK(drift[1].tag == "1.2");
        CHECK(drift[1].platform == "windows/amd64");
        CHECK(drift[1].found == stray);
        CHECK(!drift[1].expected);
        CHECK(drift[2].tag == "1.3");  // absent altogether
        CHECK(!drift[2].found);
        CHECK(drift[2].expected == amd13);
    }
}

TEST_CASE("find_drift: an entry a version published, where none is expected now, is history") {
    // 1.2.3 moved latest before 2.0.0-rc1 appeared; the pre-release blocks latest for 1.3.0 and
    // 1.2.3 alike now, so no version brings amd64 to latest — but 1.2.3's entry there is no damage.
    Inventory inv;
    inv.versions = {published("2.0.0-rc1", {"linux/amd64"}), published("1.3.0", {"linux/amd64"}),
                    published("1.2.3", {"linux/amd64"})};
    TagEntries latest{"latest", Digest::of("latest"), {}};
    latest.platforms.emplace("linux/amd64", entry("linux/amd64", digest_of("1.2.3", "linux/amd64")));
    TagEntries one{"1", Digest::of("1"), {}};
    one.platforms.emplace("linux/amd64", entry("linux/amd64", digest_of("1.3.0", "linux/amd64")));
    TagEntries one_three{"1.3", Digest::of("1.3"), {}};
    one_three.platforms.emplace("linux/amd64", entry("linux/amd64", digest_of("1.3.0", "linux/amd64")));
    TagEntries one_two{"1.2", Digest::of("1.2"), {}};
    one_two.platforms.emplace("linux/amd64", entry("linux/amd64", digest_of("1.2.3", "linux/amd64")));
    inv.rolling = {one_two, one_three, one, latest};
    CHECK(find_drift(inv).empty());

    SUBCASE("the same place holding what no version published is reported") {
        inv.rolling.back().platforms.at("linux/amd64").digest = Digest::of("edited by hand");
        const auto drift = find_drift(inv);
        REQUIRE(drift.size() == 1);
        CHECK(drift[0].tag == "latest");
        CHECK(!drift[0].expected);
    }
}
