// metadata/binaries.hpp: where declared binaries are looked up, and the problems when they are not there.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "metadata/binaries.hpp"

using namespace ocx;
using metadata::FileState;

namespace {
metadata::Metadata meta(std::string_view members) {
    auto r = metadata::parse("{\"type\":\"bundle\",\"version\":1," + std::string(members) + "}", "m.json");
    REQUIRE(r.ok());
    return *r;
}

metadata::FileLookup files(std::map<std::string, FileState> present) {
    return [present](const std::string& path) {
        auto it = present.find(path);
        return it == present.end() ? FileState::absent : it->second;
    };
}

const char* kPath =
    R"("env":[{"key":"PATH","type":"path","required":true,"value":"${installPath}/tools:${installPath}/bin","visibility":"public"}],)";
}  // namespace

TEST_CASE("binaries: the PATH directories inside the package, or bin/") {
    CHECK(metadata::binary_dirs(meta(R"("binaries":["a"])")) == std::vector<std::string>{"bin"});
    CHECK(metadata::binary_dirs(meta(std::string(kPath) + R"("binaries":["a"])")) ==
          std::vector<std::string>{"tools", "bin"});
    // The root itself, and a directory outside the package (dropped).
    CHECK(
        metadata::binary_dirs(meta(
            R"("env":[{"key":"PATH","type":"path","value":"${installPath}:/usr/bin","visibility":"public"}],"binaries":["a"])")) ==
        std::vector<std::string>{"."});
}

TEST_CASE("binaries: each declared name must be an executable file in one of them") {
    const auto m = meta(std::string(kPath) + R"("binaries":["a","b","c"])");
    const auto unix_rule = metadata::BinaryRule::unix_exec;
    CHECK(metadata::binary_problems(m, unix_rule,
                                    files({{"tools/a", FileState::executable},
                                           {"bin/b", FileState::executable},
                                           {"tools/c", FileState::plain},
                                           {"bin/c", FileState::executable}}))
              .empty());
    CHECK(metadata::binary_problems(m, unix_rule, files({{"tools/a", FileState::plain}, {"bin/b", FileState::other}})) ==
          std::vector<std::string>{"binary \"a\" (tools/a) is not an executable file",
                                   "binary \"b\" (bin/b) is not an executable file",
                                   "binary \"c\" is declared but not in the package's PATH (tools, bin)"});
    CHECK(metadata::binary_problems(meta(R"("binaries":[])"), unix_rule, files({})).empty());
    CHECK(metadata::binary_problems(meta(R"("env":[])"), unix_rule, files({})).empty());
}

TEST_CASE("binaries: on windows NAME.exe or NAME counts without an exec bit") {
    CHECK(metadata::binary_rule("windows/amd64") == metadata::BinaryRule::windows_exe);
    CHECK(metadata::binary_rule("windows/arm64") == metadata::BinaryRule::windows_exe);
    CHECK(metadata::binary_rule("linux/amd64") == metadata::BinaryRule::unix_exec);
    const auto m = meta(R"("binaries":["a","b","c"])");
    const auto win = metadata::BinaryRule::windows_exe;
    CHECK(metadata::binary_problems(
              m, win,
              files({{"bin/a.exe", FileState::plain}, {"bin/b", FileState::plain}, {"bin/c.exe", FileState::other}})) ==
          std::vector<std::string>{"binary \"c\" (bin/c.exe) is not a regular file"});
    CHECK(metadata::binary_problems(meta(R"("binaries":["a"])"), win, files({})) ==
          std::vector<std::string>{"binary \"a\" is declared but neither a.exe nor a is in the package's PATH (bin)"});
    // A Unix platform does not take a.exe for a.
    CHECK(metadata::binary_problems(meta(R"("binaries":["a"])"), metadata::BinaryRule::unix_exec,
                                    files({{"bin/a.exe", FileState::executable}})) ==
          std::vector<std::string>{"binary \"a\" is declared but not in the package's PATH (bin)"});
}
