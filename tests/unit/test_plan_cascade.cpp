#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "plan/cascade.hpp"

using namespace ocx;
using namespace ocx::plan;

namespace {

using Holdings = std::map<std::string, std::set<std::string>>;  // tag -> platforms its index holds

const std::set<std::string> kAmd64{"linux/amd64"};

Version version(std::string_view tag) {
    auto v = cascade_version(tag);
    REQUIRE(v.ok());
    return *v;
}

std::vector<std::string> tags_of(const Holdings& existing) {
    std::vector<std::string> tags;
    for (const auto& [tag, platforms] : existing) tags.push_back(tag);
    return tags;
}

/// "1.2 1:blocked(1.3.0) latest:skipped": written levels bare, others with their state.
std::string summary(const CascadeOutcome& outcome) {
    std::string out;
    for (const auto& level : outcome.levels) {
        if (!out.empty()) out += ' ';
        out += level.tag;
        if (level.state == LevelState::written) continue;
        out += ':';
        out += to_string(level.state);
        if (!level.blocked_by.empty()) {
            out += '(';
            for (std::size_t i = 0; i < level.blocked_by.size(); ++i) out += (i ? "," : "") + level.blocked_by[i];
            out += ')';
        }
    }
    return out.empty() ? "none" : out;
}

/// Plans and decides the cascade of `pushed` for `platform` against `existing`.
std::string cascade(std::string_view pushed, const Holdings& existing, const std::string& platform = "linux/amd64") {
    const CascadePlan plan = plan_cascade(version(pushed), tags_of(existing));
    return summary(decide_cascade(plan, platform, existing));
}

}  // namespace

TEST_CASE("cascade: the examples of wire-format §5") {
    CHECK(cascade("1.2.3", {}) == "1.2 1 latest");
    CHECK(cascade("1.2.3", {{"1.3.0", kAmd64}}) == "1.2 1:blocked(1.3.0) latest:skipped");
    CHECK(cascade("1.2.3", {{"2.0.0-rc1", kAmd64}}) == "1.2 1 latest:blocked(2.0.0-rc1)");
    CHECK(cascade("1.2.4-rc1", {}) == "none");
    CHECK(cascade("1.2.4-rc1", {{"1.2.3", kAmd64}, {"1.2.4-rc0", kAmd64}, {"2.0.0", kAmd64}}) == "none");
}

TEST_CASE("cascade: targets") {
    const auto targets = [](std::string_view tag) { return cascade_targets(version(tag)); };
    using Tags = std::vector<std::string>;
    SUBCASE("release: the parent chain, then latest") { CHECK(targets("1.2.3") == Tags{"1.2", "1", "latest"}); }
    SUBCASE("build-tagged release: X.Y.Z first") { CHECK(targets("1.2.3_20240101") == Tags{"1.2.3", "1.2", "1", "latest"}); }
    SUBCASE("'+' is read as '_'") { CHECK(targets("1.2.3+20240101") == Tags{"1.2.3", "1.2", "1", "latest"}); }
    SUBCASE("pre-release without build: none") { CHECK(targets("1.2.3-rc1").empty()); }
    SUBCASE("pre-release with build: only the build-less pre-release") {
        CHECK(targets("1.2.3-rc1_b1") == Tags{"1.2.3-rc1"});
    }
    SUBCASE("variant track: the variant name instead of latest") {
        CHECK(targets("slim-1.2.3") == Tags{"slim-1.2", "slim-1", "slim"});
        CHECK(targets("debian12.1-4.5.6_b2") == Tags{"debian12.1-4.5.6", "debian12.1-4.5", "debian12.1-4", "debian12.1"});
    }
    SUBCASE("rolling pushes") {
        CHECK(targets("1.2") == Tags{"1", "latest"});
        CHECK(targets("1") == Tags{"latest"});
    }
}

TEST_CASE("cascade: a tag that is not a version cannot cascade") {
    const auto error = [](std::string_view tag) {
        auto v = cascade_version(tag);
        REQUIRE_FALSE(v.ok());
        CHECK(v.error().kind == ErrorKind::data);
        return v.error().message;
    };
    CHECK(error("latest") == "cannot cascade \"latest\": not a version tag ([VARIANT-]MAJOR[.MINOR[.PATCH[-PRE][_BUILD]]])");
    CHECK(error("v1.2.3") == "cannot cascade \"v1.2.3\": not a version tag ([VARIANT-]MAJOR[.MINOR[.PATCH[-PRE][_BUILD]]])");
    CHECK(error("1.02.3") == "cannot cascade \"1.02.3\": not a version tag ([VARIANT-]MAJOR[.MINOR[.PATCH[-PRE][_BUILD]]])");
    CHECK(error("1.0.0-rc.1") ==
          "cannot cascade \"1.0.0-rc.1\": not a version tag ([VARIANT-]MAJOR[.MINOR[.PATCH[-PRE][_BUILD]]])");
}

TEST_CASE("cascade_start: versions cascade, other tags are published without rolling tags, v1.2.3 is refused") {
    const auto start = [](std::string_view tag) {
        auto s = cascade_start(tag);
        REQUIRE(s.ok());
        return *s;
    };
    SUBCASE("a release version cascades and skips nothing") {
        auto s = start("1.4.0");
        REQUIRE(s.version);
        CHECK(cascade_targets(*s.version) == std::vector<std::string>{"1.4", "1", "latest"});
        CHECK(s.skipped.empty());
        CHECK(s.reason.empty());
    }
    SUBCASE("an OCX pre-release is a version whose release's rolling tags are skipped") {
        auto s = start("1.4.0-rc1");
        REQUIRE(s.version);
        CHECK(s.version->pre == "rc1");
        CHECK(s.skipped == std::vector<std::string>{"1.4", "1", "latest"});
        CHECK(s.reason == "\"1.4.0-rc1\" is a pre-release: OCX never cascades a pre-release");
        // With a build it moves its own pre-release tag, and still none of the release's.
        auto b = start("slim-1.4.0-rc1_7");
        CHECK(cascade_targets(*b.version) == std::vector<std::string>{"slim-1.4.0-rc1"});
        CHECK(b.skipped == std::vector<std::string>{"slim-1.4", "slim-1", "slim"});
    }
    SUBCASE("a dotted pre-release is not a version: published, its release's rolling tags skipped") {
        auto s = start("1.4.0-rc.1");
        CHECK_FALSE(s.version);
        CHECK(s.skipped == std::vector<std::string>{"1.4", "1", "latest"});
        CHECK(s.reason ==
              "\"1.4.0-rc.1\" is a pre-release, and not an OCX version at all (a dotted pre-release is not in "
              "[VARIANT-]MAJOR[.MINOR[.PATCH[-PRE][_BUILD]]]): OCX never cascades a pre-release; only "
              "\"1.4.0-rc.1\" is written");
        CHECK(start("slim-2.0.1-beta.2").skipped == std::vector<std::string>{"slim-2.0", "slim-2", "slim"});
    }
    SUBCASE("any other tag moves no rolling tag") {
        auto s = start("nightly");
        CHECK_FALSE(s.version);
        CHECK(s.skipped == std::vector<std::string>{"latest"});
        CHECK(s.reason ==
              "\"nightly\" is not an OCX version ([VARIANT-]MAJOR[.MINOR[.PATCH[-PRE][_BUILD]]]): no rolling "
              "tag moves; only \"nightly\" is written");
        CHECK(start("latest").skipped.empty());
        CHECK(start("1.02.3").skipped == std::vector<std::string>{"latest"});
    }
    SUBCASE("a version behind a v is refused with the fix") {
        for (auto [tag, fixed] : {std::pair{"v1.4.0", "1.4.0"}, {"V2", "2"}, {"v1.4.0-rc.1", "1.4.0-rc.1"}}) {
            auto s = cascade_start(tag);
            REQUIRE_FALSE(s.ok());
            CHECK(s.error().kind == ErrorKind::data);
            CHECK(s.error().message == "tag \"" + std::string(tag) +
                                           "\" is not an OCX version (OCX versions have no \"v\"): use --tag " + fixed +
                                           ", or ${GITHUB_REF_NAME#v} in a GitHub workflow");
        }
        // A variant named v-something is a version, not a mistake.
        CHECK(start("v2-1.0.0").version);
    }
}

TEST_CASE("cascade: blocking rules") {
    SUBCASE("older versions never block") {
        CHECK(cascade("1.2.3", {{"1.2.2", kAmd64}, {"1.1.9", kAmd64}, {"0.9", kAmd64}, {"1.2.3-rc1", kAmd64}}) ==
              "1.2 1 latest");
    }
    SUBCASE("a newer patch blocks X.Y") {
        CHECK(cascade("1.2.3", {{"1.2.4", kAmd64}}) == "1.2:blocked(1.2.4) 1:skipped latest:skipped");
    }
    SUBCASE("a newer major blocks latest only") {
        CHECK(cascade("1.2.3", {{"3.0.0", kAmd64}}) == "1.2 1 latest:blocked(3.0.0)");
    }
    SUBCASE("rolling tags of this release and older ones do not block; newer rolling ones do") {
        // 1.2, 1 and latest as left by the release of 1.2.2: all at or below the levels they would block.
        CHECK(cascade("1.2.3", {{"1.2.2", kAmd64}, {"1.2", kAmd64}, {"1", kAmd64}, {"latest", kAmd64}}) == "1.2 1 latest");
        // 1.3 sorts between 1.2 and 1 (a shorter version sorts above its descendants).
        CHECK(cascade("1.2.3", {{"1.3", kAmd64}}) == "1.2 1:blocked(1.3) latest:skipped");
        CHECK(cascade("1.2.3", {{"2", kAmd64}}) == "1.2 1 latest:blocked(2)");
        // 1.2.99 sorts below 1.2, so it blocks 1.2, not 1.
        CHECK(cascade("1.2.3", {{"1.2.99", kAmd64}}) == "1.2:blocked(1.2.99) 1:skipped latest:skipped");
    }
    SUBCASE("a rolling major push: latest blocked only by a newer major") {
        CHECK(cascade("1", {{"1.5.0", kAmd64}}) == "latest");
        CHECK(cascade("1", {{"2.0.0", kAmd64}}) == "latest:blocked(2.0.0)");
    }
    SUBCASE("builds: a newer build of X.Y.Z blocks X.Y.Z, an older one does not") {
        CHECK(cascade("1.2.3_20240102", {{"1.2.3_20240101", kAmd64}}) == "1.2.3 1.2 1 latest");
        CHECK(cascade("1.2.3_20240102", {{"1.2.3_20240103", kAmd64}}) ==
              "1.2.3:blocked(1.2.3_20240103) 1.2:skipped 1:skipped latest:skipped");
        // A pre-release of the same X.Y.Z sorts below every build of it.
        CHECK(cascade("1.2.3_20240102", {{"1.2.3-rc1", kAmd64}}) == "1.2.3 1.2 1 latest");
    }
    SUBCASE("pre-release with build: only newer builds of the same pre-release block") {
        CHECK(cascade("1.2.4-rc1_b1", {{"1.2.4-rc1_b2", kAmd64}}) == "1.2.4-rc1:blocked(1.2.4-rc1_b2)");
        CHECK(cascade("1.2.4-rc1_b2", {{"1.2.4-rc1_b1", kAmd64},
                                       {"1.2.4-rc2", kAmd64},
                                       {"1.2.4-rc0_b9", kAmd64},
                                       {"1.2.4", kAmd64},
                                       {"9.0.0", kAmd64}}) == "1.2.4-rc1");
    }
    SUBCASE("tracks never mix") {
        const Holdings existing{{"2.0.0", kAmd64}, {"fat-9.0.0", kAmd64}, {"slim-1.1.0", kAmd64}};
        CHECK(cascade("slim-1.2.3", existing) == "slim-1.2 slim-1 slim");
        CHECK(cascade("slim-1.2.3", {{"slim-2.0.0", kAmd64}}) == "slim-1.2 slim-1 slim:blocked(slim-2.0.0)");
        CHECK(cascade("1.2.3", {{"slim-1.3.0", kAmd64}, {"slim-9", kAmd64}}) == "1.2 1 latest");
    }
    SUBCASE("tags that are not versions never block") {
        CHECK(cascade("1.2.3", {{"v9.9.9", kAmd64},
                                {"1.9.0-rc.1", kAmd64},
                                {"01.3.0", kAmd64},
                                {"nightly", kAmd64},
                                {"sha256.7ba556cd33cef8c872c8ce916fd10ce386877ce5815a93c37b42e34236962042", kAmd64}}) ==
              "1.2 1 latest");
    }
}

TEST_CASE("cascade: blocking is per platform") {
    const Holdings existing{{"1.3.0", {"darwin/arm64"}}, {"2.0.0", {"linux/amd64+libc.musl", "linux/arm64"}}};
    SUBCASE("a blocker lacking the platform does not block") {
        CHECK(cascade("1.2.3", existing, "linux/amd64") == "1.2 1 latest");
    }
    SUBCASE("the same tags block other platforms at other levels") {
        CHECK(cascade("1.2.3", existing, "darwin/arm64") == "1.2 1:blocked(1.3.0) latest:skipped");
        CHECK(cascade("1.2.3", existing, "linux/arm64") == "1.2 1 latest:blocked(2.0.0)");
        CHECK(cascade("1.2.3", existing, "linux/amd64+libc.musl") == "1.2 1 latest:blocked(2.0.0)");
    }
    SUBCASE("a lower candidate lacking the platform, a higher one holding it") {
        CHECK(cascade("1.2.3", {{"1.2.4", {"darwin/arm64"}}, {"1.2.5", kAmd64}}) ==
              "1.2:blocked(1.2.5) 1:skipped latest:skipped");
    }
}

TEST_CASE("cascade: plan and lazy decision") {
    const std::vector<std::string> tags{"1.2.3", "1.2.4", "1.2.2", "1.3.0", "1.2.4", "2.0.0", "latest", "v2"};
    const CascadePlan plan = plan_cascade(version("1.2.3"), tags);

    SUBCASE("candidates per level, ascending, each tag once") {
        REQUIRE(plan.levels.size() == 3);
        CHECK(plan.levels[0].tag == "1.2");
        CHECK(plan.levels[0].kind == LevelKind::rolling);
        CHECK(plan.levels[0].candidates == std::vector<std::string>{"1.2.4"});
        CHECK(plan.levels[1].candidates == std::vector<std::string>{"1.3.0"});
        CHECK(plan.levels[2].tag == "latest");
        CHECK(plan.levels[2].kind == LevelKind::track);
        CHECK(plan.levels[2].candidates == std::vector<std::string>{"2.0.0"});
        CHECK(tags_to_inspect(plan) == std::vector<std::string>{"1.2.4", "1.3.0", "2.0.0"});
    }
    SUBCASE("the lookup stops at the first blocked level") {
        std::vector<std::string> asked;
        const HoldsPlatform holds = [&](const std::string& tag) -> Result<bool> {
            asked.push_back(tag);
            return tag == "1.3.0";
        };
        const CascadeOutcome outcome = decide_cascade(plan, holds);
        CHECK(asked == std::vector<std::string>{"1.2.4", "1.3.0"});
        CHECK(outcome.written_tags() == std::vector<std::string>{"1.2"});
        CHECK_FALSE(outcome.complete());
        REQUIRE(outcome.levels.size() == 3);
        CHECK(outcome.levels[0].reason.empty());
        CHECK(outcome.levels[1].reason == "blocked by 1.3.0 (newer than 1.2 and holding this platform)");
        CHECK(outcome.levels[2].state == LevelState::skipped);
        CHECK(outcome.levels[2].reason == "cascade stopped at 1");
        CHECK(outcome.levels[2].kind == LevelKind::track);
    }
    SUBCASE("nothing blocks: every level written") {
        const CascadeOutcome outcome = decide_cascade(plan, [](const std::string&) -> Result<bool> { return false; });
        CHECK(outcome.complete());
        CHECK(outcome.written_tags() == std::vector<std::string>{"1.2", "1", "latest"});
    }
    SUBCASE("a failed lookup leaves the level unverified and stops the cascade") {
        const HoldsPlatform holds = [](const std::string& tag) -> Result<bool> {
            if (tag == "1.3.0") return make_error(ErrorKind::transient, "HTTP 503 from the registry");
            return false;
        };
        const CascadeOutcome outcome = decide_cascade(plan, holds);
        CHECK(summary(outcome) == "1.2 1:unverified latest:skipped");
        CHECK(outcome.levels[1].reason == "could not check 1.3.0: HTTP 503 from the registry");
    }
    SUBCASE("a candidate missing from the table is unverified") {
        const CascadeOutcome outcome = decide_cascade(plan, "linux/amd64", Holdings{{"1.2.4", {}}});
        CHECK(summary(outcome) == "1.2 1:unverified latest:skipped");
        CHECK(outcome.levels[1].reason == "could not check 1.3.0: index of 1.3.0 was not read");
    }
}

TEST_CASE("cascade: BlockerScan::all names every blocker of the blocking level") {
    const Holdings existing{{"2.0.0", kAmd64}, {"2.1.0", {"darwin/arm64"}}, {"3", kAmd64}};
    const CascadePlan plan = plan_cascade(version("1.2.3"), tags_of(existing));
    const CascadeOutcome first = decide_cascade(plan, "linux/amd64", existing);
    CHECK(summary(first) == "1.2 1 latest:blocked(2.0.0)");
    const CascadeOutcome all = decide_cascade(plan, "linux/amd64", existing, BlockerScan::all);
    CHECK(summary(all) == "1.2 1 latest:blocked(2.0.0,3)");
    CHECK(all.levels[2].reason == "blocked by 2.0.0, 3 (newer than 1 and holding this platform)");
}
