#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "layout/verified_copy.hpp"
#include "temp_dir.hpp"

using namespace ocx;
using ocx::testing::entries_in;
using ocx::testing::slurp;
using ocx::testing::TempDir;
using namespace ocx::layout;
namespace fs = std::filesystem;

namespace {}  // namespace

TEST_CASE("copy_verified writes only what matches") {
    TempDir tmp;
    const std::string content = "layer bytes\n";
    const Digest good = Digest::of(content);
    fs::path dest = tmp.path() / good.hex();

    SUBCASE("from memory") {
        auto r = copy_verified({}, content, good, content.size(), dest);
        REQUIRE(r.ok());
        CHECK(r->size == content.size());
        CHECK(r->digest == good);
        CHECK(slurp(dest) == content);
    }
    SUBCASE("streamed from a file larger than one chunk") {
        std::string big(5 << 19, 'z');
        fs::path src = tmp.path() / "src.bin";
        std::ofstream(src, std::ios::binary) << big;
        fs::path big_dest = tmp.path() / "big";
        auto r = copy_verified(src, {}, Digest::of(big), big.size(), big_dest);
        REQUIRE(r.ok());
        CHECK(r->size == big.size());
        CHECK(slurp(big_dest) == big);
    }
    SUBCASE("a digest mismatch is refused and leaves nothing") {
        Digest wrong = Digest::of("other");
        auto r = copy_verified({}, content, wrong, content.size(), dest);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message == "refusing blob " + wrong.str() + ": bytes in memory holds 12 bytes with digest " +
                                       good.str() + ", expected 12 bytes");
        CHECK(entries_in(tmp.path()) == 0);
    }
    SUBCASE("a size mismatch is refused") {
        fs::path src = tmp.path() / "src.bin";
        std::ofstream(src, std::ios::binary) << content;
        auto r = copy_verified(src, {}, good, 99, dest);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == "refusing blob " + good.str() + ": " + src.string() + " holds 12 bytes with digest " +
                                       good.str() + ", expected 99 bytes");
        CHECK_FALSE(fs::exists(dest));
        CHECK(entries_in(tmp.path()) == 1);  // only the source
    }
    SUBCASE("a missing source is not_found") {
        auto r = copy_verified(tmp.path() / "nope", {}, good, 1, dest);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::not_found);
        CHECK(r.error().message == "cannot open " + (tmp.path() / "nope").string() + ": No such file or directory");
        CHECK(entries_in(tmp.path()) == 0);
    }
}
