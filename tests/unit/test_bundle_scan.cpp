#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "bundle/bundle.hpp"
#include "test_bundle_support.hpp"

using namespace ocx;
using namespace ocx::bundle;
using namespace ocx::bundle::test;

namespace {

std::string listing(const std::vector<Entry>& entries) {
    std::string out;
    for (const Entry& e : entries) {
        out += e.name;
        switch (e.type) {
            case EntryType::directory: out += "/"; break;
            case EntryType::symlink: out += " -> " + e.link_target; break;
            case EntryType::file: out += " " + std::to_string(e.size); break;
        }
        char mode[8];
        std::snprintf(mode, sizeof mode, " %04o", e.mode);
        out += mode;
        out += "\n";
    }
    return out;
}

std::string refusal(const fs::path& source) {
    auto r = scan(source);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::data);
    return r.error().message;
}

}  // namespace

TEST_CASE("scan orders entries and normalizes modes") {
    TempDir tmp;
    const fs::path src = tmp / "src";
    write_file(src / "b", "bb", 0600);
    write_file(src / "a" / "x", "x", 0700);
    write_file(src / "a-c", "", 0610);
    write_file(src / "A", "AAAA", 0444);
    write_file(src / "\xC3\xA9", "e", 0644);
    fs::create_directories(src / "z");
    ::chmod((src / "a").c_str(), 0700);
    fs::create_symlink("a/x", src / "link");

    auto r = scan(src);
    REQUIRE(r.ok());
    // Depth first, directories before their children, bytewise order per directory: "a/x" comes
    // before "a-c" (a full-path sort would put '-' before '/'), "é" (0xC3) after ASCII.
    CHECK(listing(*r) ==
          "A 4 0644\n"
          "a/ 0755\n"
          "a/x 1 0755\n"
          "a-c 0 0755\n"
          "b 2 0644\n"
          "link -> a/x 0777\n"
          "z/ 0755\n"
          "\xC3\xA9 1 0644\n");
    CHECK(r->at(2).path == src / "a" / "x");
}

TEST_CASE("scan of a single file or a missing source") {
    TempDir tmp;
    SUBCASE("a single file is archived under its own name") {
        write_file(tmp / "dir" / "mytool", "#!/bin/sh\n", 0750);
        auto r = scan(tmp / "dir" / "mytool");
        REQUIRE(r.ok());
        CHECK(listing(*r) == "mytool 10 0755\n");
    }
    SUBCASE("a symlink given as the source is followed, under the link's name") {
        write_file(tmp / "real.txt", "data");
        fs::create_symlink(tmp / "real.txt", tmp / "alias.txt");
        auto r = scan(tmp / "alias.txt");
        REQUIRE(r.ok());
        CHECK(listing(*r) == "alias.txt 4 0644\n");
    }
    SUBCASE("missing") {
        auto r = scan(tmp / "nope");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::not_found);
        CHECK(r.error().message == "source \"" + (tmp / "nope").string() + "\" does not exist");
    }
    SUBCASE("hard links become independent files") {
        write_file(tmp / "src" / "one", "same");
        fs::create_hard_link(tmp / "src" / "one", tmp / "src" / "two");
        auto r = scan(tmp / "src");
        REQUIRE(r.ok());
        CHECK(listing(*r) == "one 4 0644\ntwo 4 0644\n");
    }
}

TEST_CASE("scan refuses symlinks that leave the source") {
    TempDir tmp;
    const fs::path src = tmp / "src";
    write_file(src / "a", "a");
    fs::create_directories(src / "x");
    SUBCASE("links that stay inside are kept, dangling ones too") {
        fs::create_symlink("../a", src / "x" / "ok");
        fs::create_symlink("x/../x/./ok", src / "deep");
        fs::create_symlink("nothing/here", src / "x" / "dangling");
        fs::create_symlink("..", src / "x" / "up");  // the root itself
        auto r = scan(src);
        REQUIRE(r.ok());
        CHECK(r->size() == 6);
    }
    SUBCASE("looping links are refused, as install refuses them") {
        fs::create_symlink("q", src / "p");
        fs::create_symlink("p", src / "q");
        CHECK(refusal(src) == "\"p\": symlink to \"q\" loops through other symlinks");
    }
    SUBCASE("absolute target") {
        fs::create_symlink("/etc/passwd", src / "abs");
        CHECK(refusal(src) == "\"abs\": symlink to absolute path \"/etc/passwd\" not allowed");
    }
    SUBCASE("climbing above the root, resolved from the link's directory") {
        fs::create_symlink("../../a", src / "x" / "esc");
        CHECK(refusal(src) == "\"x/esc\": symlink to \"../../a\" leaves the package");
    }
    SUBCASE("escaping only once an inner symlink is followed") {
        fs::create_symlink("..", src / "x" / "up");     // x/up is the root: fine
        fs::create_symlink("x/up/..", src / "sneaky");  // lexically "x", really the root's parent
        CHECK(refusal(src) == "\"sneaky\": symlink to \"x/up/..\" leaves the package through other symlinks");
    }
    SUBCASE("through an inner symlink with an absolute target") {
        fs::create_symlink("/usr", src / "x" / "usr");
        fs::create_symlink("x/usr/bin", src / "bin");
        CHECK(refusal(src) == "\"x/usr\": symlink to absolute path \"/usr\" not allowed");
    }
}

namespace {
// Whether this process may make device nodes (root, outside a container that forbids mknod). Where
// it may not, the device case is reported skipped in the summary instead of passing unchecked.
bool can_make_devices() {
    const TempDir tmp("ocx-mknod-probe-");
    return ::mknod((tmp / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0;
}
}  // namespace

TEST_CASE("scan refuses device files" * doctest::skip(!can_make_devices())) {
    TempDir tmp;
    const fs::path src = tmp / "src";
    write_file(src / "ok", "fine");
    fs::create_directories(src / "dev");
    REQUIRE(::mknod((src / "dev" / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
    REQUIRE(::mknod((src / "dev" / "loop").c_str(), S_IFBLK | 0660, makedev(7, 0)) == 0);
    CHECK(refusal(src) ==
          "2 entries cannot be bundled:\n"
          "  \"dev/loop\" is a block device; only files, directories and symlinks can be bundled\n"
          "  \"dev/null\" is a character device; only files, directories and symlinks can be bundled");
}

TEST_CASE("scan refuses special files") {
    TempDir tmp;
    const fs::path src = tmp / "src";
    write_file(src / "ok", "fine");
    SUBCASE("FIFO") {
        REQUIRE(::mkfifo((src / "pipe").c_str(), 0644) == 0);
        CHECK(refusal(src) == "\"pipe\" is a FIFO; only files, directories and symlinks can be bundled");
    }
    SUBCASE("socket") {
        const fs::path path = src / "sock";
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        REQUIRE(fd >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        REQUIRE(path.string().size() < sizeof addr.sun_path);
        std::strcpy(addr.sun_path, path.c_str());
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        ::close(fd);
        CHECK(refusal(src) == "\"sock\" is a socket; only files, directories and symlinks can be bundled");
    }
    SUBCASE("many problems are listed, at most 20") {
        for (int i = 10; i < 32; ++i) REQUIRE(::mkfifo((src / ("p" + std::to_string(i))).c_str(), 0644) == 0);
        const std::string message = refusal(src);
        CHECK(message.rfind("22 entries cannot be bundled:\n  \"p10\" is a FIFO;", 0) == 0);
        CHECK(message.find("\"p29\" is a FIFO") != std::string::npos);
        CHECK(message.find("\"p30\"") == std::string::npos);
        CHECK(message.ends_with("\"p29\" is a FIFO; only files, directories and symlinks can be bundled\n  ... and 2 more"));
    }
}

TEST_CASE("scan refuses names and targets that are not UTF-8") {
    TempDir tmp;
    const fs::path src = tmp / "src";
    SUBCASE("name") {
        write_file(src / "sub" / "caf\xE9", "x");
        CHECK(refusal(src) == "name \"sub/caf\\xE9\" is not valid UTF-8");
    }
    SUBCASE("symlink target") {
        fs::create_directories(src);
        fs::create_symlink("caf\xE9", src / "l");
        CHECK(refusal(src) == "\"l\": symlink target \"caf\\xE9\" is not valid UTF-8");
    }
}

TEST_CASE("scan refuses unreadable files and directories") {
    TempDir tmp;
    const fs::path src = tmp / "src";
    write_file(src / "secret", "s", 0000);
    write_file(src / "locked" / "inside", "i");
    write_file(src / "public", "p");
    ::chmod((src / "locked").c_str(), 0000);
    const std::string expected =
        "2 entries cannot be bundled:\n"
        "  \"locked\" is not readable: Permission denied\n"
        "  \"secret\" is not readable: Permission denied";
    if (::geteuid() != 0) {
        CHECK(refusal(src) == expected);
        return;
    }
    // root reads everything: scan as "nobody" in a child process and send the message back.
    ::chmod(tmp.path().c_str(), 0755);
    ::chmod(src.c_str(), 0755);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
        auto r = scan(src);
        const std::string text = r.ok() ? "ok" : r.error().message;
        if (::write(fds[1], text.data(), text.size()) < 0) ::_exit(4);
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string message;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) message.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    CHECK(message == expected);
}
