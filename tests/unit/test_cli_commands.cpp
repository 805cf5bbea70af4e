#include <doctest/doctest.h>

#include <set>
#include <string>

#include "cli/commands.hpp"

using namespace ocx::cli;

TEST_CASE("the command table") {
    std::set<std::string_view> names;
    for (const auto& c : command_table()) {
        CAPTURE(c.name);
        CHECK(names.insert(c.name).second);  // no name twice
        const bool has_handler = c.handler != nullptr;
        CHECK(has_handler);
        CHECK(find_command(c.name) == &c);
        CHECK(std::string_view(c.usage).substr(0, c.name.size() + 1) == std::string(c.name) + " ");
        CHECK_FALSE(c.summary.empty());
        CHECK(c.summary.back() != '.');
        // Examples: "  $ ocx-release <name> …" lines, each ending in a newline.
        REQUIRE_FALSE(c.examples.empty());
        CHECK(c.examples.back() == '\n');
        std::size_t start = 0;
        while (start < c.examples.size()) {
            const std::size_t end = c.examples.find('\n', start);
            const std::string_view line = c.examples.substr(start, end - start);
            CHECK(line.substr(0, 16 + c.name.size()) == "  $ ocx-release " + std::string(c.name));
            start = end + 1;
        }
    }
    CHECK(names.size() == 12);  // ls, cascade, copy and describe added (issue 16)
    CHECK(find_command("describe") != nullptr);
    CHECK(find_command("relase") == nullptr);
    CHECK(find_command("") == nullptr);
    // exec replaces the process and env only reads: no cleanup handlers for them.
    CHECK(find_command("exec")->cleanup == SignalCleanup::none);
    CHECK(find_command("env")->cleanup == SignalCleanup::none);
    CHECK(find_command("release")->cleanup == SignalCleanup::install);
    // ls only reads; copy streams blobs through temporary files that a signal must remove.
    CHECK(find_command("ls")->cleanup == SignalCleanup::none);
    CHECK(find_command("copy")->cleanup == SignalCleanup::install);
}

TEST_CASE("top-level help is made from the table") {
    const std::string help = top_level_help();
    for (const auto& c : command_table()) {
        CAPTURE(c.name);
        CHECK(help.find("  " + std::string(c.name) + " ") != std::string::npos);
        CHECK(help.find(std::string(c.summary) + "\n") != std::string::npos);
    }
    CHECK(help.find("--version") != std::string::npos);
    CHECK(help.rfind("usage: ocx-release <command> [options]\n", 0) == 0);
}

TEST_CASE("unknown commands") {
    CHECK(unknown_command_message("relase") ==
          "unknown command \"relase\"; did you mean \"release\"? Run `ocx-release --help` for the list");
    CHECK(unknown_command_message("instal") ==
          "unknown command \"instal\"; did you mean \"install\"? Run `ocx-release --help` for the list");
    CHECK(unknown_command_message("frobnicate") == "unknown command \"frobnicate\"; run `ocx-release --help` for the list");
    CHECK(unknown_command_message("\x1b[31mx") == "unknown command \"\\x1B[31mx\"; run `ocx-release --help` for the list");
}
