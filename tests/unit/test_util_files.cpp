#include <doctest/doctest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.hpp"
#include "util/files.hpp"

using namespace ocx;
using ocx::testing::entries_in;
using ocx::testing::slurp;
using ocx::testing::TempDir;
namespace fs = std::filesystem;

namespace {}  // namespace

TEST_CASE("write_file_atomic and read_file") {
    TempDir tmp;
    fs::path file = tmp.path() / "index.json";
    SUBCASE("creates, then replaces, leaving no temp file behind") {
        REQUIRE(write_file_atomic(file, "first").ok());
        REQUIRE(write_file_atomic(file, "second").ok());
        CHECK(slurp(file) == "second");
        CHECK(entries_in(tmp.path()) == 1);
        auto back = read_file(file);
        REQUIRE(back.ok());
        REQUIRE(back->has_value());
        CHECK(**back == "second");
    }
    SUBCASE("honours the umask instead of mkstemp's 0600") {
        mode_t old = ::umask(022);
        REQUIRE(write_file_atomic(file, "x").ok());
        ::umask(old);
        CHECK((fs::status(file).permissions() & fs::perms::all) ==
              (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read));
    }
    SUBCASE("a missing file reads as nullopt") {
        auto r = read_file(tmp.path() / "absent");
        REQUIRE(r.ok());
        CHECK_FALSE(r->has_value());
    }
    SUBCASE("a missing directory is an I/O error naming the path") {
        auto r = write_file_atomic(tmp.path() / "no" / "f", "x");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::io);
        CHECK(r.error().message.find("cannot create " + (tmp.path() / "no").string() + "/.f.tmp-") == 0);
    }
}

TEST_CASE("read_file reads regular files only, and only up to its bound") {
    TempDir tmp;
    SUBCASE("a device is refused without reading it (/dev/zero would never end)") {
        fs::create_symlink("/dev/zero", tmp.path() / "index.json");
        auto r = read_file(tmp.path() / "index.json");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message == (tmp.path() / "index.json").string() + ": not a regular file (a device, FIFO or socket)");
    }
    SUBCASE("a FIFO is refused at once, not waited on for a writer") {
        REQUIRE(::mkfifo((tmp.path() / "pipe").c_str(), 0600) == 0);
        auto r = read_file(tmp.path() / "pipe");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == (tmp.path() / "pipe").string() + ": not a regular file (a device, FIFO or socket)");
    }
    SUBCASE("a directory is an I/O error, as reading it always was") {
        auto r = read_file(tmp.path());
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::io);
        CHECK(r.error().message == "cannot read " + tmp.path().string() + ": Is a directory");
    }
    SUBCASE("a file over the bound is refused; one at the bound is read") {
        const fs::path file = tmp.path() / "big.json";
        REQUIRE(write_file_atomic(file, std::string(1025, 'x')).ok());
        auto over = read_file(file, 1024);
        REQUIRE_FALSE(over.ok());
        CHECK(over.error().kind == ErrorKind::data);
        CHECK(over.error().message == file.string() + ": larger than the 1024 bytes a document may be; refusing to read it");
        auto at = read_file(file, 1025);
        REQUIRE(at.ok());
        CHECK((*at)->size() == 1025);
    }
    SUBCASE("the default bound is the registry client's 8 MiB") {
        const fs::path file = tmp.path() / "index.json";
        REQUIRE(write_file_atomic(file, std::string(kMaxDocumentBytes + 1, ' ')).ok());
        auto r = read_file(file);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == file.string() + ": larger than the 8 MiB a document may be; refusing to read it");
    }
}

TEST_CASE("FileLock excludes other descriptors until released") {
    TempDir tmp;
    fs::path lock_path = tmp.path() / ".ocx-lock";
    auto try_lock = [&] {
        int fd = ::open(lock_path.c_str(), O_RDWR);
        REQUIRE(fd >= 0);
        bool got = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
        ::close(fd);
        return got;
    };
    {
        auto lock = FileLock::acquire(lock_path);
        REQUIRE(lock.ok());
        CHECK_FALSE(try_lock());
        auto moved = std::move(*lock);  // moving keeps the lock held
        CHECK_FALSE(try_lock());
    }
    CHECK(try_lock());
}
