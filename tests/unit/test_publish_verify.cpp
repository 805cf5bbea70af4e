// publish/verify.hpp against the in-memory target: a report read back, and a report that aged.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "fake_target.hpp"
#include "oci/media_types.hpp"
#include "publish/push.hpp"
#include "publish/verify.hpp"
#include "temp_dir.hpp"

using namespace ocx;
using namespace ocx::publish;

namespace {
// The archives every test here pushes, in one directory removed when the test binary ends.
const testing::TempDir& archive_dir() {
    static const testing::TempDir dir("ocx-verify-test-");
    return dir;
}

PlatformContent content_for(const std::string& platform, const std::string& payload) {
    auto path = archive_dir() / (payload + ".tar.xz");
    std::ofstream(path, std::ios::binary) << payload;
    PlatformContent c;
    c.platform = *oci::Platform::parse(platform);
    c.layers.push_back(
        Layer{path, Digest::of(payload), payload.size(), std::string(oci::kLayerTarXz), {}, Layer::Origin::file, {}, {}});
    c.config = R"({"type":"bundle","version":1})";
    return c;
}

report::Report push(testing::FakeTarget& t, const std::string& tag, const std::string& platform,
                    const std::string& payload) {
    PushOptions o;
    o.tag = tag;
    o.cascade = true;
    o.new_repository = true;
    o.write.max_attempts = 1;
    auto r = push_platform(t, "reg/repo", content_for(platform, payload), o);
    REQUIRE(r.status == report::Status::published);
    return r;
}
}  // namespace

TEST_CASE("verify: a report that a newer version aged has superseded tags, not problems") {
    testing::FakeTarget t;
    const auto old = push(t, "1.2.3", "linux/amd64", "v123");
    auto fresh = verify_report(t, old);
    REQUIRE(fresh.ok());
    CHECK(fresh->problems.empty());
    CHECK(fresh->superseded.empty());

    push(t, "1.3.0", "linux/amd64", "v130");
    auto aged = verify_report(t, old);
    REQUIRE(aged.ok());
    CHECK(aged->problems.empty());
    REQUIRE(aged->superseded.size() == 2);
    CHECK(aged->superseded[0].tag == "1");
    CHECK(aged->superseded[1].tag == "latest");
    for (const auto& s : aged->superseded) {
        CHECK(s.by == std::vector<std::string>{"1.3.0"});
        CHECK(s.found == t.tags.at(s.tag));
    }
    // --tags primary does not look at them at all.
    auto primary = verify_report(t, old, VerifyTags::primary);
    REQUIRE(primary.ok());
    CHECK(primary->superseded.empty());
    CHECK(primary->problems.empty());
}

TEST_CASE("verify: a rolling tag moved by an older version or by hand is a problem") {
    testing::FakeTarget t;
    const auto old = push(t, "1.2.3", "linux/amd64", "v123");
    push(t, "1.2.2", "linux/amd64", "v122");  // older: does not move 1.2, 1, latest
    t.tags["1.2"] = t.tags.at("1.2.2");       // ... but someone pointed 1.2 there
    auto r = verify_report(t, old);
    REQUIRE(r.ok());
    REQUIRE(r->problems.size() == 1);
    const auto& p = r->problems[0];
    CHECK(p.tag == "1.2");
    CHECK(p.platform.empty());
    CHECK(p.expected == old.tags[1].after->str());
    CHECK(p.found == t.tags.at("1.2.2"));
    CHECK(p.message ==
          "tag 1.2: 1.2 is " + p.found + ", report says " + p.expected + " (and no newer version moved it there)");
}

TEST_CASE("verify: a changed primary tag never ages") {
    testing::FakeTarget t;
    const auto old = push(t, "1.2.3", "linux/amd64", "v123");
    push(t, "1.2.3", "linux/amd64", "v123b");  // push replaces, as OCX's does
    auto r = verify_report(t, old, VerifyTags::primary);
    REQUIRE(r.ok());
    REQUIRE(r->problems.size() == 1);  // the old manifest and index are still there by digest
    CHECK(r->problems[0].tag == "1.2.3");
    CHECK(r->problems[0].expected == old.index->digest.str());
    CHECK(r->problems[0].found == t.tags.at("1.2.3"));
}
