// Published form of package metadata (docs/wire-format.md §4): byte-exact compact config blob, the
// pretty sidecar, and round trips.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "digest/digest.hpp"
#include "metadata/metadata.hpp"

using namespace ocx;
using metadata::EnvVar;

namespace {

// docs/wire-format.md §2, "Worked example": the metadata config blob and its digest (given fixture).
constexpr std::string_view kWorkedExample =
    R"({"type":"bundle","version":1,"env":[{"key":"PATH","type":"path","required":true,"value":"${installPath}/bin","visibility":"public"}],"binaries":["mytool"]})";
constexpr std::string_view kWorkedExampleDigest = "sha256:38dad47a725d619d3a09873831534512e612098fa84c1914c6fa5ac1bc873dd3";

metadata::Metadata worked_example_by_hand() {
    metadata::Metadata m;
    EnvVar path;
    path.key = "PATH";
    path.type = EnvVar::Type::path;
    path.required = true;
    path.value = "${installPath}/bin";
    path.visibility = EnvVar::Visibility::public_;
    m.env.push_back(path);
    m.binaries = std::vector<std::string>{"mytool"};
    return m;
}

metadata::Metadata full() {
    auto r = metadata::load(std::filesystem::path(OCX_TEST_DATA) / "metadata" / "full.json");
    REQUIRE(r.ok());
    return *r;
}

}  // namespace

TEST_CASE("metadata worked example: 155 bytes, digest as in the spec") {
    SUBCASE("built in code") {
        std::string blob = metadata::to_compact(worked_example_by_hand());
        CHECK(blob.size() == 155);
        CHECK(Digest::of(blob).str() == kWorkedExampleDigest);
        CHECK(blob == kWorkedExample);
    }
    SUBCASE("parsed from an authoring file with $schema, other key order and whitespace") {
        auto m = metadata::load(std::filesystem::path(OCX_TEST_DATA) / "metadata" / "mytool.json");
        REQUIRE(m.ok());
        CHECK(*m == worked_example_by_hand());
        CHECK(Digest::of(metadata::to_compact(*m)).str() == kWorkedExampleDigest);
    }
    SUBCASE("the published form reads back to itself") {
        auto m = metadata::parse(kWorkedExample, "blob");
        REQUIRE(m.ok());
        CHECK(metadata::to_compact(*m) == kWorkedExample);
    }
}

TEST_CASE("metadata pretty sidecar") {
    CHECK(metadata::to_pretty(worked_example_by_hand()) ==
          "{\n"
          "  \"type\": \"bundle\",\n"
          "  \"version\": 1,\n"
          "  \"env\": [\n"
          "    {\n"
          "      \"key\": \"PATH\",\n"
          "      \"type\": \"path\",\n"
          "      \"required\": true,\n"
          "      \"value\": \"${installPath}/bin\",\n"
          "      \"visibility\": \"public\"\n"
          "    }\n"
          "  ],\n"
          "  \"binaries\": [\n"
          "    \"mytool\"\n"
          "  ]\n"
          "}\n");
}

TEST_CASE("metadata full document: canonical order and round trips") {
    const metadata::Metadata m = full();
    const std::string h1(64, '1'), h2(64, '2');
    CHECK(
        metadata::to_compact(m) ==
        R"({"type":"bundle","version":1,"strip_components":1,"env":[)"
        R"({"key":"PATH","type":"path","required":true,"value":"${installPath}/bin","visibility":"public"},)"
        R"({"key":"MYTOOL_HOME","type":"constant","value":"${self.installPath}","visibility":"private"},)"
        R"({"key":"MYTOOL_PLUGINS","type":"list","separator":",","value":"${self.env.MYTOOL_HOME}/plugins","visibility":"interface"},)"
        R"({"key":"PYTHONHOME","type":"constant","value":"${deps.python.installPath}","visibility":"private"}],)"
        R"("dependencies":[{"identifier":"registry.example/acme/python:3.12@sha256:)" +
            h1 +
            R"(","visibility":"private"},)"
            R"({"identifier":"127.0.0.1:5000/acme/zlib@sha256:)" +
            h2 +
            R"(","visibility":"sealed","name":"libz"}],)"
            R"("entrypoints":{"lsp":{"command":"mytool-lsp","args":["--stdio","--root=${installPath}"]},"mytool":{}},)"
            R"("binaries":["mytool","mytool-lsp"],)"
            R"("integrations":{"com.example.ci":[1,true,null,"${deps.python.installPath:posix}"],)"
            R"("org.example.vscode":{"extensions":["acme.mytool"],"settings":{"mytool.path":"${installPath}/bin/mytool","weight":5E-1}}}})");

    SUBCASE("parse(to_compact(m)) == m") {
        auto back = metadata::parse(metadata::to_compact(m), "blob");
        REQUIRE(back.ok());
        CHECK(*back == m);
    }
    SUBCASE("parse(to_pretty(m)) == m, and both forms hold the same bytes once compacted") {
        auto back = metadata::parse(metadata::to_pretty(m), "sidecar");
        REQUIRE(back.ok());
        CHECK(*back == m);
        CHECK(metadata::to_compact(*back) == metadata::to_compact(m));
    }
    SUBCASE("the sidecar is indented and ends in a newline") {
        std::string pretty = metadata::to_pretty(m);
        CHECK(pretty.starts_with("{\n  \"type\": \"bundle\",\n  \"version\": 1,\n  \"strip_components\": 1,\n"));
        CHECK(pretty.ends_with("\n}\n"));
    }
}

TEST_CASE("metadata binaries: absent, empty and hand-built lists") {
    metadata::Metadata m;
    CHECK(metadata::to_compact(m) == R"({"type":"bundle","version":1})");
    m.binaries = std::vector<std::string>{};
    CHECK(metadata::to_compact(m) == R"({"type":"bundle","version":1,"binaries":[]})");
    auto back = metadata::parse(metadata::to_compact(m), "blob");
    REQUIRE(back.ok());
    REQUIRE(back->binaries.has_value());
    CHECK(back->binaries->empty());
    SUBCASE("a hand-built list comes out sorted and unique") {
        m.binaries = std::vector<std::string>{"b", "a", "b"};
        CHECK(metadata::to_compact(m) == R"({"type":"bundle","version":1,"binaries":["a","b"]})");
    }
}

TEST_CASE("metadata strings are escaped as JSON, non-ASCII kept as UTF-8") {
    metadata::Metadata m;
    EnvVar v;
    v.key = "GREETING";
    v.value = "say \"h\xc3\xa9llo\"\n\\";
    m.env.push_back(v);
    std::string blob = metadata::to_compact(m);
    CHECK(blob ==
          "{\"type\":\"bundle\",\"version\":1,\"env\":[{\"key\":\"GREETING\",\"type\":\"constant\","
          "\"value\":\"say \\\"h\xc3\xa9llo\\\"\\n\\\\\",\"visibility\":\"private\"}]}");
    auto back = metadata::parse(blob, "blob");
    REQUIRE(back.ok());
    CHECK(*back == m);
}
