#include <doctest/doctest.h>

#include <vector>

#include "bundle/member_rules.hpp"

using namespace ocx;
using namespace ocx::bundle;

namespace {

struct M {
    MemberType type;
    std::string name;
    std::string link = {};
    std::uint32_t mode = 0644;
};

M dir(std::string name) { return {MemberType::directory, std::move(name)}; }
M file(std::string name, std::uint32_t mode = 0644) { return {MemberType::file, std::move(name), {}, mode}; }
M sym(std::string name, std::string target) { return {MemberType::symlink, std::move(name), std::move(target), 0777}; }
M hard(std::string name, std::string target) { return {MemberType::hardlink, std::move(name), std::move(target)}; }

// Feeds the members in order as the three callers do; "" when all pass, else "NAME: reason" of
// the first refusal.
std::string verdict(const std::vector<M>& members) {
    MemberTree tree;
    for (const auto& m : members) {
        const Member member{m.name, m.type, m.link, m.mode};
        std::string why = member_problem(member);
        if (why.empty()) {
            auto path = member_path(m.name);
            if (path->empty()) continue;
            std::optional<PathParts> to;
            if (m.type == MemberType::hardlink) to = *member_path(m.link);
            why = tree.admit(*path, m.type, m.link, to);
        }
        if (!why.empty()) return m.name + ": " + why;
    }
    if (auto problem = tree.finish()) return problem->path + ": " + problem->reason;
    return {};
}

}  // namespace

TEST_CASE("member_rules: a normal package passes") {
    CHECK(verdict({dir("./"), dir("bin"), file("bin/tool", 0755), sym("bin/alias", "tool"), hard("bin/tool2", "bin/tool"),
                   sym("lib", "bin/../bin"), sym("x/up", ".."), sym("dangling", "no/such/file"), dir("bin")}) == "");
}

TEST_CASE("member_rules: names") {
    CHECK(verdict({file("../x")}) == "../x: path contains \"..\" (it would leave the package)");
    CHECK(verdict({file("a/../../x")}) == "a/../../x: path contains \"..\" (it would leave the package)");
    CHECK(verdict({file("/etc/x")}) == "/etc/x: absolute path not allowed");
    CHECK(verdict({file("")}) == ": member without a name");
    CHECK(verdict({file("bad\xff")}) == "bad\xff: name is not valid UTF-8");
    CHECK(member_path("./a//b/./c/").value() == PathParts{"a", "b", "c"});
    CHECK(member_path("./").value().empty());
}

TEST_CASE("member_rules: types and modes") {
    CHECK(verdict({{MemberType::char_device, "dev/null"}}) == "dev/null: character device not allowed");
    CHECK(verdict({{MemberType::block_device, "disk"}}) == "disk: block device not allowed");
    CHECK(verdict({{MemberType::fifo, "pipe"}}) == "pipe: FIFO not allowed");
    CHECK(verdict({{MemberType::socket, "sock"}}) == "sock: socket not allowed");
    CHECK(verdict({file("su", 04755)}) == "su: setuid/setgid bit (mode 4755) not allowed");
    CHECK(verdict({{MemberType::directory, "shared", {}, 02775}}) == "shared: setuid/setgid bit (mode 2775) not allowed");
    CHECK(verdict({file("sticky", 01777)}) == "");
}

TEST_CASE("member_rules: symlinks") {
    CHECK(verdict({sym("etc", "../etc")}) == "etc: symlink to \"../etc\" leaves the package");
    CHECK(verdict({sym("a/b/up", "../../..")}) == "a/b/up: symlink to \"../../..\" leaves the package");
    CHECK(verdict({sym("passwd", "/etc/passwd")}) == "passwd: symlink to absolute path \"/etc/passwd\" not allowed");
    CHECK(verdict({sym("empty", "")}) == "empty: symlink with an empty target");
    CHECK(verdict({sym("bad", "x\xfe")}) == "bad: symlink target \"x\\xFE\" is not valid UTF-8");
    SUBCASE("the issue's chain: d/l -> ., esc -> d/l/../.., esc/x") {
        // Lexically esc is the root; followed, d/l is d, so d/l/../.. is the root's parent.
        CHECK(verdict({dir("d"), sym("d/l", "."), sym("esc", "d/l/../.."), file("esc/x")}) ==
              "esc: symlink to \"d/l/../..\" leaves the package through other symlinks");
    }
    SUBCASE("a chain completed by a later link is caught once all are in") {
        CHECK(verdict({sym("esc", "l/.."), sym("l", ".")}) ==
              "esc: symlink to \"l/..\" leaves the package through other symlinks");
    }
    SUBCASE("loops") {
        CHECK(verdict({sym("p", "q"), sym("q", "p")}) == "p: symlink to \"q\" loops through other symlinks");
        CHECK(verdict({sym("self", "self")}) == "self: symlink to \"self\" loops through other symlinks");
    }
    SUBCASE("through a link with an absolute target") {
        CHECK(verdict({sym("bin", "x/usr/bin"), sym("x/usr", "/usr")}) ==
              "x/usr: symlink to absolute path \"/usr\" not allowed");
    }
    SUBCASE("a lookup through 41 symlinks is a loop (ELOOP), through 40 it is not") {
        std::vector<M> chain;
        for (int i = 0; i < 40; ++i) chain.push_back(sym("l" + std::to_string(i), "l" + std::to_string(i + 1)));
        CHECK(verdict(chain) == "");
        chain.push_back(sym("l40", "l41"));
        CHECK(verdict(chain) == "l0: symlink to \"l1\" loops through other symlinks");
    }
}

TEST_CASE("member_rules: the tree") {
    CHECK(verdict({dir("real"), sym("d", "real"), file("d/x")}) == "d/x: lies under \"d\", which is a symlink");
    CHECK(verdict({file("f"), file("f/x")}) == "f/x: lies under \"f\", which is a file");
    CHECK(verdict({file("x"), file("x")}) == "x: appears twice (as a file before)");
    CHECK(verdict({file("x"), dir("x")}) == "x: appears twice (as a file before)");
    CHECK(verdict({file("a/b"), sym("a", ".")}) == "a: appears twice (as a directory before)");
    CHECK(verdict({dir("x"), dir("x/")}) == "");
}

TEST_CASE("member_rules: hardlinks") {
    CHECK(verdict({hard("hl", "../outside")}) ==
          "hl: hardlink to \"../outside\": path contains \"..\" (it would leave the package)");
    CHECK(verdict({hard("hl", "/etc/passwd")}) == "hl: hardlink to \"/etc/passwd\": absolute path not allowed");
    CHECK(verdict({hard("hl", "later"), file("later")}) ==
          "hl: hardlink to \"later\", which is not a regular file extracted before it");
    CHECK(verdict({file("f"), sym("s", "f"), hard("hl", "s")}) ==
          "hl: hardlink to \"s\", which is not a regular file extracted before it");
    CHECK(verdict({dir("d"), hard("hl", "d")}) == "hl: hardlink to \"d\", which is not a regular file extracted before it");
    CHECK(verdict({file("f"), hard("hl", "./f"), hard("hl2", "hl")}) == "");
}

TEST_CASE("member_rules: a refusal records nothing") {
    MemberTree tree;
    CHECK(tree.admit({"a"}, MemberType::symlink, "..").size() > 0);
    CHECK_FALSE(tree.type_of({"a"}).has_value());
    CHECK(tree.admit({"a", "b"}, MemberType::file, "") == "");
    CHECK(tree.type_of({"a"}) == MemberType::directory);
    CHECK(tree.type_of({"a", "b"}) == MemberType::file);
}
