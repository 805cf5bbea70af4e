// publish/tags.hpp against the in-memory target: reading a tag, the tags a push goes to, the merged
// index each gets, the published-platform refusal, and a dry run that writes nothing
// (docs/wire-format.md §3, §5).
#include <doctest/doctest.h>

#include <algorithm>

#include "fake_target.hpp"
#include "oci/media_types.hpp"
#include "plan/cascade.hpp"
#include "publish/tags.hpp"

using namespace ocx;
using namespace ocx::publish;

namespace {

oci::IndexEntry entry(const std::string& platform, const std::string& manifest_bytes) {
    return oci::IndexEntry{std::string(oci::kImageManifest),
                           Digest::of(manifest_bytes),
                           manifest_bytes.size(),
                           *oci::Platform::parse(platform),
                           {}};
}

store::Manifest index_of(const std::vector<oci::IndexEntry>& entries) {
    oci::ImageIndex idx;
    idx.manifests = entries;
    store::Manifest m;
    m.media_type = std::string(oci::kImageIndex);
    m.bytes = idx.serialize();
    m.digest = Digest::of(m.bytes);
    return m;
}

void store_tag(testing::FakeTarget& t, const std::string& tag, const store::Manifest& m) {
    t.manifests[m.digest.str()] = m;
    t.tags[tag] = m.digest.str();
}

std::vector<std::string> tag_names(const std::vector<TagPlan>& plans) {
    std::vector<std::string> out;
    for (const auto& p : plans) out.push_back(p.tag);
    return out;
}

}  // namespace

TEST_CASE("read_tag: absent, an index, a plain manifest") {
    testing::FakeTarget t;
    auto absent = read_tag(t, "1.0.0");
    REQUIRE(absent.ok());
    CHECK_FALSE(absent->stored);
    CHECK(std::holds_alternative<std::monostate>(absent->content));

    const store::Manifest idx = index_of({entry("linux/amd64", "amd"), entry("linux/arm64", "arm")});
    store_tag(t, "1.0.0", idx);
    auto read = read_tag(t, "1.0.0");
    REQUIRE(read.ok());
    REQUIRE(read->stored);
    CHECK(read->stored->digest == idx.digest);
    REQUIRE(std::holds_alternative<oci::ImageIndex>(read->content));
    CHECK(std::get<oci::ImageIndex>(read->content) == *oci::ImageIndex::parse(idx.bytes));

    // A plain manifest at the tag stays as one entry without a platform.
    const std::string plain = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})";
    store_tag(t, "old", store::Manifest{std::string(oci::kImageManifest), plain, Digest::of(plain)});
    auto single = read_tag(t, "old");
    REQUIRE(single.ok());
    REQUIRE(std::holds_alternative<oci::Descriptor>(single->content));
    CHECK(std::get<oci::Descriptor>(single->content).digest == Digest::of(plain));
    CHECK(std::get<oci::Descriptor>(single->content).size == plain.size());

    SUBCASE("an index that does not parse names the tag and the target") {
        store_tag(t, "broken", store::Manifest{std::string(oci::kImageIndex), "{not json", Digest::of("{not json")});
        auto r = read_tag(t, "broken");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("tag broken in fake/repo") != std::string::npos);
    }
}

TEST_CASE("plan_tags: the primary tag, then explicit aliases; no listing without --cascade") {
    testing::FakeTarget t;
    const std::vector<oci::IndexEntry> entries{entry("linux/amd64", "amd")};
    TagOptions options;
    options.aliases = {"stable", "1.2.3"};
    auto plans = plan_tags(t, "1.2.3", entries, options);
    REQUIRE(plans.ok());
    CHECK(tag_names(*plans) == std::vector<std::string>{"1.2.3", "stable"});
    CHECK((*plans)[0].kind == report::TagKind::primary);
    CHECK((*plans)[1].kind == report::TagKind::alias);
    CHECK((*plans)[1].entries == entries);
    CHECK(t.lists == 0);
}

TEST_CASE("plan_tags with --cascade: the levels plan_cascade gives, most specific first") {
    testing::FakeTarget t;
    t.repository_exists = false;
    const std::vector<oci::IndexEntry> entries{entry("linux/amd64", "amd"), entry("linux/arm64", "arm")};
    TagOptions options;
    options.cascade = true;

    SUBCASE("a repository that does not exist needs --new") {
        auto r = plan_tags(t, "1.2.3", entries, options);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::not_found);
        CHECK(r.error().message == "repository fake/repo does not exist; use --new (-n) for the first push of a package");
    }
    SUBCASE("with --new every level takes every platform") {
        options.new_repository = true;
        auto plans = plan_tags(t, "1.2.3", entries, options);
        REQUIRE(plans.ok());
        std::vector<std::string> expected{"1.2.3"};
        for (const auto& level : plan::plan_cascade(*plan::cascade_version("1.2.3"), {}).levels)
            expected.push_back(level.tag);
        CHECK(tag_names(*plans) == expected);
        for (std::size_t i = 1; i < plans->size(); ++i) {
            CHECK((*plans)[i].kind == report::TagKind::cascade);
            CHECK((*plans)[i].cascade_of == "1.2.3");
            CHECK((*plans)[i].entries == entries);
        }
    }
    SUBCASE("a newer version holding one platform blocks it from the levels it shares") {
        t.repository_exists = true;
        store_tag(t, "1.3.0", index_of({entry("linux/amd64", "newer amd")}));
        auto plans = plan_tags(t, "1.2.4", entries, options);
        REQUIRE(plans.ok());
        const auto latest = std::find_if(plans->begin(), plans->end(), [](const TagPlan& p) { return p.tag == "latest"; });
        REQUIRE(latest != plans->end());
        CHECK(latest->entries == std::vector<oci::IndexEntry>{entries[1]});
        CHECK(latest->blocked_platforms == std::vector<std::string>{"linux/amd64"});
        // The blocker is named at the first level it blocks; amd64 stops there (latest is only skipped).
        const auto major = std::find_if(plans->begin(), plans->end(), [](const TagPlan& p) { return p.tag == "1"; });
        REQUIRE(major != plans->end());
        CHECK(major->entries == std::vector<oci::IndexEntry>{entries[1]});
        CHECK(major->blocked_by == std::vector<std::string>{"1.3.0"});
        CHECK(latest->blocked_by.empty());
        const auto minor = std::find_if(plans->begin(), plans->end(), [](const TagPlan& p) { return p.tag == "1.2"; });
        REQUIRE(minor != plans->end());
        CHECK(minor->entries == entries);
    }
}

TEST_CASE("compute_tag: created, then unchanged with the stored bytes kept") {
    testing::FakeTarget t;
    const std::vector<oci::IndexEntry> entries{entry("linux/amd64", "amd")};
    auto plans = plan_tags(t, "1.0.0", entries, TagOptions{});
    REQUIRE(plans.ok());
    TagPlan& plan = plans->front();
    REQUIRE(compute_tag(t, plan, {}).ok());
    CHECK(plan.action == report::TagAction::created);
    CHECK_FALSE(plan.before);
    REQUIRE(plan.write);
    CHECK(plan.after == Digest::of(plan.write->bytes));
    CHECK(plan.after_size == plan.write->bytes.size());
    CHECK(t.tags.count("1.0.0") == 0);  // computed, not written
    REQUIRE(t.put_manifest("1.0.0", *plan.write).ok());

    TagPlan again = plans->front();
    REQUIRE(compute_tag(t, again, {}).ok());
    CHECK(again.action == report::TagAction::unchanged);
    CHECK_FALSE(again.write);
    CHECK(again.before == plan.after);
    CHECK(again.after == plan.after);
}

TEST_CASE("published platforms: found, refused with the way out, and checked again by compute_tag") {
    testing::FakeTarget t;
    const oci::IndexEntry published = entry("linux/amd64", "published amd");
    store_tag(t, "1.0.0", index_of({published, entry("linux/arm64", "arm")}));
    const std::vector<oci::IndexEntry> entries{entry("linux/amd64", "rebuilt amd"), entry("linux/arm64", "arm"),
                                               entry("darwin/arm64", "new darwin")};
    const auto conflicts = published_conflicts(read_tag(t, "1.0.0")->content, entries);
    REQUIRE(conflicts.size() == 1);
    CHECK(conflicts[0].platform == "linux/amd64");
    CHECK(conflicts[0].published == published.digest);
    CHECK(conflicts[0].replacement == entries[0].digest);

    const Error one = published_conflict_error("registry.example/acme/tool", "1.0.0", conflicts);
    CHECK(one.kind == ErrorKind::data);
    CHECK(one.message == "linux/amd64 is already published in registry.example/acme/tool:1.0.0 as " +
                             published.digest.str() + "; this release has " + entries[0].digest.str() +
                             "\nthat platform of a published version would change: release a new version, or pass "
                             "--replace (matrix \"replace\": true) to replace it");
    const Error two = published_conflict_error("p", "t", {conflicts[0], conflicts[0]});
    CHECK(two.message.find("\nthose platforms of a published version would change") != std::string::npos);
    CHECK(two.message.ends_with("to replace them"));

    TagOptions options;
    options.protect_published = true;
    auto plans = plan_tags(t, "1.0.0", entries, options);
    REQUIRE(plans.ok());
    const auto s = compute_tag(t, plans->front(), {});
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message == published_conflict_error("fake/repo", "1.0.0", conflicts).message);
    CHECK_FALSE(plans->front().write);
}

TEST_CASE("write_tags compute_only plans every tag and writes none; to_report mirrors the plan") {
    testing::FakeTarget t;
    t.repository_exists = false;
    const std::vector<oci::IndexEntry> entries{entry("linux/amd64", "amd")};
    TagOptions options;
    options.cascade = true;
    options.new_repository = true;
    auto plans = plan_tags(t, "2.0.0", entries, options);
    REQUIRE(plans.ok());
    WriteOptions w;
    w.compute_only = true;
    const auto outcomes = write_tags(t, *plans, {}, w);
    REQUIRE(outcomes.size() == plans->size());
    CHECK(t.puts == 0);
    CHECK(t.tags.empty());
    for (std::size_t i = 0; i < plans->size(); ++i) {
        REQUIRE(outcomes[i]);
        CHECK(outcomes[i]->ok());
        const TagPlan& p = (*plans)[i];
        CHECK(p.action == report::TagAction::created);
        const report::TagResult r = to_report(p);
        CHECK(r.tag == p.tag);
        CHECK(r.kind == p.kind);
        CHECK(r.action == p.action);
        CHECK(r.after == p.after);
    }
}
