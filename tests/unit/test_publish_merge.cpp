#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "oci/media_types.hpp"
#include "publish/merge.hpp"

using namespace ocx;
using namespace ocx::oci;
using namespace ocx::publish;

namespace {

Digest digest(char c) { return *Digest::parse("sha256:" + std::string(64, c)); }

IndexEntry entry(std::string_view platform, char digest_char, std::uint64_t size = 452) {
    auto p = Platform::parse(platform);
    REQUIRE(p.ok());
    return IndexEntry{std::string{kImageManifest}, digest(digest_char), size, *p, {}};
}

/// An attestation-style entry: no platform, foreign fields kept verbatim.
IndexEntry attestation(char digest_char) {
    return IndexEntry{std::string{kImageManifest}, digest(digest_char), 800, std::nullopt,
                      R"({"annotations":{"vnd.docker.reference.type":"attestation-manifest"}})"};
}

ImageIndex index_of(std::vector<IndexEntry> entries, Annotations annotations = {}) {
    return ImageIndex{std::move(entries), std::string{kPackageArtifact}, std::move(annotations)};
}

/// "linux/amd64@a arm64@b -@c": each entry's platform (or "-") and digest's first hex character.
std::string layout(const ImageIndex& index) {
    std::string out;
    for (const auto& e : index.manifests) {
        if (!out.empty()) out += ' ';
        out += (e.platform ? e.platform->str() : "-") + "@" + e.digest.hex().substr(0, 1);
    }
    return out;
}

const Annotations kNone;

}  // namespace

TEST_CASE("merge: first push into a missing tag") {
    const Annotations source{{"org.opencontainers.image.source", "https://example.invalid/acme/tool"}};
    const MergeResult r = merge_platform(std::monostate{}, entry("linux/amd64", 'a'), source);
    CHECK(r.changed);
    CHECK(layout(r.index) == "linux/amd64@a");
    CHECK(r.index.artifact_type == std::string{kPackageArtifact});
    CHECK(r.index.annotations == source);
    CHECK(
        r.index.serialize() ==
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" +
            std::string(64, 'a') +
            R"(","size":452,"platform":{"architecture":"amd64","os":"linux"}}],"artifactType":"application/vnd.sh.ocx.package.v1","annotations":{"org.opencontainers.image.source":"https://example.invalid/acme/tool"}})");
}

TEST_CASE("merge: one platform into an existing index") {
    const ImageIndex existing = index_of({entry("linux/amd64", 'a'), entry("linux/arm64", 'b')});

    SUBCASE("a new platform is appended") {
        const MergeResult r = merge_platform(existing, entry("darwin/arm64", 'c'), kNone);
        CHECK(r.changed);
        CHECK(layout(r.index) == "linux/amd64@a linux/arm64@b darwin/arm64@c");
    }
    SUBCASE("the same platform with the same digest: unchanged, in place") {
        const MergeResult r = merge_platform(existing, entry("linux/amd64", 'a'), kNone);
        CHECK_FALSE(r.changed);
        CHECK(r.index == existing);
        CHECK(r.index.serialize() == existing.serialize());
    }
    SUBCASE("the same platform with a new digest: replaced and moved to the end") {
        const MergeResult r = merge_platform(existing, entry("linux/amd64", 'd'), kNone);
        CHECK(r.changed);
        CHECK(layout(r.index) == "linux/arm64@b linux/amd64@d");
    }
    SUBCASE("same digest, different size or foreign fields: not the same entry, replaced") {
        CHECK(layout(merge_platform(existing, entry("linux/amd64", 'a', 999), kNone).index) ==
              "linux/arm64@b linux/amd64@a");
        ImageIndex foreign = existing;
        foreign.manifests[0].extra_json = R"({"annotations":{"x":"y"}})";
        const MergeResult r = merge_platform(foreign, entry("linux/amd64", 'a'), kNone);
        CHECK(r.changed);
        CHECK(layout(r.index) == "linux/arm64@b linux/amd64@a");
        CHECK(r.index.manifests[1].extra_json.empty());
    }
    SUBCASE("two entries for the platform: both removed, one appended, even with the same digest") {
        const ImageIndex doubled =
            index_of({entry("linux/amd64", 'a'), entry("linux/arm64", 'b'), entry("linux/amd64", 'e')});
        const MergeResult r = merge_platform(doubled, entry("linux/amd64", 'a'), kNone);
        CHECK(r.changed);
        CHECK(layout(r.index) == "linux/arm64@b linux/amd64@a");
    }
}

TEST_CASE("merge: platforms are compared as whole objects") {
    const ImageIndex existing = index_of({entry("linux/amd64", 'a'), entry("linux/amd64+libc.glibc", 'b')});
    SUBCASE("libc.musl, libc.glibc and no libc are three entries") {
        const MergeResult r = merge_platform(existing, entry("linux/amd64+libc.musl", 'c'), kNone);
        CHECK(layout(r.index) == "linux/amd64@a linux/amd64+libc.glibc@b linux/amd64+libc.musl@c");
    }
    SUBCASE("replacing one libc leaves the others") {
        const MergeResult r = merge_platform(existing, entry("linux/amd64+libc.glibc", 'd'), kNone);
        CHECK(layout(r.index) == "linux/amd64@a linux/amd64+libc.glibc@d");
        CHECK(layout(merge_platform(existing, entry("linux/amd64", 'd'), kNone).index) ==
              "linux/amd64+libc.glibc@b linux/amd64@d");
    }
    SUBCASE("a foreign entry with os.version is a different platform") {
        ImageIndex foreign = existing;
        foreign.manifests[0].platform->os_version = "10.0.17763";
        const MergeResult r = merge_platform(foreign, entry("linux/amd64", 'a'), kNone);
        CHECK(r.changed);
        CHECK(r.index.manifests.size() == 3);
        CHECK(r.index.manifests[0].platform->os_version == "10.0.17763");
    }
}

TEST_CASE("merge: entries without platform are kept") {
    SUBCASE("attestations stay where they are") {
        const ImageIndex existing = index_of({entry("linux/amd64", 'a'), attestation('f'), entry("linux/arm64", 'b')});
        const MergeResult r = merge_platform(existing, entry("linux/amd64", 'c'), kNone);
        CHECK(layout(r.index) == "-@f linux/arm64@b linux/amd64@c");
        CHECK(r.index.manifests[0] == attestation('f'));
        CHECK_FALSE(merge_platform(existing, entry("linux/arm64", 'b'), kNone).changed);
    }
    SUBCASE("a new entry without platform removes none of them") {
        const ImageIndex existing = index_of({attestation('f'), entry("linux/amd64", 'a')});
        const MergeResult r = merge_platform(existing, attestation('e'), kNone);
        CHECK(r.changed);
        CHECK(layout(r.index) == "-@f linux/amd64@a -@e");
        CHECK_FALSE(merge_platform(r.index, attestation('e'), kNone).changed);
    }
    SUBCASE("a plain manifest at the tag becomes an entry without platform") {
        const Descriptor manifest{std::string{kImageManifest}, digest('9'), 321, {}};
        const MergeResult r = merge_platform(manifest, entry("linux/amd64", 'a'), kNone);
        CHECK(r.changed);
        CHECK(layout(r.index) == "-@9 linux/amd64@a");
        CHECK(r.index.manifests[0] == IndexEntry{std::string{kImageManifest}, digest('9'), 321, std::nullopt, {}});
        CHECK(r.index.artifact_type == std::string{kPackageArtifact});
    }
    SUBCASE("a plain manifest's descriptor annotations travel as the entry's foreign fields") {
        const Descriptor manifest{std::string{kDockerManifest}, digest('9'), 321, {{"b", "2"}, {"a", "1"}}};
        const MergeResult r = merge_platform(manifest, entry("linux/amd64", 'a'), kNone);
        CHECK(r.index.manifests[0].media_type == kDockerManifest);
        CHECK(r.index.manifests[0].extra_json == R"({"annotations":{"a":"1","b":"2"}})");
    }
}

TEST_CASE("merge: annotations and artifactType") {
    const Annotations existing_annotations{{"keep.me", "1"}, {"org.opencontainers.image.source", "https://old.invalid"}};
    const ImageIndex existing = index_of({entry("linux/amd64", 'a'), entry("linux/arm64", 'b')}, existing_annotations);

    SUBCASE("publisher annotations are laid over the existing ones") {
        const MergeResult r = merge_platform(existing, entry("linux/arm64", 'b'),
                                             {{"org.opencontainers.image.source", "https://new.invalid"}});
        CHECK(r.changed);
        CHECK(r.index.annotations ==
              Annotations{{"keep.me", "1"}, {"org.opencontainers.image.source", "https://new.invalid"}});
        CHECK(layout(r.index) == "linux/amd64@a linux/arm64@b");
    }
    SUBCASE("an annotation change alone rewrites the index, the entry moving to the end (steps 2-3)") {
        const MergeResult r = merge_platform(existing, entry("linux/amd64", 'a'), {{"new.key", "x"}});
        CHECK(r.changed);
        CHECK(layout(r.index) == "linux/arm64@b linux/amd64@a");
        CHECK(r.index.annotations.at("new.key") == "x");
        CHECK(r.index.annotations.at("keep.me") == "1");
    }
    SUBCASE("annotations already there: unchanged") {
        const MergeResult r = merge_platform(existing, entry("linux/amd64", 'a'), {{"keep.me", "1"}});
        CHECK_FALSE(r.changed);
        CHECK(r.index == existing);
    }
    SUBCASE("an absent artifactType is set, which is a change") {
        ImageIndex bare = existing;
        bare.artifact_type.reset();
        const MergeResult r = merge_platform(bare, entry("linux/arm64", 'b'), kNone);
        CHECK(r.changed);
        CHECK(r.index.artifact_type == std::string{kPackageArtifact});
    }
    SUBCASE("a different artifactType is kept") {
        ImageIndex other = existing;
        other.artifact_type = "application/vnd.example.other";
        const MergeResult same = merge_platform(other, entry("linux/arm64", 'b'), kNone);
        CHECK_FALSE(same.changed);
        const MergeResult moved = merge_platform(other, entry("linux/arm64", 'c'), kNone);
        CHECK(moved.changed);
        CHECK(moved.index.artifact_type == "application/vnd.example.other");
    }
}

TEST_CASE("merge: several platforms in one go") {
    const std::vector<IndexEntry> matrix{entry("linux/amd64+libc.glibc", 'a'), entry("linux/arm64", 'b'),
                                         entry("darwin/arm64", 'c')};
    const Annotations source{{"org.opencontainers.image.source", "https://example.invalid/acme/tool"}};
    // The reference: one merge_platform per entry, as successive pushes would do.
    const auto one_by_one = [&](const TagContent& start, const std::vector<IndexEntry>& entries) {
        TagContent current = start;
        for (const auto& e : entries) current = merge_platform(current, e, source).index;
        return std::get<ImageIndex>(current);
    };

    SUBCASE("into a missing tag: matrix order") {
        const MergeResult r = merge_platforms(std::monostate{}, matrix, source);
        CHECK(r.changed);
        CHECK(layout(r.index) == "linux/amd64+libc.glibc@a linux/arm64@b darwin/arm64@c");
        CHECK(r.index == one_by_one(std::monostate{}, matrix));
    }
    SUBCASE("a re-run changes nothing, whatever order the tag holds") {
        const ImageIndex shuffled = index_of({matrix[2], attestation('f'), matrix[0], matrix[1]}, source);
        const MergeResult r = merge_platforms(shuffled, matrix, source);
        CHECK_FALSE(r.changed);
        CHECK(r.index == shuffled);
    }
    SUBCASE("one platform rebuilt: equals successive pushes") {
        const ImageIndex existing = merge_platforms(std::monostate{}, matrix, source).index;
        const std::vector<IndexEntry> rebuilt{matrix[0], entry("linux/arm64", 'd'), matrix[2]};
        const MergeResult r = merge_platforms(existing, rebuilt, source);
        CHECK(r.changed);
        CHECK(layout(r.index) == "linux/amd64+libc.glibc@a darwin/arm64@c linux/arm64@d");
        CHECK(r.index == one_by_one(existing, rebuilt));
    }
    SUBCASE("into a plain manifest") {
        const Descriptor manifest{std::string{kImageManifest}, digest('9'), 321, {}};
        const MergeResult r = merge_platforms(manifest, matrix, source);
        CHECK(r.changed);
        CHECK(layout(r.index) == "-@9 linux/amd64+libc.glibc@a linux/arm64@b darwin/arm64@c");
        CHECK(r.index == one_by_one(manifest, matrix));
    }
    SUBCASE("no entries: nothing to write") {
        CHECK_FALSE(merge_platforms(std::monostate{}, {}, source).changed);
        const ImageIndex existing = index_of({matrix[0]});
        const MergeResult r = merge_platforms(existing, {}, source);
        CHECK_FALSE(r.changed);
        CHECK(r.index == existing);
    }
}
