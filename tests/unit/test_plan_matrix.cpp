#include <doctest/doctest.h>

#include <algorithm>

#include "plan/matrix.hpp"

using namespace ocx;
using namespace ocx::plan;

namespace {
struct Parsed {
    Matrix matrix;
    std::vector<std::string> problems;
};

Parsed parse(std::string_view text, MatrixOverrides o = {}) {
    json::Diagnostics diag;
    Parsed p;
    p.matrix = parse_matrix(text, "ci/release.json", o, diag);
    p.problems = diag.items();
    return p;
}

constexpr std::string_view kGood = R"({
  "schema": 1,
  "package": "reg.example/acme/mytool",
  "tag": "1.2.3",
  "cascade": true,
  "aliases": ["stable"],
  "metadata": "packaging/metadata.json",
  "annotations": {"org.opencontainers.image.source": "https://example.invalid/acme/mytool"},
  "compression": {"level": "best", "threads": 2},
  "output_dir": "dist/bundles",
  "platforms": [
    {"platform": "linux/amd64+libc.glibc", "content": "build/linux-amd64-gnu"},
    {"platform": "linux/amd64+libc.musl", "content": "build/linux-amd64-musl"},
    {"platform": "linux/arm64", "archive": "dist/mytool-1.2.3-linux-arm64.tar.xz"},
    {"platform": "darwin/arm64", "content": "build/darwin-arm64", "metadata": "packaging/metadata-darwin.json"}
  ]
})";
}  // namespace

TEST_CASE("a valid matrix becomes a typed plan") {
    auto p = parse(kGood);
    REQUIRE(p.problems.empty());
    const auto& m = p.matrix;
    CHECK(m.package.str() == "reg.example/acme/mytool");
    CHECK(m.tag == "1.2.3");
    CHECK(m.cascade);
    CHECK(m.canonical_tags);
    CHECK(m.aliases == std::vector<std::string>{"stable"});
    CHECK(m.level == bundle::Level::best);
    CHECK(m.threads == 2);
    CHECK(*m.output_dir == "ci/dist/bundles");
    REQUIRE(m.platforms.size() == 4);
    CHECK(*m.platforms[0].content == "ci/build/linux-amd64-gnu");
    CHECK(*m.platforms[0].metadata == "ci/packaging/metadata.json");
    CHECK(*m.platforms[3].metadata == "ci/packaging/metadata-darwin.json");
    // glibc and musl builds of one os/arch get their features in the name; the others do not.
    CHECK(m.platforms[0].bundle_stem == "mytool-1.2.3-linux-amd64-libc.glibc");
    CHECK(m.platforms[1].bundle_stem == "mytool-1.2.3-linux-amd64-libc.musl");
    CHECK(m.platforms[3].bundle_stem == "mytool-1.2.3-darwin-arm64");
    CHECK(find_platform(m, "linux/arm64") == &m.platforms[2]);
}

TEST_CASE("--tag overrides, '+' becomes '_', build timestamps are appended in UTC") {
    MatrixOverrides o;
    o.tag = "2.0.0+b7";
    auto p = parse(kGood, o);
    REQUIRE(p.problems.empty());
    CHECK(p.matrix.tag == "2.0.0_b7");

    std::string with_ts(kGood);
    with_ts.replace(with_ts.find("\"cascade\""), 0, "\"build_timestamp\": \"datetime\", ");
    MatrixOverrides at;
    at.now = std::chrono::system_clock::from_time_t(1700000000);  // 2023-11-14 22:13:20 UTC
    auto t = parse(with_ts, at);
    REQUIRE(t.problems.empty());
    CHECK(t.matrix.tag == "1.2.3_20231114221320");
}

TEST_CASE("reserved tags are refused as release tag and alias, judged as written") {
    std::string text(kGood);
    text.replace(text.find("\"cascade\": true"), 15, "\"cascade\": false");
    const std::string digest_tag = "sha256." + std::string(64, 'a');

    MatrixOverrides o;
    o.tag = "__ocx.desc";
    CHECK(parse(text, o).problems ==
          std::vector<std::string>{"--tag: tag \"__ocx.desc\" is reserved: tags starting \"__ocx\" (in any case) are "
                                   "OCX's own, such as the catalog description __ocx.desc"});

    std::string in_matrix = text;
    in_matrix.replace(in_matrix.find("\"1.2.3\""), 7, "\"" + digest_tag + "\"");
    CHECK(parse(in_matrix).problems ==
          std::vector<std::string>{"/tag: tag \"" + digest_tag +
                                   "\" is reserved: it has the form of a canonical digest tag (<algorithm>.<hex digest>), "
                                   "which names the manifest with that digest"});

    std::string alias = text;
    alias.replace(alias.find("\"stable\""), 8, "\"stable\", \"__OCX\"");
    CHECK(parse(alias).problems.size() == 1);
    CHECK(parse(alias).problems.at(0).rfind("/aliases/1: tag \"__OCX\" is reserved", 0) == 0);

    // The check is on the tag as written: with its build timestamp the digest look-alike is no
    // longer one (and an __ocx tag already holds a '_', which a timestamp refuses).
    in_matrix.replace(in_matrix.find("\"cascade\""), 0, "\"build_timestamp\": \"date\", ");
    MatrixOverrides at;
    at.now = std::chrono::system_clock::from_time_t(1700000000);
    auto stamped = parse(in_matrix, at);
    CHECK(stamped.problems.empty());
    CHECK(stamped.matrix.tag == digest_tag + "_20231114");
}

TEST_CASE("--package overrides the matrix's package, validated the same way") {
    MatrixOverrides o;
    o.package = "other.example/acme/tool";
    auto p = parse(kGood, o);
    REQUIRE(p.problems.empty());
    CHECK(p.matrix.package.repository_str() == "other.example/acme/tool");
    CHECK(p.matrix.platforms[0].bundle_stem == "tool-1.2.3-linux-amd64-libc.glibc");

    o.package = "other.example/acme/tool:1.0";
    CHECK(parse(kGood, o).problems ==
          std::vector<std::string>{
              "--package: give the repository only (\"other.example/acme/tool\"); the tag goes in --tag"});
    o.package = "oci:out/layout";  // relative to the working directory, not the matrix
    CHECK(parse(kGood, o).matrix.package.repository == "out/layout");

    // With --package, the matrix may leave "package" out.
    std::string without(kGood);
    without.erase(without.find("\"package\""), std::string_view("\"package\": \"reg.example/acme/mytool\",").size());
    CHECK(parse(without).problems == std::vector<std::string>{"/package: required key is missing"});
    o.package = "other.example/acme/tool";
    CHECK(parse(without, o).problems.empty());
}

TEST_CASE("replace: the matrix key or --replace") {
    CHECK_FALSE(parse(kGood).matrix.replace);
    std::string with_replace(kGood);
    with_replace.replace(with_replace.find("\"cascade\""), 0, "\"replace\": true, ");
    CHECK(parse(with_replace).matrix.replace);
    MatrixOverrides o;
    o.replace = true;
    CHECK(parse(kGood, o).matrix.replace);
    std::string wrong(kGood);
    wrong.replace(wrong.find("\"cascade\""), 0, "\"replace\": \"yes\", ");
    CHECK(parse(wrong).problems == std::vector<std::string>{"/replace: expected true or false, got string"});
}

TEST_CASE("cascade: a pre-release or other non-version tag is accepted, v1.2.3 is not") {
    for (const char* tag : {"1.4.0-rc.1", "1.4.0-rc1", "nightly"}) {
        MatrixOverrides o;
        o.tag = tag;
        CHECK(parse(kGood, o).problems.empty());
    }
    MatrixOverrides v;
    v.tag = "v1.4.0";
    CHECK(parse(kGood, v).problems ==
          std::vector<std::string>{"--tag: tag \"v1.4.0\" is not an OCX version (OCX versions have no \"v\"): use --tag "
                                   "1.4.0, or ${GITHUB_REF_NAME#v} in a GitHub workflow"});
}

TEST_CASE("the OCX metadata block form") {
    auto p = parse(R"({"schema":1,"package":"reg.example/t","tag":"1.0.0",
        "metadata":{"default":"m.json","platforms":{"darwin/arm64":"m-darwin.json"}},
        "platforms":[{"platform":"linux/amd64","content":"a"},{"platform":"darwin/arm64","content":"b"}]})");
    REQUIRE(p.problems.empty());
    CHECK(*p.matrix.platforms[0].metadata == "ci/m.json");
    CHECK(*p.matrix.platforms[1].metadata == "ci/m-darwin.json");
}

TEST_CASE("ten mistakes, all reported in one run with their JSON paths") {
    auto p = parse(R"({
      "schema": 2,
      "pakage": "reg.example/t",
      "tag": "v1.2.3",
      "cascade": true,
      "build_timestamp": "weekly",
      "aliases": ["ok", "bad tag"],
      "compression": {"level": "max"},
      "metadata": {"default": "m.json", "platforms": {"windows/amd64": "w.json"}},
      "platforms": [
        {"platform": "linux/x86", "content": "a"},
        {"platform": "linux/arm64", "content": "b", "archive": "c.tar.xz"},
        {"platform": "linux/arm64", "archive": "d.zip"},
        {"platfrom": "darwin/arm64", "content": "e"}
      ]
    })");
    const std::vector<std::string> expected{
        "/pakage: unknown key \"pakage\"; did you mean \"package\"?",
        "/schema: unsupported schema 2 (this tool reads 1)",
        "/package: required key is missing",
        "/build_timestamp: expected none, date or datetime, got \"weekly\"",
        "/tag: tag \"v1.2.3\" is not an OCX version (OCX versions have no \"v\"): use --tag 1.2.3, or "
        "${GITHUB_REF_NAME#v} in a GitHub workflow",
        "/aliases/1: invalid tag \"bad tag\": expected [A-Za-z0-9_][A-Za-z0-9._-]{0,127} ('+' is read as '_')",
        "/compression/level: expected fast, default or best, got \"max\"",
        "/platforms/0/platform: unknown platform \"linux/x86\" (did you mean \"linux/amd64\"?); supported: linux/amd64, "
        "linux/arm64, darwin/amd64, darwin/arm64, windows/amd64, windows/arm64, wasip1/wasm, wasip2/wasm, any",
        "/platforms/1: give either \"content\" or \"archive\", not both",
        "/platforms/2/platform: duplicate platform \"linux/arm64\" (also at /platforms/1)",
        "/platforms/2/archive: \"d.zip\" is not a supported archive (.tar.xz, .txz, .tar.gz, .tgz, .tar.zst, .tzst, "
        ".tar.zstd)",
        "/platforms/3/platfrom: unknown key \"platfrom\"; did you mean \"platform\"?",
        "/platforms/3/platform: required key is missing",
        "/metadata/platforms/windows~1amd64: metadata for \"windows/amd64\", which is not in /platforms",
    };
    CHECK(p.problems == expected);
}

TEST_CASE("structural problems") {
    CHECK(parse("[]").problems == std::vector<std::string>{"expected an object, got array"});
    CHECK(parse("{").problems.at(0).find("invalid JSON") != std::string::npos);
    auto p = parse(R"({"schema":1,"package":"reg.example/t:1.0","tag":"1","platforms":[]})");
    CHECK(p.problems ==
          std::vector<std::string>{"/package: give the repository only (\"reg.example/t\"); the tag goes in \"tag\"",
                                   "/platforms: expected a non-empty array of platforms"});
    auto dup = parse(R"({"schema":1,"package":"reg.example/t","tag":"1.0.0","aliases":["1.0.0","x","x"],
        "platforms":[{"platform":"any","content":"a"}]})");
    CHECK(dup.problems == std::vector<std::string>{"/aliases/0: alias \"1.0.0\" is the release tag itself",
                                                   "/aliases/2: duplicate alias \"x\""});
}

TEST_CASE("a layout package resolves against the matrix directory") {
    auto p =
        parse(R"({"schema":1,"package":"oci:out/layout","tag":"1.0.0","platforms":[{"platform":"any","content":"a"}]})");
    REQUIRE(p.problems.empty());
    CHECK(p.matrix.package.is_layout());
    CHECK(p.matrix.package.repository == "ci/out/layout");
    CHECK(p.matrix.platforms[0].bundle_stem == "layout-1.0.0-any");
}

TEST_CASE("a bad platform string still gets the top-level metadata (no spurious second problem)") {
    auto p = parse(R"({"schema":1,"package":"reg.example/t","tag":"1.0.0","metadata":"m.json",
        "platforms":[{"platform":"linux/x86","content":"a"}]})");
    REQUIRE(p.problems.size() == 1);
    CHECK(*p.matrix.platforms[0].metadata == "ci/m.json");
}

TEST_CASE("supply chain keys: top-level sbom and provenance, a platform's sbom true/false/file") {
    auto p = parse(R"({"schema": 1, "package": "reg.example/acme/t", "tag": "1.0.0", "metadata": "m.json",
      "sbom": true, "provenance": true,
      "platforms": [
        {"platform": "linux/amd64", "content": "a"},
        {"platform": "linux/arm64", "content": "b", "sbom": false},
        {"platform": "darwin/arm64", "content": "c", "sbom": "sboms/darwin.json"}
      ]})");
    REQUIRE(p.problems.empty());
    CHECK(p.matrix.provenance);
    REQUIRE(p.matrix.platforms.size() == 3);
    CHECK(p.matrix.platforms[0].sbom);
    CHECK_FALSE(p.matrix.platforms[0].sbom_file);
    CHECK_FALSE(p.matrix.platforms[1].sbom);
    CHECK(p.matrix.platforms[2].sbom);
    CHECK(p.matrix.platforms[2].sbom_file == std::filesystem::path("ci/sboms/darwin.json"));

    SUBCASE("wrong types are named by their path") {
        auto bad = parse(R"({"schema": 1, "package": "reg.example/acme/t", "tag": "1.0.0", "metadata": "m.json",
          "sbom": "x.json", "provenance": 1,
          "platforms": [{"platform": "linux/amd64", "content": "a", "sbom": 3}]})");
        CHECK(bad.problems ==
              std::vector<std::string>{"/sbom: expected true or false (a file is given per platform)",
                                       "/provenance: expected true or false",
                                       "/platforms/0/sbom: expected true, false or the path of an SBOM file"});
    }
}

TEST_CASE("parse_matrix: shared layers and the describe block") {
    auto ok = parse(R"({"schema": 1, "package": "reg.example/acme/mytool", "tag": "1.0.0",
      "shared_layers": {"share": {"content": "share", "strip": 1, "prefix": "share/doc"}},
      "describe": {"readme": "README.md", "keywords": ["cli", "build"]},
      "platforms": [{"platform": "linux/amd64", "content": "a", "layers": ["share"]},
                    {"platform": "linux/arm64", "content": "b"}]})");
    REQUIRE(ok.problems.empty());
    REQUIRE(ok.matrix.shared_layers.size() == 1);
    CHECK(ok.matrix.shared_layers[0].name == "share");
    CHECK(ok.matrix.shared_layers[0].content == std::filesystem::path("ci/share"));
    CHECK(ok.matrix.shared_layers[0].strip == 1u);
    CHECK(ok.matrix.shared_layers[0].prefix == "share/doc");
    REQUIRE(ok.matrix.platforms[0].layers.size() == 1);
    CHECK(ok.matrix.platforms[0].layers[0].kind == plan::PlatformLayer::Kind::shared);
    CHECK(ok.matrix.platforms[0].layers[0].shared == "share");
    CHECK(ok.matrix.platforms[1].layers.empty());
    REQUIRE(ok.matrix.describe);
    CHECK(ok.matrix.describe->readme == std::filesystem::path("ci/README.md"));
    CHECK(ok.matrix.describe->keywords == std::vector<std::string>{"cli", "build"});

    auto bad = parse(R"({"schema": 1, "package": "reg.example/acme/mytool", "tag": "1.0.0",
      "shared_layers": {"share": {"content": "share", "strip": 300, "prefix": "/abs"}},
      "describe": {"logo": "x.png", "keywords": ["a,b"]},
      "platforms": [{"platform": "linux/amd64", "content": "a", "layers": ["shar", 3]}]})");
    const std::vector<std::string> expected{
        "/shared_layers/share/strip: expected 0 to 255",
        "/shared_layers/share/prefix: \"/abs\" is not a relative path of lowercase letters, digits, '.', '_', '-' and '/'",
        "/describe/readme: required key is missing",
        "/describe/keywords/0: expected a non-empty keyword without ','",
        "/platforms/0/layers/0: \"shar\" is neither a shared layer (/shared_layers) nor a layer archive (.tar.xz, "
        ".txz, .tar.gz, .tgz, .tar.zst, .tzst, .tar.zstd) or digest reference (sha256:<hex>.tar.xz)",
        "/platforms/0/layers/1: expected a shared layer name, an archive, a digest reference or {\"content\": DIR}"};
    for (const auto& e : expected)
        CHECK_MESSAGE(std::find(bad.problems.begin(), bad.problems.end(), e) != bad.problems.end(), e);
}

TEST_CASE("parse_matrix: a platform's layers: shared names, archives, digest references and trees, in order") {
    const std::string hex(64, 'a');
    auto ok = parse(R"({"schema": 1, "package": "reg.example/acme/mytool", "tag": "1.0.0",
      "shared_layers": {"share": {"content": "share"}},
      "platforms": [{"platform": "linux/amd64", "content": "a", "layers": [
        "share", "base.tar.gz:strip=1,prefix=opt", "sha256:)" +
                    hex + R"(.tar.xz:from=acme/base",
        {"content": "extra", "prefix": "share/x"}, {"archive": "/abs/b.tar.zst", "strip": 2}, "./share"]}]})");
    // "./share" names no shared layer ("./" makes it a file), and no archive either.
    REQUIRE(ok.problems.size() == 1);
    CHECK(ok.problems[0] ==
          "/platforms/0/layers/5: \"./share\" is neither a shared layer (/shared_layers) nor a layer archive (.tar.xz, "
          ".txz, .tar.gz, .tgz, .tar.zst, .tzst, .tar.zstd) or digest reference (sha256:<hex>.tar.xz)");
    const auto& layers = ok.matrix.platforms[0].layers;
    REQUIRE(layers.size() == 5);
    using Kind = plan::PlatformLayer::Kind;
    CHECK(layers[0].kind == Kind::shared);
    CHECK(layers[1].kind == Kind::reference);
    CHECK(layers[1].ref.kind == oci::LayerRef::Kind::file);
    CHECK(layers[1].ref.path == std::filesystem::path("ci/base.tar.gz"));  // relative to the matrix
    CHECK(layers[1].ref.media_type == "application/vnd.oci.image.layer.v1.tar+gzip");
    CHECK(layers[1].ref.strip == 1u);
    CHECK(layers[1].ref.prefix == "opt");
    CHECK(layers[2].ref.kind == oci::LayerRef::Kind::digest);
    CHECK(layers[2].ref.digest.str() == "sha256:" + hex);
    CHECK(layers[2].ref.from == "acme/base");
    CHECK(layers[3].kind == Kind::content);
    CHECK(layers[3].content == std::filesystem::path("ci/extra"));
    CHECK(layers[3].ref.prefix == "share/x");
    CHECK(layers[3].index == 3);
    CHECK(layers[3].json_path == "/platforms/0/layers/3");
    CHECK(layers[4].ref.kind == oci::LayerRef::Kind::file);
    CHECK(layers[4].ref.path == std::filesystem::path("/abs/b.tar.zst"));
    CHECK(layers[4].ref.strip == 2u);

    auto bad = parse(R"({"schema": 1, "package": "reg.example/acme/mytool", "tag": "1.0.0",
      "platforms": [{"platform": "linux/amd64", "content": "a", "layers": [
        "sha256:)" + hex +
                     R"(", {"content": "x", "archive": "y.tar.xz"}, {"archive": "y.zip"},
        {"content": "d", "strip": 300, "mode": 1}, "x.tar.xz:strip=1", "x.tar.xz:strip=1", "x.tar.xz:depth=1"]}]})");
    const std::vector<std::string> expected{
        "/platforms/0/layers/0: layer \"sha256:" + hex +
            "\": a bare layer digest; append the archive extension to declare the media type (.tar.xz, .txz, .tar.gz, "
            ".tgz, .tar.zst, .tzst, .tar.zstd), e.g. \"sha256:" +
            hex + ".tar.xz\"",
        "/platforms/0/layers/1: give one of \"content\" (a directory to bundle) or \"archive\" (a prebuilt archive)",
        "/platforms/0/layers/2/archive: \"y.zip\" is not a supported archive (.tar.xz, .txz, .tar.gz, .tgz, .tar.zst, "
        ".tzst, .tar.zstd)",
        "/platforms/0/layers/3/strip: expected 0 to 255",
        "/platforms/0/layers/5: listed twice in this platform's layers",
        "/platforms/0/layers/6: layer \"x.tar.xz:depth=1\": unknown key \"depth\" in the tail (keys: strip, prefix, from)"};
    for (const auto& e : expected)
        CHECK_MESSAGE(std::find(bad.problems.begin(), bad.problems.end(), e) != bad.problems.end(), e);
    CHECK(std::any_of(bad.problems.begin(), bad.problems.end(), [](const std::string& p) {
        return p.starts_with("/platforms/0/layers/3/mode: unknown key \"mode\"");
    }));
}

TEST_CASE("parse_matrix: a shared layer's bundle may not take a platform's bundle name") {
    auto bad = parse(R"({"schema": 1, "package": "reg.example/acme/mytool", "tag": "1.0.0",
      "shared_layers": {"linux-amd64": {"content": "share"}, "linux-arm64-layer0": {"content": "share"}},
      "platforms": [{"platform": "linux/amd64", "content": "a", "layers": ["linux-amd64"]},
                    {"platform": "linux/arm64", "content": "b", "layers": [{"content": "c"}]}]})");
    const std::vector<std::string> expected{
        "/shared_layers/linux-amd64: its bundle mytool-1.0.0-linux-amd64.tar.xz would be the name of a bundle of "
        "/platforms/0; choose another name",
        "/shared_layers/linux-arm64-layer0: its bundle mytool-1.0.0-linux-arm64-layer0.tar.xz would be the name of a "
        "bundle of /platforms/1; choose another name"};
    CHECK(bad.problems == expected);
}
