#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "layout/layout_target.hpp"
#include "oci/media_types.hpp"
#include "temp_dir.hpp"

using namespace ocx;
using ocx::testing::entries_in;
using ocx::testing::slurp;
using ocx::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<store::Target> open(const fs::path& dir) {
    auto t = layout::open_layout(dir);
    REQUIRE(t.ok());
    return std::move(*t);
}

store::Manifest manifest_of(std::string bytes, std::string_view media_type = oci::kImageManifest) {
    Digest d = Digest::of(bytes);
    return store::Manifest{std::string(media_type), std::move(bytes), d};
}

store::BlobSource bytes_blob(const std::string& bytes) {
    return store::BlobSource{Digest::of(bytes), bytes.size(), {}, bytes, {}, {}};
}

std::string fetch(store::Target& t, const Digest& d) {
    std::string out;
    auto s = t.fetch_blob(d, [&](const char* data, std::size_t size) {
        out.append(data, size);
        return Status{};
    });
    REQUIRE(s.ok());
    return out;
}

}  // namespace

TEST_CASE("a layout that does not exist reads as absent and is not created by reading") {
    TempDir tmp;
    fs::path dir = tmp.path() / "out";
    auto t = open(dir);
    CHECK(t->describe() == "oci:" + dir.string());
    auto tags = t->list_tags();
    REQUIRE(tags.ok());
    CHECK_FALSE(tags->has_value());
    auto m = t->get_manifest("1.0");
    REQUIRE(m.ok());
    CHECK_FALSE(m->has_value());
    auto by_digest = t->get_manifest(Digest::of("x").str());
    REQUIRE(by_digest.ok());
    CHECK_FALSE(by_digest->has_value());
    auto exists = t->blob_exists(Digest::of("x"));
    REQUIRE(exists.ok());
    CHECK_FALSE(*exists);
    auto f = t->fetch_blob(Digest::of("x"), [](const char*, std::size_t) { return Status{}; });
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().kind == ErrorKind::not_found);
    CHECK(f.error().message == "blob " + Digest::of("x").str() + " not found in oci:" + dir.string());
    auto mounted = t->mount_blob(Digest::of("x"), "other/repo");
    REQUIRE(mounted.ok());
    CHECK_FALSE(*mounted);
    CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("blobs are stored by digest, verified, and streamed back") {
    TempDir tmp;
    auto t = open(tmp.path() / "l");
    const std::string config = R"({"type":"ocx"})";

    SUBCASE("from memory; the first write creates the layout") {
        auto sent = t->upload_blob(bytes_blob(config));
        REQUIRE(sent.ok());
        CHECK(*sent == config.size());
        CHECK(slurp(tmp.path() / "l" / "oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
        CHECK(slurp(tmp.path() / "l" / "index.json") ==
              R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})");
        CHECK(slurp(tmp.path() / "l" / "blobs" / "sha256" / Digest::of(config).hex()) == config);
        CHECK(*t->blob_exists(Digest::of(config)));
        CHECK(fetch(*t, Digest::of(config)) == config);
        auto tags = t->list_tags();
        REQUIRE(tags.ok());
        REQUIRE(tags->has_value());
        CHECK((*tags)->empty());
    }
    SUBCASE("streamed from a file, fetched in chunks") {
        std::string big(3 << 20, 'q');
        big[12345] = 'r';
        fs::path src = tmp.path() / "layer.tar.xz";
        std::ofstream(src, std::ios::binary) << big;
        auto sent = t->upload_blob(store::BlobSource{Digest::of(big), big.size(), src, {}, {}, {}});
        REQUIRE(sent.ok());
        CHECK(*sent == big.size());
        int calls = 0;
        std::string back;
        auto s = t->fetch_blob(Digest::of(big), [&](const char* d, std::size_t n) {
            ++calls;
            back.append(d, n);
            return Status{};
        });
        REQUIRE(s.ok());
        CHECK(calls > 1);
        CHECK(back == big);
    }
    SUBCASE("a source that does not match its digest is refused and not stored") {
        store::BlobSource lie{Digest::of("something else"), config.size(), {}, config, {}, {}};
        auto sent = t->upload_blob(lie);
        REQUIRE_FALSE(sent.ok());
        CHECK(sent.error().kind == ErrorKind::data);
        CHECK(sent.error().message == "refusing blob " + Digest::of("something else").str() +
                                          ": bytes in memory holds 14 bytes with digest " + Digest::of(config).str() +
                                          ", expected 14 bytes");
        CHECK_FALSE(*t->blob_exists(Digest::of("something else")));
        CHECK(std::distance(fs::directory_iterator(tmp.path() / "l" / "blobs" / "sha256"), fs::directory_iterator()) == 0);
    }
    SUBCASE("a failing sink aborts the download with its error") {
        REQUIRE(t->upload_blob(bytes_blob(config)).ok());
        auto s = t->fetch_blob(Digest::of(config),
                               [](const char*, std::size_t) -> Status { return make_error(ErrorKind::io, "disk full"); });
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().message == "disk full");
    }
}

TEST_CASE("manifests by tag and by digest") {
    TempDir tmp;
    fs::path dir = tmp.path() / "l";
    auto t = open(dir);
    auto first = manifest_of(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})");
    auto index = manifest_of(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})",
                             oci::kImageIndex);

    REQUIRE(t->put_manifest("1.0.0", first).ok());
    CHECK(slurp(dir / "index.json") ==
          R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
          R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
              first.digest.str() + R"(","size":)" + std::to_string(first.bytes.size()) +
              R"(,"annotations":{"org.opencontainers.image.ref.name":"1.0.0"}}]})");

    SUBCASE("get by tag returns the stored document with the entry's media type") {
        auto got = t->get_manifest("1.0.0");
        REQUIRE(got.ok());
        REQUIRE(got->has_value());
        CHECK((*got)->bytes == first.bytes);
        CHECK((*got)->digest == first.digest);
        CHECK((*got)->media_type == oci::kImageManifest);
    }
    SUBCASE("get by digest sniffs the document's media type") {
        auto got = t->get_manifest(first.digest.str());
        REQUIRE(got.ok());
        REQUIRE(got->has_value());
        CHECK((*got)->bytes == first.bytes);
        CHECK((*got)->media_type == oci::kImageManifest);
    }
    SUBCASE("retagging replaces the entry; a second process sees it") {
        REQUIRE(t->put_manifest("latest", first).ok());
        REQUIRE(t->put_manifest("1.0.0", index).ok());
        auto other = open(dir);
        auto got = other->get_manifest("1.0.0");
        REQUIRE(got.ok());
        CHECK((*got)->digest == index.digest);
        CHECK((*got)->media_type == oci::kImageIndex);
        auto tags = other->list_tags();
        REQUIRE(tags.ok());
        CHECK(**tags == std::vector<std::string>{"1.0.0", "latest"});
    }
    SUBCASE("put by digest stores the blob only") {
        REQUIRE(t->put_manifest(index.digest.str(), index).ok());
        CHECK(*t->blob_exists(index.digest));
        CHECK(**t->list_tags() == std::vector<std::string>{"1.0.0"});
        auto got = t->get_manifest(index.digest.str());
        REQUIRE(got.ok());
        CHECK((*got)->media_type == oci::kImageIndex);
    }
    SUBCASE("refusals") {
        auto wrong_digest = t->put_manifest(Digest::of("x").str(), index);
        REQUIRE_FALSE(wrong_digest.ok());
        CHECK(wrong_digest.error().kind == ErrorKind::data);
        CHECK(wrong_digest.error().message ==
              "cannot store a manifest under " + Digest::of("x").str() + ": its bytes hash to " + index.digest.str());
        auto bad_tag = t->put_manifest("-x", index);
        REQUIRE_FALSE(bad_tag.ok());
        CHECK(bad_tag.error().message == "invalid tag \"-x\": expected [A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
        auto bad_digest = t->get_manifest("sha256:zz");
        REQUIRE_FALSE(bad_digest.ok());
        CHECK(bad_digest.error().kind == ErrorKind::data);
        store::Manifest lying = index;
        lying.digest = first.digest;
        auto lie = t->put_manifest("2.0", lying);
        REQUIRE_FALSE(lie.ok());
        CHECK(lie.error().message ==
              "manifest bytes hash to " + index.digest.str() + ", not to the stated " + first.digest.str());
        CHECK(**t->list_tags() == std::vector<std::string>{"1.0.0"});
    }
    SUBCASE("a corrupted or missing blob behind a tag is an error, not a silent answer") {
        fs::path blob = dir / "blobs" / "sha256" / first.digest.hex();
        SUBCASE("corrupt") {
            std::ofstream(blob, std::ios::binary | std::ios::trunc) << "tampered";
            auto got = t->get_manifest("1.0.0");
            REQUIRE_FALSE(got.ok());
            CHECK(got.error().message == "oci:" + dir.string() + ": blob " + first.digest.str() +
                                             " is corrupt: it holds 8 bytes with digest " + Digest::of("tampered").str());
        }
        SUBCASE("missing") {
            fs::remove(blob);
            auto got = t->get_manifest("1.0.0");
            REQUIRE_FALSE(got.ok());
            CHECK(got.error().message == "oci:" + dir.string() + ": tag \"1.0.0\" points at " + first.digest.str() +
                                             " but blobs/sha256/" + first.digest.hex() + " is missing");
        }
    }
}

TEST_CASE("open_layout accepts layouts and empty directories only") {
    TempDir tmp;
    SUBCASE("an empty directory") { CHECK(layout::open_layout(tmp.path()).ok()); }
    SUBCASE("a foreign index.json is kept when a tag is added") {
        std::ofstream(tmp.path() / "index.json") << R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:)"
                                                 << std::string(64, 'c') << R"(","size":1}]})";
        auto t = open(tmp.path());
        auto m = manifest_of("{}", oci::kImageIndex);
        REQUIRE(t->put_manifest("v1", m).ok());
        CHECK(slurp(tmp.path() / "index.json") ==
              R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
              R"({"mediaType":"x","digest":"sha256:)" +
                  std::string(64, 'c') +
                  R"(","size":1},)"
                  R"({"mediaType":"application/vnd.oci.image.index.v1+json","digest":")" +
                  m.digest.str() + R"(","size":2,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]})");
        CHECK(slurp(tmp.path() / "oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
    }
    SUBCASE("a directory with other things in it") {
        std::ofstream(tmp.path() / "README") << "hi";
        auto r = layout::open_layout(tmp.path());
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message == "oci:" + tmp.path().string() +
                                       ": the directory is not empty and is not an OCI image layout (no oci-layout "
                                       "or index.json); refusing to write into it");
    }
    SUBCASE("a file") {
        std::ofstream(tmp.path() / "f") << "hi";
        auto r = layout::open_layout(tmp.path() / "f");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == "oci:" + (tmp.path() / "f").string() + ": not a directory");
    }
    SUBCASE("a future layout version") {
        std::ofstream(tmp.path() / "oci-layout") << R"({"imageLayoutVersion":"2.0.0"})";
        auto r = layout::open_layout(tmp.path());
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == (tmp.path() / "oci-layout").string() +
                                       ":/imageLayoutVersion: unsupported image layout version \"2.0.0\" (expected 1.0.0)");
    }
}

TEST_CASE("concurrent writers do not lose each other's tags") {
    TempDir tmp;
    fs::path dir = tmp.path() / "l";
    constexpr int kWriters = 6;
    constexpr int kTagsEach = 8;
    std::vector<std::thread> threads;
    std::vector<std::string> failures(kWriters);
    for (int w = 0; w < kWriters; ++w) {
        threads.emplace_back([&, w] {
            // Each writer has its own target (its own lock descriptor), as separate processes would.
            auto t = layout::open_layout(dir);
            if (!t) {
                failures[static_cast<std::size_t>(w)] += t.error().message;
                return;
            }
            for (int i = 0; i < kTagsEach; ++i) {
                auto m = manifest_of("{\"w\":" + std::to_string(w) + ",\"i\":" + std::to_string(i) + "}");
                if (auto s = (*t)->put_manifest("w" + std::to_string(w) + "-" + std::to_string(i), m); !s) {
                    failures[static_cast<std::size_t>(w)] += s.error().message;
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(failures == std::vector<std::string>(kWriters));
    auto tags = open(dir)->list_tags();
    REQUIRE(tags.ok());
    REQUIRE(tags->has_value());
    CHECK((*tags)->size() == static_cast<std::size_t>(kWriters * kTagsEach));
}
