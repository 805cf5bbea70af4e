#include <doctest/doctest.h>

#include "layout/index_file.hpp"
#include "oci/media_types.hpp"

using namespace ocx;
using layout::IndexFile;

namespace {

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

oci::Descriptor descriptor(const std::string& digest, std::uint64_t size) {
    auto d = Digest::parse(digest);
    REQUIRE(d.ok());
    return oci::Descriptor{std::string(oci::kImageIndex), *d, size, {}};
}

// An index.json as skopeo writes it (no top-level mediaType), with an untagged entry, a foreign
// tagged entry carrying extra annotations, and an unknown top-level key.
const std::string kSkopeoIndex = R"({"schemaVersion":2,"manifests":[
  {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                                 kDigestA + R"(","size":7,
   "annotations":{"org.opencontainers.image.ref.name":"old","com.example.note":"keep me"},
   "platform":{"architecture":"amd64","os":"linux"}},
  {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                                 kDigestB + R"(","size":9}
 ],"annotations":{"com.example.layout":"x"}})";

}  // namespace

TEST_CASE("IndexFile reads tags the way skopeo writes them") {
    auto index = IndexFile::parse(kSkopeoIndex, "index.json");
    REQUIRE(index.ok());
    CHECK(index->tags() == std::vector<std::string>{"old"});
    auto found = index->find("old");
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->digest.str() == kDigestA);
    CHECK((*found)->size == 7);
    CHECK((*found)->media_type == oci::kImageManifest);
    CHECK((*found)->annotations.at("com.example.note") == "keep me");
    auto absent = index->find("new");
    REQUIRE(absent.ok());
    CHECK_FALSE(absent->has_value());
}

TEST_CASE("IndexFile::set_tag edits only the tag's entry") {
    auto index = IndexFile::parse(kSkopeoIndex, "index.json");
    REQUIRE(index.ok());
    const std::string untagged =
        R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kDigestB + R"(","size":9})";
    const std::string old_entry =
        R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kDigestA +
        R"(","size":7,"annotations":{"org.opencontainers.image.ref.name":"old","com.example.note":"keep me"},)"
        R"("platform":{"architecture":"amd64","os":"linux"}})";
    auto ours = [](const std::string& digest, int size, const std::string& tag) {
        return R"({"mediaType":"application/vnd.oci.image.index.v1+json","digest":")" + digest + R"(","size":)" +
               std::to_string(size) + R"(,"annotations":{"org.opencontainers.image.ref.name":")" + tag + R"("}})";
    };
    const std::string head = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)";
    const std::string tail = R"(],"annotations":{"com.example.layout":"x"}})";

    SUBCASE("a new tag is appended; everything else is kept verbatim") {
        index->set_tag("1.0", descriptor(kDigestB, 42));
        CHECK(index->serialize() == head + old_entry + "," + untagged + "," + ours(kDigestB, 42, "1.0") + tail);
        CHECK(index->tags() == std::vector<std::string>{"1.0", "old"});
    }
    SUBCASE("an existing tag is replaced in place, foreign annotations and all") {
        index->set_tag("old", descriptor(kDigestB, 42));
        CHECK(index->serialize() == head + ours(kDigestB, 42, "old") + "," + untagged + tail);
        auto found = index->find("old");
        REQUIRE(found.ok());
        CHECK((*found)->digest.str() == kDigestB);
        CHECK((*found)->media_type == oci::kImageIndex);
    }
    SUBCASE("duplicate entries for a tag collapse into one") {
        index->set_tag("new", descriptor(kDigestA, 1));
        auto twice = IndexFile::parse(index->serialize().substr(0, index->serialize().size() - tail.size()) + "," +
                                          ours(kDigestA, 2, "new") + tail,
                                      "index.json");
        REQUIRE(twice.ok());
        twice->set_tag("new", descriptor(kDigestB, 3));
        CHECK(twice->serialize() == head + old_entry + "," + untagged + "," + ours(kDigestB, 3, "new") + tail);
    }
}

TEST_CASE("IndexFile empty and round trip") {
    CHECK(IndexFile().serialize() ==
          R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})");
    CHECK(IndexFile().tags().empty());
    auto parsed = IndexFile::parse(IndexFile().serialize(), "index.json");
    REQUIRE(parsed.ok());
    CHECK(parsed->serialize() == IndexFile().serialize());
}

TEST_CASE("IndexFile refuses what it cannot edit safely") {
    auto error_of = [](std::string_view text) {
        auto r = IndexFile::parse(text, "d/index.json");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        return r.error().message;
    };
    CHECK(error_of("{") == "d/index.json:1:2: invalid JSON: incomplete JSON");
    CHECK(error_of("[]") == "d/index.json: expected an object, got array");
    CHECK(error_of(R"({"schemaVersion":1,"manifests":[]})") == "d/index.json:/schemaVersion: expected 2, got 1");
    CHECK(error_of(R"({"manifests":{}})") == "d/index.json:/manifests: expected an array, got object");
    CHECK(error_of(R"({"manifests":[1,{"annotations":{"org.opencontainers.image.ref.name":5}}]})") ==
          "d/index.json:/manifests/0: expected an object, got integer\n"
          "d/index.json:/manifests/1/annotations/org.opencontainers.image.ref.name: expected a string, got integer");

    SUBCASE("a broken entry is reported when its tag is looked up") {
        auto index = IndexFile::parse(
            R"({"manifests":[{"digest":"sha256:abc","size":-1,"annotations":{"org.opencontainers.image.ref.name":"t"}}]})",
            "d/index.json");
        REQUIRE(index.ok());
        auto r = index->find("t");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message ==
              "d/index.json:/manifests/0/mediaType: required key is missing\n"
              "d/index.json:/manifests/0/digest: invalid digest \"sha256:abc\": expected 64 lowercase hex digits after "
              "sha256:\n"
              "d/index.json:/manifests/0/size: expected a size >= 0, got -1");
    }
}

TEST_CASE("layout documents") {
    CHECK(layout::document_media_type(R"({"schemaVersion":2,"mediaType":"application/x"})") == "application/x");
    CHECK(layout::document_media_type(R"({"schemaVersion":2})").empty());
    CHECK(layout::document_media_type("not json").empty());
    CHECK(layout::check_layout_version(R"({"imageLayoutVersion":"1.0.0"})", "oci-layout").ok());
    auto v2 = layout::check_layout_version(R"({"imageLayoutVersion":"2.0.0"})", "d/oci-layout");
    REQUIRE_FALSE(v2.ok());
    CHECK(v2.error().message ==
          "d/oci-layout:/imageLayoutVersion: unsupported image layout version \"2.0.0\" (expected 1.0.0)");
    auto none = layout::check_layout_version("{}", "d/oci-layout");
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message == "d/oci-layout:/imageLayoutVersion: required key is missing");
}
