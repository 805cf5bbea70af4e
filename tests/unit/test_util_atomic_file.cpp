#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "test_bundle_support.hpp"
#include "util/atomic_file.hpp"

using namespace ocx;
using namespace ocx::bundle;
using namespace ocx::bundle::test;

namespace {

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("atomic file: temporary name, commit, cleanup") {
    TempDir tmp;
    const fs::path final_path = tmp / "dist" / "pkg.tar.xz";  // "dist" does not exist yet

    SUBCASE("written under a hidden temporary name, renamed on commit") {
        auto out = AtomicFile::create(final_path, MissingParents::create);
        REQUIRE(out.ok());
        const std::string temp_name = out->temp_path().filename().string();
        const std::string prefix = ".pkg.tar.xz.tmp-" + std::to_string(::getpid()) + "-";
        CHECK(temp_name.rfind(prefix, 0) == 0);
        CHECK(temp_name.size() == prefix.size() + 8);
        CHECK(out->temp_path().parent_path() == final_path.parent_path());
        REQUIRE(out->write("abc", 3).ok());
        CHECK_FALSE(fs::exists(final_path));
        REQUIRE(out->commit(ExistingFile::refuse).ok());
        CHECK(read_file(final_path) == "abc");
        CHECK(names_in(tmp / "dist") == std::vector<std::string>{"pkg.tar.xz"});
    }
    SUBCASE("the mode is 0666 minus the umask") {
        const ::mode_t previous = ::umask(027);
        auto out = AtomicFile::create(final_path, MissingParents::create);
        ::umask(previous);
        REQUIRE(out.ok());
        REQUIRE(out->commit().ok());
        struct stat st {};
        REQUIRE(::stat(final_path.c_str(), &st) == 0);
        CHECK((st.st_mode & 07777) == (0666 & ~027));
    }
    SUBCASE("removed when not committed") {
        {
            auto out = AtomicFile::create(final_path, MissingParents::create);
            REQUIRE(out.ok());
            REQUIRE(out->write("partial", 7).ok());
            CHECK(fs::exists(out->temp_path()));
        }
        CHECK(names_in(tmp / "dist").empty());
    }
    SUBCASE("an output that appeared meanwhile is not replaced unless asked") {
        write_file(final_path, "old");
        auto out = AtomicFile::create(final_path, MissingParents::create);
        REQUIRE(out.ok());
        REQUIRE(out->write("new", 3).ok());
        Status s = out->commit(ExistingFile::refuse);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().kind == ErrorKind::data);
        CHECK(s.error().message == final_path.string() + " already exists (use -f to overwrite)");
        CHECK(read_file(final_path) == "old");
        std::optional<AtomicFile> moved(std::move(*out));
        moved.reset();
        CHECK(names_in(tmp / "dist") == std::vector<std::string>{"pkg.tar.xz"});
    }
    SUBCASE("replaced when asked") {
        write_file(final_path, "old");
        auto out = AtomicFile::create(final_path, MissingParents::create);
        REQUIRE(out.ok());
        REQUIRE(out->write("new", 3).ok());
        REQUIRE(out->commit(ExistingFile::replace).ok());
        CHECK(read_file(final_path) == "new");
        CHECK(names_in(tmp / "dist") == std::vector<std::string>{"pkg.tar.xz"});
    }
    SUBCASE("a directory that cannot be created") {
        write_file(tmp / "blocker", "a file, not a directory");
        auto out = AtomicFile::create(tmp / "blocker" / "pkg.tar.xz", MissingParents::create);
        REQUIRE_FALSE(out.ok());
        CHECK(out.error().kind == ErrorKind::io);
        CHECK(out.error().message.rfind("cannot create directory " + (tmp / "blocker").string() + ": ", 0) == 0);
    }
}
