#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "oci/reference.hpp"

using namespace ocx;
using namespace ocx::oci;

TEST_CASE("registry references") {
    auto r = Reference::parse("ghcr.example/acme/mytool:1.2.3", nullptr);
    REQUIRE(r.ok());
    CHECK(r->registry == "ghcr.example");
    CHECK(r->repository == "acme/mytool");
    CHECK(r->tag == "1.2.3");
    CHECK(r->str() == "ghcr.example/acme/mytool:1.2.3");

    auto port = Reference::parse("127.0.0.1:5000/tool:1.0.0_20240101", nullptr);
    REQUIRE(port.ok());
    CHECK(port->registry == "127.0.0.1:5000");
    CHECK(port->repository == "tool");

    auto plus = Reference::parse("localhost/a/b:1.2.3+build1", nullptr);
    REQUIRE(plus.ok());
    CHECK(plus->tag == "1.2.3_build1");

    std::string d = "sha256:" + std::string(64, 'e');
    auto dig = Reference::parse("reg.example/x@" + d, nullptr);
    REQUIRE(dig.ok());
    CHECK(dig->tag.empty());
    CHECK(dig->digest->str() == d);
    CHECK(dig->str() == "reg.example/x@" + d);
    CHECK(dig->with_tag("latest").str() == "reg.example/x:latest");
}

TEST_CASE("default registry") {
    auto r = Reference::parse("mytool:1.0.0", "127.0.0.1:5000");
    REQUIRE(r.ok());
    CHECK(r->str() == "127.0.0.1:5000/mytool:1.0.0");
    auto missing = Reference::parse("mytool:1.0.0", nullptr);
    REQUIRE_FALSE(missing.ok());
    CHECK(
        missing.error().message ==
        "invalid reference \"mytool:1.0.0\": no registry host; write REGISTRY/REPOSITORY[:TAG] or set OCX_DEFAULT_REGISTRY");
    auto name = Reference::parse_name("mytool:1.0.0", nullptr);
    REQUIRE(name.ok());
    CHECK(name->registry.empty());
    CHECK(name->str() == "mytool:1.0.0");
    // "acme/tool": "acme" has no dot or port, so it is a path, not a host.
    CHECK(Reference::parse("acme/tool:1", "reg.example")->repository == "acme/tool");
}

TEST_CASE("layout references") {
    auto r = Reference::parse("oci:/tmp/out:1.0.0", nullptr);
    REQUIRE(r.ok());
    CHECK(r->is_layout());
    CHECK(r->repository == "/tmp/out");
    CHECK(r->tag == "1.0.0");
    auto notag = Reference::parse("oci:./dir", nullptr);
    REQUIRE(notag.ok());
    CHECK(notag->repository == "./dir");
    CHECK(notag->tag.empty());
    CHECK(Reference::parse("oci:", nullptr).error().message == "invalid reference \"oci:\": no directory after \"oci:\"");
    const std::string hex(64, 'a');
    auto by_digest = Reference::parse("oci:/tmp/out@sha256:" + hex, nullptr);
    REQUIRE(by_digest.ok());
    CHECK(by_digest->repository == "/tmp/out");
    CHECK(by_digest->tag.empty());
    REQUIRE(by_digest->digest.has_value());
    CHECK(by_digest->digest->hex() == hex);
    CHECK(by_digest->str() == "oci:/tmp/out@sha256:" + hex);
    // An '@' that does not start a digest is part of the directory name.
    auto at_dir = Reference::parse("oci:/tmp/a@b:1.0", nullptr);
    REQUIRE(at_dir.ok());
    CHECK(at_dir->repository == "/tmp/a@b");
    CHECK(at_dir->tag == "1.0");
    CHECK_FALSE(at_dir->digest.has_value());
}

TEST_CASE("reference rejections") {
    auto msg = [](std::string_view s) { return Reference::parse(s, nullptr).error().message; };
    CHECK(msg("reg.example/Acme/tool:1") ==
          "invalid reference \"reg.example/Acme/tool:1\": invalid repository name \"Acme/tool\": lowercase letters, "
          "digits and separators (. _ __ -) between path components");
    CHECK(msg("reg.example/tool:-x") ==
          "invalid reference \"reg.example/tool:-x\": invalid tag \"-x\": expected [A-Za-z0-9_][A-Za-z0-9._-]{0,127} ('+' "
          "is read as '_')");
    CHECK(msg("reg.example/tool@sha256:12") ==
          "invalid reference \"reg.example/tool@sha256:12\": invalid digest \"sha256:12\": expected 64 lowercase hex digits "
          "after sha256:");
    CHECK_FALSE(Reference::parse("reg.example/a..b:1", nullptr).ok());
    CHECK_FALSE(Reference::parse("reg.example/a-:1", nullptr).ok());
    CHECK_FALSE(Reference::parse("reg.example/:1", nullptr).ok());
    CHECK_FALSE(Reference::parse("reg.example:99999999/a:1", nullptr).ok());
    CHECK(Reference::parse("reg.example/a__b/c-d--e.f:1", nullptr).ok());
}

TEST_CASE("tags") {
    CHECK(*normalize_tag("1.2.3+b") == "1.2.3_b");
    CHECK_FALSE(normalize_tag(std::string(129, 'a')).ok());
    CHECK(normalize_tag(std::string(128, 'a')).ok());
    CHECK_FALSE(normalize_tag(".x").ok());
}

TEST_CASE("reserved tags: OCX's verdict table") {
    const auto file = std::filesystem::path(OCX_TEST_DATA) / "oci" / "tag_verdicts.json";
    std::ifstream in(file);
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    const boost::json::value doc = boost::json::parse(text.str());
    const auto& cases = doc.at("cases").as_array();
    REQUIRE(cases.size() >= 17);
    for (const auto& c : cases) {
        const std::string tag(c.at("tag").as_string());
        const bool reserved = c.at("reserved").as_bool();
        CAPTURE(tag);
        CHECK(!reserved_tag_reason(tag).empty() == reserved);
        CHECK(check_not_reserved(tag).ok() == !reserved);
    }
}

TEST_CASE("reserved tags: referrers and signature tags, and the error") {
    const std::string hex64(64, 'a');
    const std::vector<std::string> reserved{"sha256-" + hex64, "sha256-" + hex64 + ".sig", "sha256-" + hex64 + ".att",
                                            "sha256." + std::string(64, 'F'), "__Ocx_internal"};
    for (const std::string& tag : reserved) {
        CAPTURE(tag);
        CHECK_FALSE(reserved_tag_reason(tag).empty());
    }
    const std::vector<std::string> allowed{"sha256-" + hex64.substr(1),
                                           "sha256-" + hex64 + ".sbom",
                                           "sha256-" + hex64 + "x",
                                           "sha256-" + hex64 + ".sig.sig",
                                           "sha256_" + hex64,
                                           "sha1." + std::string(40, 'a'),
                                           "_ocx",
                                           "ocx.desc",
                                           "sha256." + hex64 + "_20260101"};
    for (const std::string& tag : allowed) {
        CAPTURE(tag);
        CHECK(reserved_tag_reason(tag).empty());
    }
    const Status s = check_not_reserved("__ocx.desc");
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == ErrorKind::data);
    CHECK(s.error().message ==
          "tag \"__ocx.desc\" is reserved: tags starting \"__ocx\" (in any case) are OCX's own, such as the catalog "
          "description __ocx.desc");
}

TEST_CASE("loopback hosts") {
    CHECK(is_loopback_host("localhost"));
    CHECK(is_loopback_host("localhost:5000"));
    CHECK(is_loopback_host("127.0.0.1:5000"));
    CHECK(is_loopback_host("127.1.2.3"));
    CHECK(is_loopback_host("[::1]:5000"));
    CHECK_FALSE(is_loopback_host("127.example"));
    CHECK_FALSE(is_loopback_host("10.0.0.1:5000"));
    CHECK_FALSE(is_loopback_host("localhost.example"));
}
