// Dependency identifiers in published metadata (docs/wire-format.md §4).

#include <doctest/doctest.h>

#include <string>

#include "metadata/identifier.hpp"

using namespace ocx;
using metadata::parse_dependency_identifier;

namespace {
const std::string kDigest = "sha256:" + std::string(64, 'c');

std::string error_of(const std::string& text) {
    auto r = parse_dependency_identifier(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::data);
    return r.error().message;
}
}  // namespace

TEST_CASE("dependency identifiers that parse") {
    SUBCASE("host, nested repository, tag and digest") {
        auto r = parse_dependency_identifier("registry.example/acme/tools/cmake:3.28.1@" + kDigest);
        REQUIRE(r.ok());
        CHECK(r->registry == "registry.example");
        CHECK(r->repository == "acme/tools/cmake");
        CHECK(r->tag == "3.28.1");
        CHECK(r->digest.str() == kDigest);
        CHECK(r->location() == "registry.example/acme/tools/cmake");
        CHECK(r->basename() == "cmake");
    }
    SUBCASE("port, no tag") {
        auto r = parse_dependency_identifier("127.0.0.1:5000/zlib@" + kDigest);
        REQUIRE(r.ok());
        CHECK(r->registry == "127.0.0.1:5000");
        CHECK(r->repository == "zlib");
        CHECK(r->tag.empty());
    }
    SUBCASE("localhost, IPv6 and OCI separators") {
        CHECK(parse_dependency_identifier("localhost/a@" + kDigest).ok());
        CHECK(parse_dependency_identifier("[::1]:5000/a@" + kDigest).ok());
        CHECK(parse_dependency_identifier("registry.example/a.b/c__d/e-f--g/h_i@" + kDigest).ok());
        CHECK(parse_dependency_identifier("registry.example/a:v1_2.3-rc@" + kDigest).ok());
    }
}

TEST_CASE("dependency identifiers that do not") {
    const std::string example = "registry.example/acme/cmake:3.28@sha256:<64 hex>";
    CHECK(error_of("") == "dependency \"\" is empty; write " + example);
    CHECK(error_of("registry.example/acme/cmake:3.28") ==
          "dependency \"registry.example/acme/cmake:3.28\" is not pinned: append @sha256:<digest of its platform "
          "manifest>, as in " +
              example);
    CHECK(error_of("cmake@" + kDigest) ==
          "dependency \"cmake@" + kDigest + "\" names no registry host; write it in full, as in " + example);
    CHECK(error_of("acme/cmake@" + kDigest) ==
          "dependency \"acme/cmake@" + kDigest + "\" names no registry host; write it in full, as in " + example);
    CHECK(error_of("registry.example/a@sha512:abc") ==
          "dependency \"registry.example/a@sha512:abc\" has an invalid digest \"sha512:abc\": expected sha256:<64 "
          "lowercase hex>");
    CHECK(error_of("-bad.example/a@" + kDigest) ==
          "dependency \"-bad.example/a@" + kDigest + "\" has an invalid registry host \"-bad.example\"");
    CHECK(error_of("registry.example:port/a@" + kDigest) ==
          "dependency \"registry.example:port/a@" + kDigest + "\" has an invalid registry host \"registry.example:port\"");
    CHECK(error_of("registry.example/a:-x@" + kDigest) ==
          "dependency \"registry.example/a:-x@" + kDigest + "\" has an invalid tag \"-x\"");
    CHECK(error_of("registry.example/@" + kDigest) ==
          "dependency \"registry.example/@" + kDigest + "\" names no repository");
    const std::string repo_hint = ": use lowercase letters and digits, separated by '.', '_', '__' or '-'";
    for (const char* repo : {"a//b", "a_", "a___b", "a.-b", "-a", "a b"}) {
        std::string text = std::string("registry.example/") + repo + "@" + kDigest;
        INFO(text);
        CHECK(error_of(text) == "dependency \"" + text + "\" has an invalid repository \"" + repo + "\"" + repo_hint);
    }
    std::string long_repo(250, 'a');
    CHECK(error_of("registry.example/" + long_repo + "@" + kDigest) ==
          "dependency \"registry.example/" + long_repo + "@" + kDigest + "\" is longer than 255 characters before the tag");
}
