#include <doctest/doctest.h>

#include "metadata/pins.hpp"

using namespace ocx;
using namespace ocx::metadata;

TEST_CASE("pins: find tag-only identifiers and write them pinned") {
    const std::string digest = "sha256:" + std::string(64, 'c');
    const std::string text = R"({"type":"bundle","version":1,"dependencies":[)"
                             R"({"identifier":"registry.example/acme/lib:1.2"},)"
                             R"({"identifier":"registry.example/acme/other:2@)" +
                             digest + R"("}]})";
    const auto ids = dependency_identifiers(text);
    CHECK(ids.unpinned == std::vector<std::string>{"registry.example/acme/lib:1.2"});
    CHECK(ids.pinned.size() == 1);

    const std::string pinned =
        with_pins(text, {{"registry.example/acme/lib:1.2", "registry.example/acme/lib:1.2@" + digest}});
    CHECK(dependency_identifiers(pinned).unpinned.empty());
    CHECK(pinned.find("\"registry.example/acme/lib:1.2@" + digest + "\"") != std::string::npos);

    auto id = parse_unpinned_identifier("127.0.0.1:5000/acme/lib:1.2");
    REQUIRE(id);
    CHECK(id->location() == "127.0.0.1:5000/acme/lib");
    CHECK(id->tag == "1.2");
    auto no_tag = parse_unpinned_identifier("registry.example/acme/lib");
    REQUIRE_FALSE(no_tag);
    CHECK(no_tag.error().message.find("names no tag") != std::string::npos);
    auto no_host = parse_unpinned_identifier("acme/lib:1");
    REQUIRE_FALSE(no_host);
    CHECK(no_host.error().message.find("names no registry host") != std::string::npos);
    CHECK(no_host.error().message.find("sha256:000") == std::string::npos);  // the placeholder never shows
    CHECK(dependency_identifiers("not json").unpinned.empty());
}
