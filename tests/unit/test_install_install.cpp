#include <doctest/doctest.h>

#include "bundle/bundle.hpp"
#include "fake_target.hpp"
#include "install/install.hpp"
#include "oci/media_types.hpp"
#include "publish/push.hpp"
#include "test_bundle_support.hpp"

using namespace ocx;
using namespace ocx::install;
using ocx::bundle::test::read_file;
using ocx::bundle::test::run;
using ocx::bundle::test::shell_quote;
using ocx::bundle::test::TempDir;
using ocx::bundle::test::write_file;
namespace fs = std::filesystem;

namespace {

// A fake registry that also counts blob downloads per digest.
struct CountingTarget : testing::FakeTarget {
    std::map<std::string, int> fetches;
    Status fetch_blob(const Digest& d, const store::ByteSink& sink) override {
        ++fetches[d.str()];
        return FakeTarget::fetch_blob(d, sink);
    }
};

constexpr const char* kMetadata =
    R"({"type":"bundle","version":1,"env":[{"key":"PATH","type":"path","required":true,"value":"${installPath}/bin","visibility":"public"}],"binaries":["tool"]})";

// A deterministic bundle of `tree` (made by `create`'s own pipeline).
publish::Layer bundle_of(const TempDir& tmp, const std::string& name, const std::map<std::string, std::string>& files) {
    for (const auto& [path, content] : files) write_file(tmp / ("src-" + name) / path, content, 0755);
    bundle::BundleOptions o;
    o.source = tmp / ("src-" + name);
    o.output = tmp / (name + ".tar.xz");
    REQUIRE(bundle::create(o).ok());
    auto layer = publish::layer_from_archive(o.output);
    REQUIRE(layer.ok());
    return *layer;
}

void push(testing::FakeTarget& t, const std::string& platform, std::vector<publish::Layer> layers,
          const std::string& config = kMetadata, const std::string& tag = "1.0.0") {
    publish::PlatformContent c;
    c.platform = *oci::Platform::parse(platform);
    c.layers = std::move(layers);
    c.config = config;
    publish::PushOptions o;
    o.tag = tag;
    o.canonical_tag = false;
    auto rep = publish::push_platform(t, "fake/repo", c, o);
    REQUIRE(rep.status == report::Status::published);
}

oci::Platform platform(const std::string& text) { return *oci::Platform::parse(text); }

// One line per path; modes normalized as bundles store them and printed in decimal
// (d493 = directory 0755, f493 = executable file 0755, f420 = file 0644).
std::string tree(const fs::path& root) {
    std::string out;
    for (const auto& [name, what] : bundle::test::describe(root, true)) out += name + " " + what + "\n";
    return out;
}

}  // namespace

TEST_CASE("install: picks the platform and downloads only its blobs") {
    TempDir tmp;
    CountingTarget t;
    auto amd = bundle_of(tmp, "amd", {{"bin/tool", "amd64 build\n"}});
    auto arm = bundle_of(tmp, "arm", {{"bin/tool", "arm64 build\n"}});
    push(t, "linux/amd64", {amd});
    push(t, "linux/arm64", {arm});

    auto resolved = resolve(t, "1.0.0", platform("linux/arm64+libc.glibc"));
    REQUIRE(resolved.ok());
    REQUIRE(resolved->platform);
    CHECK(resolved->platform->str() == "linux/arm64");
    t.fetches.clear();
    auto installed = install::install(t, *resolved, tmp / "out", Overwrite::refuse);
    REQUIRE(installed.ok());
    CHECK(tree(tmp / "out") == "content d493\ncontent/bin d493\ncontent/bin/tool f493:arm64 build\n\nmetadata.json f420:" +
                                   std::string(kMetadata) + "\n");
    CHECK(read_file(metadata_file(tmp / "out")) == kMetadata);
    CHECK(installed->config_bytes == kMetadata);
    CHECK(installed->layers == 1);
    CHECK(installed->metadata.binaries == std::vector<std::string>{"tool"});
    // The config and the arm64 layer, once each; nothing of amd64.
    CHECK(t.fetches == std::map<std::string, int>{{Digest::of(kMetadata).str(), 1}, {arm.digest.str(), 1}});
    CHECK(t.fetches.count(amd.digest.str()) == 0);
}

TEST_CASE("install: digests and sizes are checked and a failure leaves nothing") {
    TempDir tmp;
    CountingTarget t;
    auto amd = bundle_of(tmp, "amd", {{"bin/tool", "amd64 build\n"}});
    push(t, "linux/amd64", {amd});
    auto resolved = resolve(t, "1.0.0", platform("linux/amd64"));
    REQUIRE(resolved.ok());

    SUBCASE("a layer whose bytes changed") {
        std::string& bytes = t.blobs[amd.digest.str()];
        bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x20);
        auto r = install::install(t, *resolved, tmp / "out", Overwrite::refuse);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message == "layer 1 (sha256:" + amd.digest.hex().substr(0, 12) + "): expected " + amd.digest.str() +
                                       " (" + std::to_string(amd.size) + " bytes), got " + Digest::of(bytes).str() + " (" +
                                       std::to_string(amd.size) + " bytes)");
        CHECK_FALSE(fs::exists(tmp / "out"));
    }
    SUBCASE("a layer longer than its descriptor: the download stops") {
        t.blobs[amd.digest.str()] += "trailing";
        fs::create_directories(tmp / "out");
        auto r = install::install(t, *resolved, tmp / "out", Overwrite::refuse);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message == "layer 1 (sha256:" + amd.digest.hex().substr(0, 12) + "): more than the " +
                                       std::to_string(amd.size) + " bytes its descriptor declares");
        CHECK(fs::is_empty(tmp / "out"));  // it existed before: left, but empty
    }
    SUBCASE("a config whose bytes changed") {
        t.blobs[Digest::of(kMetadata).str()][0] = '[';
        auto r = install::install(t, *resolved, tmp / "out", Overwrite::refuse);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message.starts_with("config " + Digest::of(kMetadata).str() + ": expected "));
        CHECK_FALSE(fs::exists(tmp / "out"));
    }
    SUBCASE("a missing blob") {
        t.blobs.erase(amd.digest.str());
        auto r = install::install(t, *resolved, tmp / "out", Overwrite::refuse);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::not_found);
        CHECK(r.error().message == "layer 1 (sha256:" + amd.digest.hex().substr(0, 12) + "): blob " + amd.digest.str());
        CHECK_FALSE(fs::exists(tmp / "out"));
    }
    SUBCASE("an index entry whose size is not the manifest's") {
        Resolved wrong = *resolved;
        wrong.size = *wrong.size + 1;
        auto r = install::install(t, wrong, tmp / "out", Overwrite::refuse);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message.starts_with("manifest " + resolved->digest.str() + ": expected "));
    }
}

TEST_CASE("install: an unsafe archive is refused and nothing is left") {
    TempDir tmp;
    testing::FakeTarget t;
    REQUIRE(run("python3 -c \"import io, sys, tarfile\n"
                "t = tarfile.open(sys.argv[1], 'w:xz')\n"
                "i = tarfile.TarInfo('bin/tool'); i.size = 2; t.addfile(i, io.BytesIO(b'ok'))\n"
                "i = tarfile.TarInfo('../escaped'); i.size = 4; t.addfile(i, io.BytesIO(b'evil'))\n"
                "t.close()\" " +
                shell_quote(tmp / "evil.tar.xz")) == 0);
    // push refuses such an archive (bundle/check.hpp); build the layer by hand, as a hostile
    // publisher with another tool would.
    auto refused = publish::layer_from_archive(tmp / "evil.tar.xz");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("\"../escaped\": path contains \"..\" (it would leave the package)") !=
          std::string::npos);
    auto digest = digest_file(tmp / "evil.tar.xz");
    REQUIRE(digest.ok());
    std::optional<publish::Layer> layer = publish::Layer{tmp / "evil.tar.xz",
                                                         digest->digest,
                                                         digest->size,
                                                         std::string(oci::kLayerTarXz),
                                                         {},
                                                         publish::Layer::Origin::file,
                                                         {},
                                                         {}};
    push(t, "linux/amd64", {*layer});
    auto resolved = resolve(t, "1.0.0", platform("linux/amd64"));
    REQUIRE(resolved.ok());
    fs::create_directories(tmp / "pkg" / "out");
    auto r = install::install(t, *resolved, tmp / "pkg" / "out", Overwrite::refuse);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::data);
    CHECK(r.error().message == "layer 1 (sha256:" + layer->digest.hex().substr(0, 12) +
                                   "): \"../escaped\": path contains \"..\" (it would leave the package)");
    CHECK(fs::is_empty(tmp / "pkg" / "out"));
    CHECK_FALSE(fs::exists(tmp / "pkg" / "escaped"));
}

TEST_CASE("install: a non-empty directory needs --force, which replaces content and metadata only") {
    TempDir tmp;
    testing::FakeTarget t;
    push(t, "linux/amd64", {bundle_of(tmp, "one", {{"bin/tool", "one\n"}, {"bin/old", "old\n"}})}, kMetadata, "1");
    push(t, "linux/amd64", {bundle_of(tmp, "two", {{"bin/tool", "two\n"}})}, kMetadata, "2");
    auto one = resolve(t, "1", platform("linux/amd64"));
    auto two = resolve(t, "2", platform("linux/amd64"));
    REQUIRE(one.ok());
    REQUIRE(two.ok());
    REQUIRE(install::install(t, *one, tmp / "out", Overwrite::refuse).ok());
    write_file(tmp / "out" / "notes.txt", "mine", 0644);

    auto refused = install::install(t, *two, tmp / "out", Overwrite::refuse);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::usage);
    CHECK(refused.error().message == (tmp / "out").string() + ": not empty (pass --force to replace an installed package)");
    CHECK(read_file(tmp / "out/content/bin/tool") == "one\n");

    REQUIRE(install::install(t, *two, tmp / "out", Overwrite::replace).ok());
    CHECK(tree(tmp / "out") == "content d493\ncontent/bin d493\ncontent/bin/tool f493:two\n\nmetadata.json f420:" +
                                   std::string(kMetadata) + "\nnotes.txt f420:mine\n");

    write_file(tmp / "file", "x", 0644);
    auto not_dir = install::install(t, *two, tmp / "file", Overwrite::replace);
    REQUIRE_FALSE(not_dir.ok());
    CHECK(not_dir.error().message == (tmp / "file").string() + ": exists and is not a directory");
}

TEST_CASE("install: layer placement from annotations, else the metadata's strip_components") {
    TempDir tmp;
    testing::FakeTarget t;
    auto wrapped = bundle_of(tmp, "wrapped", {{"mytool-1.0/bin/tool", "wrapped\n"}});
    const std::string strip_meta = R"({"type":"bundle","version":1,"strip_components":1})";
    SUBCASE("metadata strip_components") {
        push(t, "linux/amd64", {wrapped}, strip_meta);
        auto r = install::install(t, *resolve(t, "1.0.0", platform("linux/amd64")), tmp / "out", Overwrite::refuse);
        REQUIRE(r.ok());
        CHECK(read_file(tmp / "out/content/bin/tool") == "wrapped\n");
    }
    SUBCASE("annotations win over the metadata") {
        auto annotated = wrapped;
        annotated.annotations[std::string(oci::kAnnotationStripComponents)] = "2";
        annotated.annotations[std::string(oci::kAnnotationPrefix)] = "libexec";
        push(t, "linux/amd64", {annotated}, strip_meta);
        auto r = install::install(t, *resolve(t, "1.0.0", platform("linux/amd64")), tmp / "out", Overwrite::refuse);
        REQUIRE(r.ok());
        CHECK(read_file(tmp / "out/content/libexec/tool") == "wrapped\n");
    }
    SUBCASE("an annotation that is not a number") {
        auto annotated = wrapped;
        annotated.annotations[std::string(oci::kAnnotationStripComponents)] = "one";
        push(t, "linux/amd64", {annotated});
        auto r = install::install(t, *resolve(t, "1.0.0", platform("linux/amd64")), tmp / "out", Overwrite::refuse);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message == "layer 1 (sha256:" + wrapped.digest.hex().substr(0, 12) +
                                       "): annotation sh.ocx.layer.strip-components \"one\" is not a number from 0 to 255");
    }
}

TEST_CASE("resolve: tags, digests, plain manifests and what is not a package") {
    TempDir tmp;
    testing::FakeTarget t;
    auto layer = bundle_of(tmp, "amd", {{"bin/tool", "x"}});
    push(t, "linux/amd64", {layer});
    auto by_tag = resolve(t, "1.0.0", platform("linux/amd64"));
    REQUIRE(by_tag.ok());

    SUBCASE("a missing tag") {
        auto r = resolve(t, "9.9.9", platform("linux/amd64"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::not_found);
        CHECK(r.error().message == "fake/repo:9.9.9: not found");
    }
    SUBCASE("no entry for the platform names the reference") {
        auto r = resolve(t, "1.0.0", platform("darwin/arm64"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == "fake/repo:1.0.0: no manifest for darwin/arm64 in the index; it has only linux/amd64");
    }
    SUBCASE("a manifest digest is taken as it is, whatever the platform") {
        auto r = resolve(t, by_tag->digest.str(), platform("darwin/arm64"));
        REQUIRE(r.ok());
        CHECK(r->digest == by_tag->digest);
        CHECK_FALSE(r->platform);
    }
    SUBCASE("a plain manifest at a tag") {
        t.tags["plain"] = by_tag->digest.str();
        auto r = resolve(t, "plain", platform("linux/arm64"));
        REQUIRE(r.ok());
        CHECK(r->digest == by_tag->digest);
        REQUIRE(install::install(t, *r, tmp / "out", Overwrite::refuse).ok());
    }
    SUBCASE("a container image is not an OCX package") {
        const std::string config = R"({"architecture":"amd64","os":"linux"})";
        t.blobs[Digest::of(config).str()] = config;
        const std::string manifest =
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
            Digest::of(config).str() + R"(","size":)" + std::to_string(config.size()) + R"(},"layers":[]})";
        REQUIRE(
            t.put_manifest("image", store::Manifest{std::string(oci::kImageManifest), manifest, Digest::of(manifest)}).ok());
        auto r = resolve(t, "image", platform("linux/amd64"));
        REQUIRE(r.ok());
        auto i = install::install(t, *r, tmp / "out", Overwrite::refuse);
        REQUIRE_FALSE(i.ok());
        CHECK(i.error().kind == ErrorKind::data);
        CHECK(i.error().message ==
              "manifest " + Digest::of(manifest).str() +
                  ": not an OCX package (config media type \"application/vnd.oci.image.config.v1+json\", "
                  "expected \"application/vnd.sh.ocx.package.v1+json\")");
        CHECK_FALSE(fs::exists(tmp / "out"));
    }
}

TEST_CASE("load_installed: only a directory with metadata.json is an installed package") {
    TempDir tmp;
    auto r = load_installed(tmp.path());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::not_found);
    CHECK(r.error().message ==
          tmp.path().string() + ": not an installed package (no metadata.json; see `ocx-release install`)");
    write_file(tmp / "metadata.json", kMetadata, 0644);
    auto ok = load_installed(tmp.path());
    REQUIRE(ok.ok());
    CHECK(ok->env.size() == 1);
}
