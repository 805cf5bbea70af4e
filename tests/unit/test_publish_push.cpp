#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "fake_target.hpp"
#include "oci/media_types.hpp"
#include "publish/push.hpp"

using namespace ocx;
using namespace ocx::publish;

namespace {
struct Archive {
    std::filesystem::path path;
    Layer layer;
};

Archive make_archive(const std::string& name, const std::string& bytes) {
    auto path = std::filesystem::temp_directory_path() / ("ocx_push_test_" + name + ".tar.xz");
    std::ofstream(path, std::ios::binary) << bytes;
    return {path, Layer{path, Digest::of(bytes), bytes.size(), std::string(oci::kLayerTarXz), {}}};
}

PlatformContent content_for(const std::string& platform, const std::string& payload) {
    PlatformContent c;
    c.platform = *oci::Platform::parse(platform);
    c.layers.push_back(make_archive(platform.substr(0, platform.find('/')) + "_" + std::to_string(payload.size()) + payload.substr(0, 3), payload).layer);
    c.config = R"({"type":"bundle","version":1})";
    return c;
}

oci::ImageIndex index_at(testing::FakeTarget& t, const std::string& tag) {
    auto m = t.get_manifest(tag);
    REQUIRE(m.ok());
    REQUIRE(m->has_value());
    auto idx = oci::ImageIndex::parse((*m)->bytes);
    REQUIRE(idx.ok());
    return *idx;
}

PushOptions opts(const std::string& tag, bool cascade, bool is_new = false) {
    PushOptions o;
    o.tag = tag;
    o.cascade = cascade;
    o.new_repository = is_new;
    o.write.max_attempts = 2;
    return o;
}
}  // namespace

TEST_CASE("first push, second platform merged, re-push changes nothing") {
    testing::FakeTarget t;
    t.repository_exists = false;
    auto amd = content_for("linux/amd64", "amd64 payload");
    auto arm = content_for("linux/arm64", "arm64 payload");

    auto r1 = push_platform(t, "reg/repo", amd, opts("1.2.3", true, true));
    REQUIRE(r1.status == report::Status::published);
    CHECK(r1.platforms[0].blobs.uploaded == 2);
    REQUIRE(r1.tags.size() == 4);
    CHECK(r1.tags[0].tag == "1.2.3");
    CHECK(r1.tags[0].action == report::TagAction::created);
    CHECK(r1.tags[1].tag == "1.2");
    CHECK(r1.tags[2].tag == "1");
    CHECK(r1.tags[3].tag == "latest");
    CHECK(t.tags.count("sha256." + r1.platforms[0].manifest.digest.hex()) == 1);

    auto r2 = push_platform(t, "reg/repo", arm, opts("1.2.3", true));
    REQUIRE(r2.status == report::Status::published);
    CHECK(r2.tags[0].action == report::TagAction::moved);
    auto idx = index_at(t, "latest");
    REQUIRE(idx.manifests.size() == 2);
    CHECK(idx.manifests[0].platform->str() == "linux/amd64");
    CHECK(idx.manifests[1].platform->str() == "linux/arm64");
    CHECK(idx.artifact_type == std::string(oci::kPackageArtifact));

    int puts_before = t.puts;
    std::string bytes_before = t.manifests[t.tags["1.2.3"]].bytes;
    auto r3 = push_platform(t, "reg/repo", amd, opts("1.2.3", true));
    REQUIRE(r3.status == report::Status::published);
    CHECK(r3.platforms[0].blobs.uploaded == 0);
    CHECK(r3.platforms[0].blobs.skipped == 2);
    for (const auto& tag : r3.tags) CHECK(tag.action == report::TagAction::unchanged);
    CHECK(t.manifests[t.tags["1.2.3"]].bytes == bytes_before);
    // Only the manifest by digest and the canonical tag are re-put (idempotent), no index.
    CHECK(t.puts - puts_before == 2);
}

TEST_CASE("cascade stops at a newer version holding the platform") {
    testing::FakeTarget t;
    auto amd = content_for("linux/amd64", "v130");
    REQUIRE(push_platform(t, "reg/repo", amd, opts("1.3.0", true, true)).status == report::Status::published);
    auto old = content_for("linux/amd64", "v123");
    auto r = push_platform(t, "reg/repo", old, opts("1.2.3", true));
    REQUIRE(r.status == report::Status::published);
    REQUIRE(r.tags.size() == 4);
    CHECK(r.tags[1].tag == "1.2");
    CHECK(r.tags[1].action == report::TagAction::created);
    CHECK(r.tags[2].tag == "1");
    CHECK(r.tags[2].action == report::TagAction::blocked);
    // Both 1.3.0 and the rolling 1.3 it created (ascending version order) lie between 1.2 and 1 and hold linux/amd64.
    CHECK(r.tags[2].blocked_by == std::vector<std::string>{"1.3.0", "1.3"});
    CHECK(r.tags[2].platforms == std::vector<std::string>{"linux/amd64"});
    CHECK(r.tags[3].action == report::TagAction::blocked);
    // "1" still points at 1.3.0's index.
    CHECK(index_at(t, "1").manifests[0].digest == index_at(t, "1.3.0").manifests[0].digest);
}

TEST_CASE("a newer version without this platform does not block it") {
    testing::FakeTarget t;
    REQUIRE(push_platform(t, "reg/repo", content_for("darwin/arm64", "d130"), opts("1.3.0", true, true)).status ==
            report::Status::published);
    auto r = push_platform(t, "reg/repo", content_for("linux/amd64", "l123"), opts("1.2.3", true));
    REQUIRE(r.status == report::Status::published);
    CHECK(r.tags[2].action == report::TagAction::moved);
    CHECK(r.tags[3].action == report::TagAction::moved);
    CHECK(index_at(t, "latest").manifests.size() == 2);
}

TEST_CASE("cascading a non-version tag is refused before any write") {
    testing::FakeTarget t;
    auto r = push_platform(t, "reg/repo", content_for("linux/amd64", "x"), opts("latest", true, true));
    CHECK(r.status == report::Status::failed);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].kind == "data");
    CHECK(r.errors[0].message.find("cannot cascade \"latest\"") != std::string::npos);
    CHECK(t.puts == 0);
    CHECK(t.uploads == 0);
}

TEST_CASE("without --new an unknown repository is fine (404 = no tags), a failing listing is not") {
    testing::FakeTarget t;
    t.repository_exists = false;
    auto r = push_platform(t, "reg/repo", content_for("linux/amd64", "y"), opts("2.0.0", true));
    CHECK(r.status == report::Status::published);
}

TEST_CASE("a failed primary tag write moves no rolling tag") {
    testing::FakeTarget t;
    t.fail_tags.insert("1.0.0");
    auto r = push_platform(t, "reg/repo", content_for("linux/amd64", "z"), opts("1.0.0", true, true));
    CHECK(r.status == report::Status::failed);
    CHECK(r.tags[0].action == report::TagAction::failed);
    CHECK(r.tags[1].action == report::TagAction::skipped);
    CHECK(t.tags.count("1.0") == 0);
    CHECK(t.tags.count("latest") == 0);
    CHECK(r.platforms[0].canonical_tag.empty());
}

TEST_CASE("annotations are written on every tag") {
    testing::FakeTarget t;
    auto o = opts("1.0.0", true, true);
    o.annotations["org.opencontainers.image.source"] = "https://example.invalid/x";
    o.aliases = {"stable"};
    auto r = push_platform(t, "reg/repo", content_for("linux/amd64", "ann"), o);
    REQUIRE(r.status == report::Status::published);
    for (const auto& tag : {"1.0.0", "1.0", "1", "latest", "stable"}) {
        CAPTURE(tag);
        CHECK(index_at(t, tag).annotations.at("org.opencontainers.image.source") == "https://example.invalid/x");
    }
    CHECK(r.tags.back().kind == report::TagKind::alias);
}
