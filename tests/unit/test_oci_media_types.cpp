#include <doctest/doctest.h>

#include <string>

#include "oci/media_types.hpp"

using namespace ocx::oci;

TEST_CASE("every extension archive_extensions lists is one layer_media_type accepts") {
    const std::string list = archive_extensions();
    CHECK(list.rfind(".tar.xz, ", 0) == 0);
    for (std::size_t start = 0; start <= list.size();) {
        std::size_t end = list.find(", ", start);
        if (end == std::string::npos) end = list.size();
        const std::string suffix = list.substr(start, end - start);
        CHECK(layer_media_type("tool" + suffix).has_value());
        CHECK(archive_stem("dist/tool" + suffix) == "tool");
        start = end + 2;
    }
    CHECK_FALSE(layer_media_type("tool.tar").has_value());
    CHECK_FALSE(layer_media_type("tool.zip").has_value());
}
