#include <doctest/doctest.h>

#include <string>

#include "oci/layer_ref.hpp"
#include "oci/media_types.hpp"

using namespace ocx;
using namespace ocx::oci;

namespace {
const std::string kHex(64, 'a');
const std::string kDigest = "sha256:" + kHex;
}  // namespace

TEST_CASE("parse_layer_ref: files, digest references and the tail") {
    SUBCASE("an archive file") {
        auto r = parse_layer_ref("dist/tool.tar.gz");
        REQUIRE(r);
        CHECK(r->kind == LayerRef::Kind::file);
        CHECK(r->path == "dist/tool.tar.gz");
        CHECK(r->media_type == oci::kLayerTarGzip);
        CHECK(layer_annotations(*r).empty());
    }
    SUBCASE("a digest reference, media type from the extension") {
        for (const auto& [ext, type] : {std::pair{".tar.xz", oci::kLayerTarXz},
                                        {".txz", oci::kLayerTarXz},
                                        {".tgz", oci::kLayerTarGzip},
                                        {".tar.zstd", oci::kLayerTarZstd}}) {
            auto r = parse_layer_ref(kDigest + ext);
            REQUIRE(r);
            CHECK(r->kind == LayerRef::Kind::digest);
            CHECK(r->digest.str() == kDigest);
            CHECK(r->media_type == type);
        }
    }
    SUBCASE("./ forces a file even when the name looks like a digest") {
        auto r = parse_layer_ref("./" + kDigest + ".tar.xz");
        REQUIRE(r);
        CHECK(r->kind == LayerRef::Kind::file);
        CHECK(r->path == "./" + kDigest + ".tar.xz");
    }
    SUBCASE("a malformed digest is a file name, as OCX reads it") {
        auto r = parse_layer_ref("sha256:abc.tar.xz");
        REQUIRE(r);
        CHECK(r->kind == LayerRef::Kind::file);
    }
    SUBCASE("the tail: keys in any order, annotations as OCX writes them, from never recorded") {
        auto r = parse_layer_ref(kDigest + ".tar.xz:prefix=share/doc,from=acme/base,strip=1");
        REQUIRE(r);
        CHECK(r->kind == LayerRef::Kind::digest);
        CHECK(r->strip == 1u);
        CHECK(r->prefix == "share/doc");
        CHECK(r->from == "acme/base");
        const auto a = layer_annotations(*r);
        REQUIRE(a.size() == 2);
        CHECK(a.at(std::string(oci::kAnnotationStripComponents)) == "1");
        CHECK(a.at(std::string(oci::kAnnotationPrefix)) == "share/doc");
        auto f = parse_layer_ref("tool.tar.xz:strip=0");
        REQUIRE(f);
        CHECK(f->path == "tool.tar.xz");
        CHECK(layer_annotations(*f).at(std::string(oci::kAnnotationStripComponents)) == "0");
    }
    SUBCASE("refused, with the argument named") {
        auto bare = parse_layer_ref(kDigest);
        REQUIRE_FALSE(bare);
        CHECK(bare.error().kind == ErrorKind::usage);
        CHECK(bare.error().message.find("a bare layer digest") != std::string::npos);
        CHECK(bare.error().message.find(kDigest + ".tar.xz") != std::string::npos);

        auto strip = parse_layer_ref("a.tar.xz:strip=256");
        REQUIRE_FALSE(strip);
        CHECK(strip.error().message == "layer \"a.tar.xz:strip=256\": strip=256 is not a number from 0 to 255");

        for (const char* bad : {"a.tar.xz:prefix=../x", "a.tar.xz:prefix=/x", "a.tar.xz:prefix=x/", "a.tar.xz:prefix=Bin",
                                "a.tar.xz:prefix=a//b", "a.tar.xz:prefix="}) {
            auto p = parse_layer_ref(bad);
            REQUIRE_FALSE(p);
            CHECK(p.error().message.find("is not a relative path") != std::string::npos);
        }
        auto unknown = parse_layer_ref("a.tar.xz:strp=1");
        REQUIRE_FALSE(unknown);
        CHECK(unknown.error().message.find("unknown key \"strp\" in the tail; did you mean \"strip\"?") !=
              std::string::npos);

        auto twice = parse_layer_ref("a.tar.xz:strip=1,strip=2");
        REQUIRE_FALSE(twice);
        CHECK(twice.error().message.find("strip given twice") != std::string::npos);

        auto other = parse_layer_ref("sha512:" + std::string(128, 'b') + ".tar.xz");
        REQUIRE_FALSE(other);
        CHECK(other.error().message.find("only sha256 digests") != std::string::npos);

        auto plain = parse_layer_ref("tool.tar");
        REQUIRE_FALSE(plain);
        CHECK(plain.error().kind == ErrorKind::data);
    }
}

TEST_CASE("looks_like_layer tells layers from the package identifier") {
    CHECK(looks_like_layer("tool.tar.xz"));
    CHECK(looks_like_layer("tool.tar.xz:strip=1"));
    CHECK(looks_like_layer(kDigest + ".tgz"));
    CHECK(looks_like_layer(kDigest + ".tgz:prefix=bin"));
    CHECK(looks_like_layer(kDigest));  // refused later, with the hint
    CHECK_FALSE(looks_like_layer("registry.example/acme/tool:1.0"));
    CHECK_FALSE(looks_like_layer("127.0.0.1:5000/acme/tool:1.0.0"));
}
