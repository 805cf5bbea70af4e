#include <doctest/doctest.h>

#include "oci/descriptor.hpp"
#include "oci/media_types.hpp"

using namespace ocx;
using namespace ocx::oci;

namespace {
// docs/wire-format.md §2 worked example.
constexpr std::string_view kMetadata =
    R"({"type":"bundle","version":1,"env":[{"key":"PATH","type":"path","required":true,"value":"${installPath}/bin","visibility":"public"}],"binaries":["mytool"]})";

Digest digest_of(char c) { return *Digest::parse("sha256:" + std::string(64, c)); }
}  // namespace

TEST_CASE("worked manifest example of docs/wire-format.md §2, byte for byte") {
    REQUIRE(kMetadata.size() == 155);
    Digest config_digest = Digest::of(kMetadata);
    CHECK(config_digest.str() == "sha256:38dad47a725d619d3a09873831534512e612098fa84c1914c6fa5ac1bc873dd3");
    ImageManifest m;
    m.config = {std::string(kPackageConfig), config_digest, kMetadata.size(), {}};
    m.layers.push_back({std::string(kLayerTarXz), digest_of('a'), 1048576, {}});
    std::string bytes = m.serialize();
    CHECK(bytes.size() == 452);
    CHECK(Digest::of(bytes).str() == "sha256:7ba556cd33cef8c872c8ce916fd10ce386877ce5815a93c37b42e34236962042");
    CHECK(bytes.find(' ') == std::string::npos);
    CHECK(bytes.rfind(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType")",
                      0) == 0);

    auto back = ImageManifest::parse(bytes);
    REQUIRE(back.ok());
    CHECK(back->serialize() == bytes);
}

TEST_CASE("layer annotations are written after size, sorted") {
    ImageManifest m;
    m.config = {std::string(kPackageConfig), digest_of('b'), 2, {}};
    m.layers.push_back({std::string(kLayerTarXz), digest_of('a'), 7, {{"sh.ocx.layer.strip-components", "1"}, {"a", "b"}}});
    std::string bytes = m.serialize();
    CHECK(bytes.find(R"("size":7,"annotations":{"a":"b","sh.ocx.layer.strip-components":"1"}})") != std::string::npos);
}

TEST_CASE("image index canonical form and round trip") {
    ImageIndex idx;
    IndexEntry e;
    e.media_type = std::string(kImageManifest);
    e.digest = digest_of('c');
    e.size = 452;
    e.platform = *Platform::parse("linux/amd64+libc.musl");
    idx.manifests.push_back(e);
    idx.artifact_type = std::string(kPackageArtifact);
    std::string bytes = idx.serialize();
    CHECK(
        bytes ==
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" +
            std::string(64, 'c') +
            R"(","size":452,"platform":{"architecture":"amd64","os":"linux","os.features":["libc.musl"]}}],"artifactType":"application/vnd.sh.ocx.package.v1"})");
    idx.annotations["org.opencontainers.image.source"] = "https://example.invalid/acme/tool";
    bytes = idx.serialize();
    const std::string tail =
        R"(,"artifactType":"application/vnd.sh.ocx.package.v1","annotations":{"org.opencontainers.image.source":"https://example.invalid/acme/tool"}})";
    CHECK(bytes.substr(bytes.size() - tail.size()) == tail);
    auto back = ImageIndex::parse(bytes);
    REQUIRE(back.ok());
    CHECK(*back == idx);
    CHECK(back->serialize() == bytes);
}

TEST_CASE("foreign entry fields survive a parse/serialize round trip") {
    std::string d = "sha256:" + std::string(64, 'd');
    std::string in =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
        d + R"(","size":10,"annotations":{"vnd.docker.reference.type":"attestation-manifest"},"artifactType":"x/y"}]})";
    auto idx = ImageIndex::parse(in);
    REQUIRE(idx.ok());
    CHECK_FALSE(idx->manifests[0].platform.has_value());
    CHECK(idx->serialize() == in);
}

TEST_CASE("malformed documents are errors, not crashes") {
    CHECK(ImageIndex::parse("[]").error().message == "invalid index: not a JSON object");
    CHECK(ImageIndex::parse(R"({"manifests":[{"mediaType":"x","digest":"sha256:zz","size":1}]})").error().kind ==
          ErrorKind::data);
    CHECK(ImageManifest::parse(R"({"layers":[]})").error().message == "invalid manifest: no \"config\" descriptor");
    CHECK(sniff_media_type(R"({"mediaType":"a/b"})") == "a/b");
    CHECK(sniff_media_type("nope").empty());
}

TEST_CASE("layer media type from the archive extension") {
    CHECK(layer_media_type("x-1.0.tar.xz") == kLayerTarXz);
    CHECK(layer_media_type("x.txz") == kLayerTarXz);
    CHECK(layer_media_type("x.tgz") == kLayerTarGzip);
    CHECK(layer_media_type("x.tar.zstd") == kLayerTarZstd);
    CHECK_FALSE(layer_media_type("x.tar").has_value());
    CHECK_FALSE(layer_media_type("x.zip").has_value());
    CHECK(archive_stem("dist/mytool-1.0-linux-amd64.tar.xz") == "mytool-1.0-linux-amd64");
}
