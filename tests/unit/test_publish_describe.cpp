#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "publish/describe.hpp"

using namespace ocx;
using namespace ocx::publish;

TEST_CASE("describe: keywords, logo types and the manifest") {
    CHECK(split_keywords(" cli, build,,x ,") == std::vector<std::string>{"cli", "build", "x"});
    CHECK(split_keywords("").empty());
    CHECK(*logo_media_type("a/logo.png") == "image/png");
    CHECK(*logo_media_type("logo.svg") == "image/svg+xml");
    auto bmp = logo_media_type("logo.bmp");
    REQUIRE_FALSE(bmp);
    CHECK(bmp.error().kind == ErrorKind::usage);

    Description d;
    d.readme = "# Tool\n";
    SUBCASE("README only: no annotations object, config and README blobs") {
        const auto b = build_description(d);
        const auto m = boost::json::parse(b.manifest.bytes).as_object();
        CHECK(b.manifest.digest == Digest::of(b.manifest.bytes));
        CHECK_FALSE(m.contains("annotations"));
        REQUIRE(b.blobs.size() == 2);
        CHECK(b.blobs[0].second == "{}");
        CHECK(b.blobs[1].first == Digest::of(d.readme));
        CHECK(m.at("layers").as_array().size() == 1);
    }
    SUBCASE("keys in the documented order, logo second, annotations sorted") {
        d.logo = "<svg/>";
        d.logo_media_type = "image/svg+xml";
        d.title = "T";
        d.keywords = {"a", "b"};
        const auto b = build_description(d);
        const auto m = boost::json::parse(b.manifest.bytes).as_object();
        std::vector<std::string> keys;
        for (const auto& kv : m) keys.emplace_back(kv.key());
        CHECK(keys ==
              std::vector<std::string>{"schemaVersion", "mediaType", "artifactType", "config", "layers", "annotations"});
        CHECK(m.at("layers").as_array()[1].as_object().at("annotations").as_object().at("org.opencontainers.image.title") ==
              "logo.svg");
        CHECK(b.manifest.bytes.find(
                  "\"annotations\":{\"org.opencontainers.image.title\":\"T\",\"sh.ocx.keywords\":\"a,b\"}}") !=
              std::string::npos);
    }
}
