#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "fake_target.hpp"
#include "oci/media_types.hpp"
#include "publish/push.hpp"
#include "temp_dir.hpp"

using namespace ocx;
using namespace ocx::publish;

namespace {
// The archives every test here pushes, in one directory removed when the test binary ends (the
// fake target reads them back by path for as long as it runs).
const testing::TempDir& archive_dir() {
    static const testing::TempDir dir("ocx-push-test-");
    return dir;
}

struct Archive {
    std::filesystem::path path;
    Layer layer;
};

Archive make_archive(const std::string& name, const std::string& bytes) {
    auto path = archive_dir() / (name + ".tar.xz");
    std::ofstream(path, std::ios::binary) << bytes;
    return {path,
            Layer{path, Digest::of(bytes), bytes.size(), std::string(oci::kLayerTarXz), {}, Layer::Origin::file, {}, {}}};
}

PlatformContent content_for(const std::string& platform, const std::string& payload) {
    PlatformContent c;
    c.platform = *oci::Platform::parse(platform);
    c.layers.push_back(
        make_archive(platform.substr(0, platform.find('/')) + "_" + std::to_string(payload.size()) + payload.substr(0, 3),
                     payload)
            .layer);
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

// The platforms of the index at `tag`, in index order.
std::vector<std::string> platforms_at(testing::FakeTarget& t, const std::string& tag) {
    std::vector<std::string> out;
    for (const auto& e : index_at(t, tag).manifests) out.push_back(e.platform ? e.platform->str() : "");
    return out;
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
    CHECK(platforms_at(t, "latest") == std::vector<std::string>{"linux/amd64", "linux/arm64"});
    auto idx = index_at(t, "latest");
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
    CHECK(r.tags[3].action == report::TagAction::skipped);
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

TEST_CASE("cascading a v-prefixed version is refused before any write") {
    testing::FakeTarget t;
    auto r = push_platform(t, "reg/repo", content_for("linux/amd64", "x"), opts("v1.2.3", true, true));
    CHECK(r.status == report::Status::failed);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].kind == "data");
    CHECK(r.errors[0].message ==
          "tag \"v1.2.3\" is not an OCX version (OCX versions have no \"v\"): use --tag 1.2.3, or "
          "${GITHUB_REF_NAME#v} in a GitHub workflow");
    CHECK(t.puts == 0);
    CHECK(t.uploads == 0);
}

TEST_CASE("a non-version tag under cascade is published; the rolling tags are skipped with the reason") {
    testing::FakeTarget t;
    REQUIRE(push_platform(t, "reg/repo", content_for("linux/amd64", "rel"), opts("1.3.0", true, true)).status ==
            report::Status::published);
    const auto latest = index_at(t, "latest").manifests[0].digest;
    for (const std::string tag : {"1.4.0-rc.1", "nightly"}) {
        auto r = push_platform(t, "reg/repo", content_for("linux/amd64", tag), opts(tag, true));
        REQUIRE(r.status == report::Status::published);
        CHECK(r.tags[0].tag == tag);
        CHECK(r.tags[0].action == report::TagAction::created);
        for (std::size_t i = 1; i < r.tags.size(); ++i) {
            CHECK(r.tags[i].action == report::TagAction::skipped);
            CHECK(r.tags[i].reason.find("\"" + tag + "\" is ") == 0);
        }
        CHECK(index_at(t, "latest").manifests[0].digest == latest);
    }
    CHECK(t.tags.count("1.4") == 0);
}

TEST_CASE("cascading into an unknown repository needs --new") {
    testing::FakeTarget t;
    t.repository_exists = false;
    auto r = push_platform(t, "reg/repo", content_for("linux/amd64", "y"), opts("2.0.0", true));
    CHECK(r.status == report::Status::failed);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].kind == "not_found");
    CHECK(r.errors[0].message == "repository fake/repo does not exist; use --new (-n) for the first push of a package");
    CHECK(t.puts == 0);
    auto n = push_platform(t, "reg/repo", content_for("linux/amd64", "y"), opts("2.0.0", true, true));
    CHECK(n.status == report::Status::published);
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

namespace {
// Refuses the first `refusals` PUTs of `refuse` the way docker-registry's filesystem storage does
// while a concurrent writer re-links a manifest or blob that the PUT document references, with the
// error registry::RegistryTarget makes of that answer: one attempt, ErrorKind::transient
// (test_registry_registry_target.cpp checks the registry side of this contract).
struct RefusingTarget : testing::FakeTarget {
    std::string refuse;
    int refusals = 0;
    int refused = 0;
    std::string body =
        "DIGEST_INVALID: provided digest did not match uploaded content; MANIFEST_BLOB_UNKNOWN: blob "
        "unknown to registry";
    Status put_manifest(std::string_view ref, const store::Manifest& m) override {
        if (ref == refuse && refused < refusals) {
            ++refused;
            ++puts;
            return make_error(body.find("MANIFEST_BLOB_UNKNOWN") != std::string::npos ? ErrorKind::transient
                                                                                      : ErrorKind::unavailable,
                              "PUT manifest fake/repo:" + std::string(ref) + ": HTTP 400 Bad Request: " + body);
        }
        return FakeTarget::put_manifest(ref, m);
    }
};

// After our PUT of `tag` lands, a concurrent writer whose read came before it replaces the tag
// with `theirs` (an index without our entry), `times` times.
struct RacingTarget : testing::FakeTarget {
    std::string tag;
    std::string theirs;  // digest of the index the other writer puts
    int times = 0;
    int raced = 0;
    Status put_manifest(std::string_view ref, const store::Manifest& m) override {
        Status s = FakeTarget::put_manifest(ref, m);
        if (s && ref == tag && raced < times) {
            ++raced;
            tags[tag] = theirs;
        }
        return s;
    }
};

// The first PUT of `tag` fails (a 503, say). With `lands`, the registry stored it all the same
// (the answer was lost); with `theirs`, a concurrent writer lands that index there while we back
// off: one with its own entry, that it has read back and left with.
struct FailsOnceTarget : testing::FakeTarget {
    std::string tag;
    std::string theirs;
    bool lands = false;
    std::vector<std::string> sent;  // digests of the documents PUT to `tag`, failed ones included
    int sent_once = 0;              // of those, how many went through put_manifest_once
    Status put_manifest_once(std::string_view ref, const store::Manifest& m, RetryHint& hint) override {
        if (ref == tag) ++sent_once;
        return FakeTarget::put_manifest_once(ref, m, hint);
    }
    Status put_manifest(std::string_view ref, const store::Manifest& m) override {
        if (ref != tag) return FakeTarget::put_manifest(ref, m);
        sent.push_back(m.digest.str());
        if (sent.size() > 1) return FakeTarget::put_manifest(ref, m);
        if (lands)
            REQUIRE(FakeTarget::put_manifest(ref, m).ok());
        else
            ++puts;
        if (!theirs.empty()) tags[tag] = theirs;
        return make_error(ErrorKind::transient, "PUT manifest fake/repo:" + tag + ": HTTP 503 Service Unavailable");
    }
};

// Pauses go to the injected clock: `sleeps` (when given) counts them, and nothing really sleeps.
PushOptions fast(const std::string& tag, int attempts, int* sleeps = nullptr) {
    PushOptions o = opts(tag, false, true);
    o.write.max_attempts = attempts;
    o.write.manifest_retry.max_attempts = 4;
    o.write.tag_retry.max_attempts = 4;
    o.write.clock.sleep = [sleeps](std::chrono::milliseconds) {
        if (sleeps != nullptr) ++*sleeps;
    };
    return o;
}

// What a concurrent writer that never saw our entry puts at our tag: an index holding only
// linux/arm64 (published under 0.9.0 here); returns its digest.
std::string other_writers_index(testing::FakeTarget& t) {
    REQUIRE(push_platform(t, "reg/repo", content_for("linux/arm64", "other writer"), fast("0.9.0", 1)).status ==
            report::Status::published);
    return t.tags["0.9.0"];
}
}  // namespace

TEST_CASE("a PUT the registry refuses with MANIFEST_BLOB_UNKNOWN is tried again") {
    RefusingTarget t;
    auto amd = content_for("linux/amd64", "refused payload");
    const std::string manifest_digest = build_manifest(amd).manifest.digest.str();
    const std::string canonical = "sha256." + manifest_digest.substr(7);

    SUBCASE("the tag's index, refused twice") {
        t.refuse = "1.0.0";
        t.refusals = 2;
        auto r = push_platform(t, "reg/repo", amd, fast("1.0.0", 2));
        CHECK(r.status == report::Status::published);
        CHECK(t.refused == 2);
        CHECK(index_at(t, "1.0.0").manifests.size() == 1);
        CHECK(r.tags[0].action == report::TagAction::created);
    }
    SUBCASE("the platform manifest by digest, refused once: one pause, on the injected clock") {
        t.refuse = manifest_digest;
        t.refusals = 1;
        int sleeps = 0;
        auto r = push_platform(t, "reg/repo", amd, fast("1.0.0", 2, &sleeps));
        CHECK(r.status == report::Status::published);
        CHECK(t.refused == 1);
        CHECK(sleeps == 1);
        CHECK(t.manifests.count(manifest_digest) == 1);
    }
    SUBCASE("the canonical tag, refused three times of four attempts") {
        t.refuse = canonical;
        t.refusals = 3;
        int sleeps = 0;
        auto r = push_platform(t, "reg/repo", amd, fast("1.0.0", 2, &sleeps));
        CHECK(r.status == report::Status::published);
        CHECK(sleeps == 3);
        CHECK(r.platforms[0].canonical_tag == canonical);
        CHECK(t.tags.count(canonical) == 1);
    }
    SUBCASE("the platform manifest by digest, refused on every attempt: transient, named, nothing tagged") {
        t.refuse = manifest_digest;
        t.refusals = 100;
        auto r = push_platform(t, "reg/repo", amd, fast("1.0.0", 2));
        CHECK(r.status == report::Status::failed);
        CHECK(t.refused == 4);
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].kind == "transient");
        CHECK(r.errors[0].message.find("MANIFEST_BLOB_UNKNOWN: blob unknown to registry (gave up after 4 attempts)") !=
              std::string::npos);
        CHECK(t.tags.empty());
    }
    SUBCASE("refused on every attempt: the registry's words, and no rolling tag") {
        t.refuse = "1.0.0";
        t.refusals = 100;
        auto o = fast("1.0.0", 2);
        o.cascade = true;
        auto r = push_platform(t, "reg/repo", amd, o);
        CHECK(r.status == report::Status::failed);
        CHECK(t.refused == 4);
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].step == "tag 1.0.0");
        CHECK(r.errors[0].kind == "transient");
        CHECK(r.errors[0].message ==
              "writing tag 1.0.0: PUT manifest fake/repo:1.0.0: HTTP 400 Bad Request: DIGEST_INVALID: provided digest "
              "did not match uploaded content; MANIFEST_BLOB_UNKNOWN: blob unknown to registry (gave up after 4 "
              "attempts)");
        CHECK(t.tags.count("latest") == 0);
    }
    SUBCASE("any other refusal is not retried") {
        t.refuse = "1.0.0";
        t.refusals = 100;
        t.body = "MANIFEST_INVALID: manifest invalid";
        auto r = push_platform(t, "reg/repo", amd, fast("1.0.0", 2));
        CHECK(r.status == report::Status::failed);
        CHECK(t.refused == 1);
    }
}

TEST_CASE("a concurrent writer that dropped our entry is merged with again") {
    RacingTarget t;
    t.tag = "1.0.0";
    t.theirs = other_writers_index(t);
    auto amd = content_for("linux/amd64", "racing amd");

    SUBCASE("once: the read-back sees it and writes the merge of both") {
        t.times = 1;
        auto r = push_platform(t, "reg/repo", amd, fast("1.0.0", 3));
        CHECK(r.status == report::Status::published);
        CHECK(t.raced == 1);
        CHECK(platforms_at(t, "1.0.0") == std::vector<std::string>{"linux/arm64", "linux/amd64"});
        CHECK(r.tags[0].action == report::TagAction::created);
        CHECK(!r.tags[0].before.has_value());
        CHECK(r.index->digest.str() == t.tags["1.0.0"]);
    }
    SUBCASE("on every write: gives up after max_attempts as transient") {
        t.times = 100;
        auto r = push_platform(t, "reg/repo", amd, fast("1.0.0", 3));
        CHECK(r.status == report::Status::failed);
        CHECK(t.raced == 3);
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].kind == "transient");
        CHECK(r.errors[0].message ==
              "tag 1.0.0: a concurrent writer kept replacing the index (3 attempts); run again to merge");
    }
}

TEST_CASE("a failed tag PUT is retried from a fresh read, not with the bytes that failed") {
    FailsOnceTarget t;
    t.tag = "1.0.0";
    t.theirs = other_writers_index(t);
    auto r = push_platform(t, "reg/repo", content_for("linux/amd64", "ours"), fast("1.0.0", 3));
    CHECK(r.status == report::Status::published);
    // Sending the first bytes again would have dropped linux/arm64 after its writer had left.
    REQUIRE(t.sent.size() == 2);
    CHECK(t.sent[0] != t.sent[1]);
    CHECK(t.sent_once == 2);  // never through put_manifest, whose transport may resend on its own
    CHECK(platforms_at(t, "1.0.0") == std::vector<std::string>{"linux/arm64", "linux/amd64"});
    // As seen before our first write: the tag did not exist.
    CHECK(r.tags[0].action == report::TagAction::created);
    CHECK(!r.tags[0].before.has_value());
}

TEST_CASE("a tag PUT that failed but landed is still read back, and reported as our write") {
    FailsOnceTarget t;
    t.tag = "1.0.0";
    t.lands = true;
    auto r = push_platform(t, "reg/repo", content_for("linux/amd64", "landed"), fast("1.0.0", 3));
    CHECK(r.status == report::Status::published);
    CHECK(t.sent.size() == 1);  // the fresh read found our bytes there: nothing left to send
    std::vector<std::string> tag_reads;
    for (const auto& c : t.calls)
        if (c == "get 1.0.0") tag_reads.push_back(c);
    CHECK(tag_reads.size() == 3);  // the first read, the retry's read, the read-back
    CHECK(r.tags[0].action == report::TagAction::created);
    CHECK(!r.tags[0].before.has_value());
    CHECK(r.index->digest.str() == t.tags["1.0.0"]);
}

TEST_CASE("a rolling tag that a newer version blocks while we merge again is reported blocked") {
    // After our write of `1` lands, another release replaces it without our entry and publishes
    // 1.1.0 for our platform: merging again, the recheck finds 1 now belongs to 1.1.0.
    struct NewerArrives : testing::FakeTarget {
        std::string theirs, newer;
        bool raced = false;
        Status put_manifest(std::string_view ref, const store::Manifest& m) override {
            Status s = FakeTarget::put_manifest(ref, m);
            if (s && ref == "1" && !raced) {
                raced = true;
                tags["1"] = theirs;
                tags["1.1.0"] = newer;
            }
            return s;
        }
    } t;
    t.theirs = other_writers_index(t);
    REQUIRE(push_platform(t, "reg/repo", content_for("linux/amd64", "newer"), fast("newer", 1)).status ==
            report::Status::published);
    t.newer = t.tags["newer"];
    auto o = fast("1.0.0", 3);
    o.cascade = true;
    auto r = push_platform(t, "reg/repo", content_for("linux/amd64", "older"), o);
    CHECK(r.status == report::Status::published);
    REQUIRE(r.tags.size() == 4);
    REQUIRE(r.tags[2].tag == "1");
    CHECK(r.tags[2].action == report::TagAction::blocked);
    CHECK(r.tags[2].blocked_by == std::vector<std::string>{"1.1.0"});
    CHECK(t.tags["1"] == t.theirs);
}

TEST_CASE("a tag that needs no write is not read back") {
    testing::FakeTarget t;
    auto amd = content_for("linux/amd64", "read back");
    REQUIRE(push_platform(t, "reg/repo", amd, fast("1.0.0", 2)).status == report::Status::published);
    CHECK(t.gets == 2);  // compute + confirm
    t.gets = 0;
    auto r = push_platform(t, "reg/repo", amd, fast("1.0.0", 2));
    CHECK(r.status == report::Status::published);
    CHECK(r.tags[0].action == report::TagAction::unchanged);
    CHECK(t.gets == 1);  // compute only
}

TEST_CASE("a cascade writes every tag, then pauses once and reads each back") {
    testing::FakeTarget t;
    auto o = opts("1.2.3", true, true);
    o.canonical_tag = false;
    auto r = push_platform(t, "reg/repo", content_for("linux/amd64", "one pause"), o);
    REQUIRE(r.status == report::Status::published);
    const std::vector<std::string> tags = {"1.2.3", "1.2", "1", "latest"};
    REQUIRE(r.tags.size() == tags.size());
    // The tag calls after the manifest PUT: for each tag in write order a read (merge) and a PUT,
    // then the read-backs, in the same order, with no write among them.
    std::vector<std::string> tag_calls;
    for (const auto& c : t.calls)
        if (c.find("sha256:") == std::string::npos) tag_calls.push_back(c);
    std::vector<std::string> want;
    for (const auto& tag : tags) {
        want.push_back("get " + tag);
        // A rolling tag is read again after its cascade level was re-decided: the merge that is
        // PUT starts from a read made just before.
        if (tag != "1.2.3") want.push_back("get " + tag);
        want.push_back("put " + tag);
    }
    for (const auto& tag : tags) want.push_back("get " + tag);
    CHECK(tag_calls == want);
}

TEST_CASE("a protected tag refuses another digest for a platform it holds, where the tag is merged") {
    testing::FakeTarget t;
    REQUIRE(push_platform(t, "reg/repo", content_for("linux/amd64", "first"), opts("1.1.0", false, true)).status ==
            report::Status::published);
    const auto published = index_at(t, "1.1.0").manifests[0].digest;
    const auto before = t.tags.at("1.1.0");
    BuiltManifest other = build_manifest(content_for("linux/amd64", "second"));
    BuiltManifest darwin = build_manifest(content_for("darwin/arm64", "third"));
    BuiltManifest same = build_manifest(content_for("linux/amd64", "first"));
    REQUIRE(same.entry.digest == published);

    TagOptions protect{false, false, {}, true};
    SUBCASE("another digest: refused, naming the platform and both digests") {
        auto plans = plan_tags(t, "1.1.0", {other.entry}, protect);
        REQUIRE(plans.ok());
        auto s = compute_tag(t, plans->front(), {});
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().kind == ErrorKind::data);
        CHECK(s.error().message == "linux/amd64 is already published in fake/repo:1.1.0 as " + published.str() +
                                       "; this release has " + other.entry.digest.str() +
                                       "\nthat platform of a published version would change: release a new version, or "
                                       "pass --replace (matrix \"replace\": true) to replace it");
        CHECK(t.tags.at("1.1.0") == before);
    }
    SUBCASE("the same digest and a new platform are allowed") {
        auto plans = plan_tags(t, "1.1.0", {same.entry, darwin.entry}, protect);
        REQUIRE(plans.ok());
        CHECK(compute_tag(t, plans->front(), {}).ok());
        CHECK(plans->front().action == report::TagAction::moved);
    }
    SUBCASE("without protection the entry is replaced, as OCX's push does") {
        auto plans = plan_tags(t, "1.1.0", {other.entry}, TagOptions{});
        REQUIRE(plans.ok());
        CHECK(compute_tag(t, plans->front(), {}).ok());
        CHECK(plans->front().action == report::TagAction::moved);
    }
}
