// publish/referrers.cpp: attaching through the fallback tag and the Referrers API, reruns, and a
// concurrent writer that replaces the fallback index between our write and our read-back.
#include <doctest/doctest.h>

#include <functional>

#include "fake_target.hpp"
#include "oci/media_types.hpp"
#include "publish/referrers.hpp"

namespace ocx::publish {

namespace {

// The fake target, plus a hook run after every tag PUT (a concurrent writer acting then) and an
// optional Referrers API (what a registry answering OCI-Subject keeps).
class RacingTarget : public testing::FakeTarget {
public:
    std::function<void(const std::string& tag)> after_tag_put;
    bool api = false;
    std::map<std::string, std::vector<std::string>> api_index;  // subject -> referrer digests

    Status put_manifest_once(std::string_view ref, const store::Manifest& m, RetryHint&) override {
        auto s = put_manifest(ref, m);
        if (s && after_tag_put) after_tag_put(std::string(ref));
        return s;
    }
    Result<bool> put_referrer(const store::Manifest& m) override {
        if (auto s = put_manifest(m.digest.str(), m); !s) return std::move(s).error();
        if (!api) return false;
        auto parsed = attest::parse_referrer_manifest(m.bytes);
        api_index[parsed->subject->digest.str()].push_back(m.digest.str());
        return true;
    }
    Result<std::optional<store::Manifest>> get_referrers(const Digest& subject) override {
        if (!api) return std::optional<store::Manifest>();
        oci::ImageIndex index;
        for (const auto& d : api_index[subject.str()]) {
            const auto& m = manifests.at(d);
            index.manifests.push_back({std::string(oci::kImageManifest), m.digest, m.bytes.size(), std::nullopt,
                                       R"({"artifactType":"application/vnd.cyclonedx+json"})"});
        }
        const std::string bytes = index.serialize();
        return std::optional<store::Manifest>(store::Manifest{std::string(oci::kImageIndex), bytes, Digest::of(bytes)});
    }
};

WriteOptions quick() {
    WriteOptions w;
    w.clock.sleep = [](std::chrono::milliseconds) {};
    return w;
}

attest::Document sbom(std::string bytes) {
    attest::Document d;
    d.kind = "sbom";
    d.artifact_type = std::string(attest::kCycloneDx);
    d.bytes = std::move(bytes);
    return d;
}

const oci::Descriptor kSubject{std::string(oci::kImageManifest), Digest::of("subject"), 7, {}};

std::vector<Digest> listed(store::Target& t) {
    std::vector<Digest> out;
    auto refs = list_referrers(t, kSubject.digest);
    REQUIRE(refs.ok());
    for (const auto& r : *refs) out.push_back(r.digest);
    return out;
}

}  // namespace

TEST_CASE("fallback tag: attach, list, rerun adds nothing") {
    RacingTarget t;
    auto first = attach(t, kSubject, sbom(R"({"a":1})"), quick());
    REQUIRE(first.ok());
    CHECK(first->way == AttachWay::fallback_tag);
    CHECK(t.tags.count("sha256-" + kSubject.digest.hex()) == 1);
    CHECK(t.blobs.count(Digest::of("{}").str()) == 1);  // the empty config
    CHECK(listed(t) == std::vector<Digest>{first->digest});
    const int puts = t.puts;
    auto again = attach(t, kSubject, sbom(R"({"a":1})"), quick());
    REQUIRE(again.ok());
    CHECK(again->way == AttachWay::existing);
    CHECK(again->digest == first->digest);
    CHECK(t.puts == puts);
    auto second = attach(t, kSubject, sbom(R"({"b":2})"), quick());
    REQUIRE(second.ok());
    CHECK(listed(t) == std::vector<Digest>{first->digest, second->digest});
}

TEST_CASE("fallback tag: a concurrent writer that drops our entry is merged again") {
    RacingTarget t;
    auto other = attach(t, kSubject, sbom(R"({"other":1})"), quick());
    REQUIRE(other.ok());
    const std::string tag = "sha256-" + kSubject.digest.hex();
    const std::string others_index = t.tags.at(tag);
    // Right after our first write, the other writer's PUT (merged from a read before ours) lands.
    int races = 0;
    t.after_tag_put = [&](const std::string& written) {
        if (written == tag && races++ == 0) t.tags[tag] = others_index;
    };
    auto ours = attach(t, kSubject, sbom(R"({"ours":1})"), quick());
    REQUIRE(ours.ok());
    CHECK(races == 2);  // our first write, lost; our second, kept
    CHECK(listed(t) == std::vector<Digest>{other->digest, ours->digest});
}

TEST_CASE("fallback tag: a writer that keeps replacing the index is a transient error, not a silent loss") {
    RacingTarget t;
    const std::string tag = "sha256-" + kSubject.digest.hex();
    t.after_tag_put = [&](const std::string& written) {
        if (written == tag) t.tags.erase(tag);
    };
    auto ours = attach(t, kSubject, sbom(R"({"ours":1})"), quick());
    REQUIRE_FALSE(ours.ok());
    CHECK(ours.error().kind == ErrorKind::transient);
    CHECK(ours.error().message.find("a concurrent writer kept replacing the referrers index") != std::string::npos);
}

TEST_CASE("Referrers API: no fallback tag, reruns find the referrer through the API") {
    RacingTarget t;
    t.api = true;
    auto first = attach(t, kSubject, sbom(R"({"a":1})"), quick());
    REQUIRE(first.ok());
    CHECK(first->way == AttachWay::referrers_api);
    CHECK(t.tags.empty());
    auto again = attach(t, kSubject, sbom(R"({"a":1})"), quick());
    REQUIRE(again.ok());
    CHECK(again->way == AttachWay::existing);
    CHECK(listed(t) == std::vector<Digest>{first->digest});
}

}  // namespace ocx::publish
