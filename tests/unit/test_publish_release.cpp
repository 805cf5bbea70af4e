// publish/release.hpp against the in-memory target: a two-platform release bundles both content
// trees, pushes their blobs and manifests, and writes each tag once with both platforms; a dry run
// writes nothing; a published platform is not given other content; a failed tag write moves no
// later tag (docs/cli.md "What release does").
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "fake_target.hpp"
#include "oci/media_types.hpp"
#include "plan/cascade.hpp"
#include "publish/release.hpp"
#include "temp_dir.hpp"
#include "util/log.hpp"

using namespace ocx;
using ocx::testing::slurp;
using ocx::testing::TempDir;
using namespace ocx::publish;
namespace fs = std::filesystem;

namespace {

struct QuietLog {
    log::Level saved = log::level();
    QuietLog() { log::set_level(log::Level::quiet); }
    ~QuietLog() { log::set_level(saved); }
};

// A release directory: release.json, metadata.json and one content tree per platform, each with
// its own bin/mytool.
struct Release {
    testing::TempDir dir{"ocx-release-test-"};
    plan::Matrix matrix;
    std::vector<PlatformInput> inputs;

    /// `amd64_build` is appended to linux/amd64's tool: another build of the same version.
    explicit Release(const std::string& amd64_build = "") {
        dir.write("metadata.json", slurp(fs::path(OCX_TEST_DATA) / "metadata" / "mytool.json"));
        for (const std::string arch : {"amd64", "arm64"}) {
            const fs::path tool = dir.write("build/" + arch + "/bin/mytool",
                                            "#!/bin/sh\necho " + arch + (arch == "amd64" ? amd64_build : "") + "\n");
            fs::permissions(tool, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
        }
        const std::string text = R"({"schema":1,"package":"registry.example/acme/mytool","tag":"1.2.3",)"
                                 R"("cascade":true,"metadata":"metadata.json",)"
                                 R"("platforms":[{"platform":"linux/amd64","content":"build/amd64"},)"
                                 R"({"platform":"linux/arm64","content":"build/arm64"}]})";
        const fs::path file = dir.write("release.json", text);
        json::Diagnostics diag;
        matrix = plan::parse_matrix(text, file, plan::MatrixOverrides{}, diag);
        REQUIRE(diag.items().empty());
        inputs = load_inputs(matrix, diag);
        REQUIRE(diag.items().empty());
    }

    ReleaseOptions options() const {
        ReleaseOptions o;
        o.bundle_dir = dir / "bundles";
        o.jobs = 2;
        fs::create_directories(o.bundle_dir);
        return o;
    }
};

}  // namespace

TEST_CASE("a release bundles, pushes and writes every tag once with both platforms") {
    QuietLog quiet;
    Release r;
    testing::FakeTarget t;
    t.repository_exists = false;  // a first release: cascade without tags to read
    const report::Report rep = run_release(&t, r.matrix, r.inputs, r.options());
    CHECK(rep.status == report::Status::published);
    CHECK(rep.errors.empty());
    CHECK(rep.tag == "1.2.3");

    // Each platform's bundle is on disk and in the target, byte for byte.
    REQUIRE(rep.platforms.size() == 2);
    for (const auto& p : rep.platforms) {
        CAPTURE(p.platform);
        CHECK(p.pushed);
        REQUIRE(p.archives.size() == 1);
        CHECK(p.archives[0].created);
        const std::string bytes = slurp(p.archives[0].path);
        CHECK(Digest::of(bytes) == p.archives[0].digest);
        REQUIRE(t.blobs.count(p.archives[0].digest.str()) == 1);
        CHECK(t.blobs.at(p.archives[0].digest.str()) == bytes);
        REQUIRE(t.manifests.count(p.manifest.digest.str()) == 1);
        CHECK(t.blobs.count(p.config.digest.str()) == 1);
    }
    CHECK(rep.platforms[0].platform == "linux/amd64");
    CHECK(rep.platforms[1].platform == "linux/arm64");

    // The primary tag, then the cascade levels: one PUT each, each an index of both platforms.
    std::vector<std::string> expected{"1.2.3"};
    for (const auto& level : plan::plan_cascade(*plan::cascade_version("1.2.3"), {}).levels) expected.push_back(level.tag);
    std::vector<std::string> tagged;
    for (const auto& tr : rep.tags) tagged.push_back(tr.tag);
    CHECK(tagged == expected);
    for (const auto& tag : expected) {
        CAPTURE(tag);
        CHECK(std::count(t.calls.begin(), t.calls.end(), "put " + tag) == 1);
        REQUIRE(t.tags.count(tag) == 1);
        auto idx = oci::ImageIndex::parse(t.manifests.at(t.tags.at(tag)).bytes);
        REQUIRE(idx.ok());
        REQUIRE(idx->manifests.size() == 2);
        CHECK(idx->manifests[0].digest == rep.platforms[0].manifest.digest);
        CHECK(idx->manifests[1].digest == rep.platforms[1].manifest.digest);
    }
    REQUIRE(rep.index);
    CHECK(rep.index->digest.str() == t.tags.at("1.2.3"));

    SUBCASE("the same release again changes no tag") {
        const report::Report again = run_release(&t, r.matrix, r.inputs, r.options());
        CHECK(again.status == report::Status::published);
        for (const auto& tr : again.tags) {
            CAPTURE(tr.tag);
            CHECK(tr.action == report::TagAction::unchanged);
        }
    }
}

TEST_CASE("a dry run plans every tag and writes nothing") {
    QuietLog quiet;
    Release r;
    testing::FakeTarget t;
    t.repository_exists = false;
    ReleaseOptions options = r.options();
    options.dry_run = true;
    const report::Report rep = run_release(&t, r.matrix, r.inputs, options);
    CHECK(rep.status == report::Status::planned);
    CHECK(rep.dry_run);
    CHECK(t.puts == 0);
    CHECK(t.uploads == 0);
    CHECK(t.tags.empty());
    CHECK_FALSE(rep.tags.empty());
    for (const auto& tr : rep.tags) CHECK(tr.action == report::TagAction::created);
}

TEST_CASE("a published platform is not given other content without replace") {
    QuietLog quiet;
    testing::FakeTarget t;
    t.repository_exists = false;
    {
        Release first;
        REQUIRE(run_release(&t, first.matrix, first.inputs, first.options()).status == report::Status::published);
    }
    const std::string published = t.tags.at("1.2.3");
    const std::size_t puts = static_cast<std::size_t>(t.puts);

    Release rebuilt(" (rebuilt)");
    const report::Report rep = run_release(&t, rebuilt.matrix, rebuilt.inputs, rebuilt.options());
    CHECK(rep.status == report::Status::failed);
    REQUIRE_FALSE(rep.errors.empty());
    CHECK(rep.errors[0].message.find("linux/amd64 is already published in fake/repo:1.2.3 as ") != std::string::npos);
    CHECK(t.tags.at("1.2.3") == published);
    CHECK(static_cast<std::size_t>(t.puts) == puts);  // nothing written, not even a manifest
}

TEST_CASE("a failed primary tag write moves no later tag") {
    QuietLog quiet;
    Release r;
    testing::FakeTarget t;
    t.repository_exists = false;
    t.fail_tags = {"1.2.3"};
    ReleaseOptions options = r.options();
    options.write.tag_retry.max_attempts = 1;
    const report::Report rep = run_release(&t, r.matrix, r.inputs, options);
    CHECK(rep.status != report::Status::published);
    REQUIRE_FALSE(rep.errors.empty());
    CHECK(rep.errors[0].message.find("refused write of 1.2.3") != std::string::npos);
    for (const auto& level : plan::plan_cascade(*plan::cascade_version("1.2.3"), {}).levels) {
        CAPTURE(level.tag);
        CHECK(t.tags.count(level.tag) == 0);
    }
}
