// cli/common.hpp and the exit mapping: option parsing shared by every command (usage errors that
// name the flag, -v counting, --format), count flags, and ErrorKind -> exit code as docs/cli.md
// "Exit codes" lists it.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>

#include "cli/common.hpp"
#include "temp_dir.hpp"
#include "util/log.hpp"

using namespace ocx;
using namespace ocx::cli;
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

struct QuietLog {
    log::Level saved = log::level();
    ~QuietLog() { log::set_level(saved); }
};

// A command's options as the commands declare them: common ones, one value, one switch, one
// positional argument.
struct Parsed {
    CommonOptions common;
    std::string tag;
    bool dry_run = false;
    std::string path;
    Status status;
};

Parsed parse(const Args& args) {
    Parsed p;
    po::options_description desc("test options");
    desc.add_options()("tag", po::value(&p.tag)->value_name("TAG"), "the tag")("dry-run", po::bool_switch(&p.dry_run),
                                                                               "write nothing")("path", po::value(&p.path),
                                                                                                "a path");
    add_common_options(desc, p.common);
    po::positional_options_description positional;
    positional.add("path", 1);
    p.status = parse_args(args, desc, &positional, p.common);
    return p;
}

// The "| code | meaning |" rows of docs/cli.md "## Exit codes", by their first word.
std::map<std::string, int> documented_exit_codes() {
    std::ifstream in(std::string(OCX_TEST_DATA) + "/../../docs/cli.md");
    REQUIRE(in);
    std::map<std::string, int> out;
    bool in_section = false;
    const std::regex row(R"(^\| (\d+) \| (.*) \|$)");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("## ", 0) == 0) in_section = line == "## Exit codes";
        std::smatch m;
        if (!in_section || !std::regex_match(line, m, row)) continue;
        // The meaning's first words: up to a ':' or a parenthesis ("internal error (a bug …)").
        const std::string meaning = m[2].str();
        out[meaning.substr(0, std::min(meaning.find(':'), meaning.find(" (")))] = std::stoi(m[1].str());
    }
    return out;
}

}  // namespace

TEST_CASE("parse_args: values, switches and the positional argument") {
    QuietLog quiet;
    const Parsed p = parse({"--tag", "1.2.3", "--dry-run", "dist/", "--format", "json"});
    REQUIRE(p.status.ok());
    CHECK(p.tag == "1.2.3");
    CHECK(p.dry_run);
    CHECK(p.path == "dist/");
    CHECK(p.common.format == Format::json);
    CHECK(p.common.verbosity == 0);
}

TEST_CASE("parse_args: -v counts, -vv is debug, -q wins") {
    QuietLog quiet;
    CHECK(parse({"-v"}).common.verbosity == 1);
    const Parsed vv = parse({"-vv"});
    REQUIRE(vv.status.ok());
    CHECK(vv.common.verbosity == 2);
    CHECK(log::level() == log::Level::debug);
    CHECK(parse({"-v", "--verbose", "-v"}).common.verbosity == 3);
    const Parsed q = parse({"-v", "-q"});
    REQUIRE(q.status.ok());
    CHECK(log::level() == log::Level::quiet);
}

TEST_CASE("parse_args: usage errors name the flag") {
    QuietLog quiet;
    SUBCASE("an unknown flag near a known one gets did you mean") {
        const Parsed p = parse({"--tga", "1.0.0"});
        REQUIRE_FALSE(p.status.ok());
        CHECK(p.status.error().kind == ErrorKind::usage);
        CHECK(p.status.error().message == "unrecognised option '--tga'; did you mean --tag?");
    }
    SUBCASE("far from every flag: no guess") {
        const Parsed p = parse({"--completely-different"});
        REQUIRE_FALSE(p.status.ok());
        CHECK(p.status.error().message == "unrecognised option '--completely-different'");
    }
    SUBCASE("--format takes text or json only") {
        const Parsed p = parse({"--format", "yaml"});
        REQUIRE_FALSE(p.status.ok());
        CHECK(p.status.error().kind == ErrorKind::usage);
        CHECK(p.status.error().message == "--format: expected text or json, got \"yaml\"");
    }
    SUBCASE("a value missing") {
        const Parsed p = parse({"--tag"});
        REQUIRE_FALSE(p.status.ok());
        CHECK(p.status.error().kind == ErrorKind::usage);
        CHECK(p.status.error().message.find("--tag") != std::string::npos);
    }
    SUBCASE("two positional arguments where one is taken") {
        const Parsed p = parse({"a", "b"});
        REQUIRE_FALSE(p.status.ok());
        CHECK(p.status.error().kind == ErrorKind::usage);
    }
}

TEST_CASE("parse_count: a whole number from 0 to max, else a usage error naming the flag") {
    CHECK(*parse_count("0", "--jobs") == 0u);
    CHECK(*parse_count("1024", "--jobs") == 1024u);
    CHECK(*parse_count("7", "-j", 8) == 7u);
    for (const std::string bad : {"", "-1", "1025", "4294967295", "2x", "1.5"}) {
        CAPTURE(bad);
        auto r = parse_count(bad, "--jobs");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::usage);
        CHECK(r.error().message == "--jobs: expected a whole number from 0 to 1024, got \"" + bad + "\"");
    }
}

TEST_CASE("exit codes are the ones docs/cli.md lists") {
    const std::map<std::string, int> documented = documented_exit_codes();
    const std::map<std::string, ErrorKind> kinds{{"usage", ErrorKind::usage},
                                                 {"bad data", ErrorKind::data},
                                                 {"unavailable", ErrorKind::unavailable},
                                                 {"internal error", ErrorKind::internal},
                                                 {"I/O error on the local file system", ErrorKind::io},
                                                 {"transient", ErrorKind::transient},
                                                 {"permission denied", ErrorKind::permission},
                                                 {"not found", ErrorKind::not_found},
                                                 {"authentication failed", ErrorKind::auth}};
    for (const auto& item : kinds) {
        const std::string& words = item.first;  // not a structured binding: clang 14 cannot capture one
        CAPTURE(words);
        REQUIRE(documented.count(words) == 1);
        CHECK(exit_code(item.second) == documented.at(words));
    }
    CHECK(documented.size() == kinds.size() + 1);  // and 0 for success
    // Every kind has its own code: a script can tell them apart.
    std::map<int, ErrorKind> seen;
    for (const auto& item : kinds) CHECK(seen.emplace(exit_code(item.second), item.second).second);
}

TEST_CASE("fail writes the error to stderr and returns its exit code") {
    QuietLog quiet;
    log::set_level(log::Level::quiet);  // errors are shown even then
    testing::TempDir tmp;
    const fs::path captured = tmp / "stderr";
    int code = 0;
    {
        std::fflush(stderr);
        std::cerr.flush();
        const int saved = ::dup(2);
        const int fd = ::open(captured.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        REQUIRE(saved >= 0);
        REQUIRE(fd >= 0);
        ::dup2(fd, 2);
        ::close(fd);
        code = fail(make_error(ErrorKind::not_found, "tag 1.0.0 not found"));
        std::fflush(stderr);
        std::cerr.flush();
        ::dup2(saved, 2);
        ::close(saved);
    }
    CHECK(code == exit_code(ErrorKind::not_found));
    std::ifstream in(captured);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.find("tag 1.0.0 not found") != std::string::npos);
}
