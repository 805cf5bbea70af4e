// dependencies[] of package metadata (docs/wire-format.md §4): table of documents and what the user
// sees, either the exact error text (with JSON paths) or "=" and the published compact form.

#include <doctest/doctest.h>

#include <string>

#include "metadata/metadata.hpp"

using namespace ocx;

namespace {

const std::string kHexA(64, 'a');
const std::string kHexB(64, 'b');

std::string doc(std::string_view members) { return "{\"type\":\"bundle\",\"version\":1," + std::string(members) + "}"; }

// "registry.example/<repo>@sha256:<hex>"
std::string pinned(std::string_view repo, const std::string& hex = kHexA) {
    return "registry.example/" + std::string(repo) + "@sha256:" + hex;
}

std::string outcome(const std::string& text) {
    auto r = metadata::parse(text, "m.json");
    if (!r) return r.error().message;
    return "=" + metadata::to_compact(*r);
}

struct Case {
    const char* name;
    std::string json;
    std::string expected;
};

}  // namespace

TEST_CASE("metadata dependencies: valid and invalid") {
    const std::string cmake = pinned("acme/cmake:3.28");
    const Case cases[] = {
        {"visibility defaults to sealed and is always written", doc(R"("dependencies":[{"identifier":")" + cmake + R"("}])"),
         "=" + doc(R"("dependencies":[{"identifier":")" + cmake + R"(","visibility":"sealed"}])")},
        {"name and visibility kept; env may use the name",
         doc(R"("env":[{"key":"CC","type":"constant","value":"${deps.cc.installPath:posix}/bin/cc"}],)"
             R"("dependencies":[{"name":"cc","visibility":"public","identifier":")" +
             pinned("acme/gcc") + R"("}])"),
         "=" +
             doc(R"("env":[{"key":"CC","type":"constant","value":"${deps.cc.installPath:posix}/bin/cc","visibility":"private"}],)"
                 R"("dependencies":[{"identifier":")" +
                 pinned("acme/gcc") + R"(","visibility":"public","name":"cc"}])")},
        {"without a name, the repository's last component is the name",
         doc(R"("env":[{"key":"X","type":"path","value":"${deps.cmake.installPath}/bin"}],)"
             R"("dependencies":[{"identifier":")" +
             cmake + R"("}])"),
         "=" +
             doc(R"("env":[{"key":"X","type":"path","required":false,"value":"${deps.cmake.installPath}/bin","visibility":"private"}],)"
                 R"("dependencies":[{"identifier":")" +
                 cmake + R"(","visibility":"sealed"}])")},
        {"loopback registry with a port",
         doc(R"("dependencies":[{"identifier":"127.0.0.1:5000/tools/ninja@sha256:)" + kHexA + R"("}])"),
         "=" + doc(R"("dependencies":[{"identifier":"127.0.0.1:5000/tools/ninja@sha256:)" + kHexA +
                   R"(","visibility":"sealed"}])")},
        {"unpinned", doc(R"("dependencies":[{"identifier":"registry.example/acme/cmake:3.28"}])"),
         R"(m.json:/dependencies/0/identifier: dependency "registry.example/acme/cmake:3.28" is not pinned: append @sha256:<digest of its platform manifest>, as in registry.example/acme/cmake:3.28@sha256:<64 hex>)"},
        {"no registry host", doc(R"("dependencies":[{"identifier":"acme/cmake@sha256:)" + kHexA + R"("}])"),
         R"(m.json:/dependencies/0/identifier: dependency "acme/cmake@sha256:)" + kHexA +
             R"(" names no registry host; write it in full, as in registry.example/acme/cmake:3.28@sha256:<64 hex>)"},
        {"short digest", doc(R"("dependencies":[{"identifier":"registry.example/acme/cmake@sha256:abc"}])"),
         R"(m.json:/dependencies/0/identifier: dependency "registry.example/acme/cmake@sha256:abc" has an invalid digest "sha256:abc": expected sha256:<64 lowercase hex>)"},
        {"uppercase repository", doc(R"("dependencies":[{"identifier":")" + pinned("Acme/CMake") + R"("}])"),
         R"(m.json:/dependencies/0/identifier: dependency ")" + pinned("Acme/CMake") +
             R"(" has an invalid repository "Acme/CMake": use lowercase letters and digits, separated by '.', '_', '__' or '-')"},
        {"same repository twice (other tag and digest)",
         doc(R"("dependencies":[{"identifier":")" + cmake + R"("},{"identifier":")" + pinned("acme/cmake:3.29", kHexB) +
             R"(","name":"cmake2"}])"),
         "m.json:/dependencies/1/identifier: registry.example/acme/cmake is already a dependency (/dependencies/0)"},
        {"same repository name from two places",
         doc(R"("dependencies":[{"identifier":")" + cmake + R"("},{"identifier":")" + pinned("other/cmake") + R"("}])"),
         R"(m.json:/dependencies/1: name "cmake" is already used by /dependencies/0 (from its repository); set "name" to tell them apart)"},
        {"same explicit name twice",
         doc(R"("dependencies":[{"identifier":")" + cmake + R"(","name":"tool"},{"identifier":")" + pinned("acme/ninja") +
             R"(","name":"tool"}])"),
         R"(m.json:/dependencies/1/name: name "tool" is already used by /dependencies/0)"},
        {"name that is not a slug", doc(R"("dependencies":[{"identifier":")" + cmake + R"(","name":"My_Tool"}])"),
         R"(m.json:/dependencies/0/name: "My_Tool" is not a valid dependency name: use lowercase letters, digits, '_' and '-', starting with a letter or digit)"},
        {"name longer than 64",
         doc(R"("dependencies":[{"identifier":")" + cmake + R"(","name":")" + std::string(65, 'n') + R"("}])"),
         R"(m.json:/dependencies/0/name: ")" + std::string(65, 'n') +
             R"(" is not a valid dependency name: longer than 64 characters)"},
        {"unknown visibility", doc(R"("dependencies":[{"identifier":")" + cmake + R"(","visibility":"seald"}])"),
         R"(m.json:/dependencies/0/visibility: "seald" is not one of sealed, private, public or interface; did you mean "sealed"?)"},
        {"misspelt key", doc(R"("dependencies":[{"identifier":")" + cmake + R"(","nmae":"x"}])"),
         R"(m.json:/dependencies/0/nmae: unknown key "nmae"; did you mean "name"?)"},
        {"env names an undeclared dependency",
         doc(R"("env":[{"key":"X","type":"constant","value":"${deps.ninja.installPath}"}],)"
             R"("dependencies":[{"identifier":")" +
             cmake + R"("},{"identifier":")" + pinned("acme/gcc") + R"(","name":"cc"}])"),
         R"(m.json:/env/0/value: "${deps.ninja.installPath}" names no declared dependency; declared: cmake cc)"},
        {"a dependency that cannot be read does not cascade into env errors",
         doc(R"("env":[{"key":"X","type":"constant","value":"${deps.cmake.installPath}"}],)"
             R"("dependencies":[{"identifier":"registry.example/acme/cmake"}])"),
         R"(m.json:/dependencies/0/identifier: dependency "registry.example/acme/cmake" is not pinned: append @sha256:<digest of its platform manifest>, as in registry.example/acme/cmake:3.28@sha256:<64 hex>)"},
        {"dependencies not an array", doc(R"("dependencies":{"cmake":"x"})"),
         "m.json:/dependencies: expected an array, got object"},
    };
    for (const auto& c : cases) {
        const std::string name = c.name;
        INFO(name);
        CHECK(outcome(c.json) == c.expected);
    }
}

TEST_CASE("metadata dependencies: at most 256") {
    auto many = [](std::size_t n) {
        std::string deps;
        for (std::size_t i = 0; i < n; ++i) {
            if (i > 0) deps += ",";
            deps += R"({"identifier":")" + pinned("acme/tool" + std::to_string(i)) + R"("})";
        }
        return doc(R"("dependencies":[)" + deps + "]");
    };
    auto at_limit = metadata::parse(many(256), "m.json");
    REQUIRE(at_limit.ok());
    CHECK(at_limit->dependencies.size() == 256);
    CHECK(outcome(many(257)) == "m.json:/dependencies: 257 dependencies; at most 256 are allowed");
}
