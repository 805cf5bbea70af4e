#include <doctest/doctest.h>

#include "bundle/bundle.hpp"
#include "bundle/check.hpp"
#include "oci/media_types.hpp"
#include "test_bundle_support.hpp"

using namespace ocx;
using namespace ocx::bundle;
using namespace ocx::bundle::test;
namespace fs = std::filesystem;

namespace {
// Builds an archive with Python's tarfile: `members` is Python code adding entries to `t`.
fs::path python_tar(const fs::path& path, const std::string& mode, const std::string& members) {
    std::string script =
        "import io, sys, tarfile\nt = tarfile.open(sys.argv[1], '" + mode + "')\n" + members + "t.close()\n";
    REQUIRE(run("python3 -c " + shell_quote(script) + " " + shell_quote(path)) == 0);
    return path;
}

const std::string kFile = "i = tarfile.TarInfo('bin/tool'); i.size = 2; i.mode = 0o755; t.addfile(i, io.BytesIO(b'ok'))\n";
}  // namespace

namespace {
// Bundles tmp/src at `level` and checks the bundle: it must pass with what create computed.
fs::path bundle_and_check(const fs::path& tmp, Level level) {
    BundleOptions o;
    o.source = tmp / "src";
    o.output = tmp / "b.tar.xz";
    o.level = level;
    auto made = create(o);
    REQUIRE(made.ok());
    auto checked = check_archive(o.output, oci::kLayerTarXz);
    REQUIRE(checked.ok());
    CHECK(checked->digest == made->digest);
    CHECK(checked->size == made->size);
    CHECK(checked->entries == made->entries);
    return o.output;
}
}  // namespace

TEST_CASE("a bundle made by create passes, with the digest create computed") {
    TempDir tmp;
    write_file(tmp / "src" / "bin" / "tool", "#!/bin/sh\n", 0755);
    bundle_and_check(tmp.path(), Level::default_);
}

TEST_CASE("a multi-block bundle decodes on every core to the same verdict and digest") {
    TempDir tmp;
    // Level fast cuts blocks of 4 MiB: 9 MiB of varied bytes make three, decoded in parallel.
    std::string big(9 << 20, '\0');
    std::uint32_t x = 1;
    for (auto& c : big) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>((x >> 16) & 0x3f);
    }
    write_file(tmp / "src" / "lib" / "big.bin", big);
    write_file(tmp / "src" / "bin" / "tool", "#!/bin/sh\n", 0755);
    const fs::path bundle = bundle_and_check(tmp.path(), Level::fast);
    // The same stream with garbage after it: the decoder reads to the end and refuses it.
    write_file(tmp / "tail.tar.xz", read_file(bundle) + std::string(64, 'g'));
    auto tail = check_archive(tmp / "tail.tar.xz", oci::kLayerTarXz);
    REQUIRE_FALSE(tail.ok());
    CHECK(tail.error().message == (tmp / "tail.tar.xz").string() + ": the xz data is corrupt");
}

TEST_CASE("refusals name the file and the member") {
    TempDir tmp;
    auto message = [&](const fs::path& p, std::string_view type = oci::kLayerTarXz) {
        auto r = check_archive(p, type);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        return r.error().message;
    };
    SUBCASE("compression other than the extension says") {
        auto p = python_tar(tmp / "gz.tar.xz", "w:gz", kFile);
        CHECK(message(p) == p.string() + ": the extension says xz but the data is gzip");
    }
    SUBCASE("truncated stream") {
        auto p = python_tar(
            tmp / "cut.tar.xz", "w:xz",
            kFile + "i = tarfile.TarInfo('big'); i.size = 200000; t.addfile(i, io.BytesIO(bytes(range(256)) * 782))\n");
        fs::resize_file(p, fs::file_size(p) / 2);
        CHECK(message(p) == p.string() + ": the xz stream is truncated");
    }
    SUBCASE("a flipped byte in the compressed data") {
        auto p = python_tar(
            tmp / "flip.tar.xz", "w:xz",
            kFile + "i = tarfile.TarInfo('big'); i.size = 200000; t.addfile(i, io.BytesIO(bytes(range(256)) * 782))\n");
        std::string bytes = read_file(p);
        bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
        write_file(p, bytes);
        CHECK(message(p) == p.string() + ": the xz data is corrupt");
    }
    SUBCASE("not an archive") {
        write_file(tmp / "text.tar.gz", "hello, not a tarball\n");
        CHECK(message(tmp / "text.tar.gz", oci::kLayerTarGzip).rfind((tmp / "text.tar.gz").string() + ": ", 0) == 0);
    }
    SUBCASE("absolute path") {
        auto p = python_tar(tmp / "abs.tar.xz", "w:xz", "i = tarfile.TarInfo('/etc/x'); t.addfile(i, io.BytesIO(b''))\n");
        CHECK(message(p) == p.string() + ": \"/etc/x\": absolute path not allowed");
    }
    SUBCASE("dot-dot") {
        auto p = python_tar(tmp / "up.tar.xz", "w:xz",
                            kFile + "i = tarfile.TarInfo('a/../../x'); t.addfile(i, io.BytesIO(b''))\n");
        CHECK(message(p) == p.string() + ": \"a/../../x\": path contains \"..\" (it would leave the package)");
    }
    SUBCASE("symlink leaving the package") {
        auto p = python_tar(tmp / "ln.tar.xz", "w:xz",
                            "i = tarfile.TarInfo('bin/up'); i.type = tarfile.SYMTYPE; i.linkname = '../..'; t.addfile(i)\n");
        CHECK(message(p) == p.string() + ": \"bin/up\": symlink to \"../..\" leaves the package");
    }
    SUBCASE("device node") {
        auto p =
            python_tar(tmp / "dev.tar.xz", "w:xz", "i = tarfile.TarInfo('null'); i.type = tarfile.CHRTYPE; t.addfile(i)\n");
        CHECK(message(p) == p.string() + ": \"null\": character device not allowed");
    }
    SUBCASE("setuid") {
        auto p = python_tar(tmp / "su.tar.xz", "w:xz",
                            "i = tarfile.TarInfo('su'); i.mode = 0o4755; t.addfile(i, io.BytesIO(b''))\n");
        CHECK(message(p) == p.string() + ": \"su\": setuid/setgid bit (mode 4755) not allowed");
    }
}

TEST_CASE("check_archive applies the member rules install applies, symlink chains included") {
    TempDir tmp;
    auto message = [&](const fs::path& p) {
        auto r = check_archive(p, oci::kLayerTarXz);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        return r.error().message;
    };
    SUBCASE("d/l -> ., esc -> d/l/../.., esc/x (lexically inside, really the parent)") {
        auto p = python_tar(tmp / "chain.tar.xz", "w:xz",
                            "i = tarfile.TarInfo('d'); i.type = tarfile.DIRTYPE; t.addfile(i)\n"
                            "i = tarfile.TarInfo('d/l'); i.type = tarfile.SYMTYPE; i.linkname = '.'; t.addfile(i)\n"
                            "i = tarfile.TarInfo('esc'); i.type = tarfile.SYMTYPE; i.linkname = 'd/l/../..'; t.addfile(i)\n"
                            "i = tarfile.TarInfo('esc/x'); i.size = 1; t.addfile(i, io.BytesIO(b'x'))\n");
        CHECK(message(p) == p.string() + ": \"esc\": symlink to \"d/l/../..\" leaves the package through other symlinks");
    }
    SUBCASE("a chain a later link completes") {
        auto p = python_tar(tmp / "later.tar.xz", "w:xz",
                            "i = tarfile.TarInfo('esc'); i.type = tarfile.SYMTYPE; i.linkname = 'l/..'; t.addfile(i)\n"
                            "i = tarfile.TarInfo('l'); i.type = tarfile.SYMTYPE; i.linkname = '.'; t.addfile(i)\n");
        CHECK(message(p) == p.string() + ": \"esc\": symlink to \"l/..\" leaves the package through other symlinks");
    }
    SUBCASE("a hardlink to a member that comes later") {
        auto p =
            python_tar(tmp / "hl.tar.xz", "w:xz",
                       "i = tarfile.TarInfo('hl'); i.type = tarfile.LNKTYPE; i.linkname = 'later'; t.addfile(i)\n" + kFile);
        CHECK(message(p) == p.string() + ": \"hl\": hardlink to \"later\", which is not a regular file extracted before it");
    }
    SUBCASE("the same file twice") {
        auto p = python_tar(tmp / "dup.tar.xz", "w:xz", kFile + kFile);
        CHECK(message(p) == p.string() + ": \"bin/tool\": appears twice (as a file before)");
    }
}

TEST_CASE("archives pushed together are checked as the one tree install extracts") {
    TempDir tmp;
    auto base = python_tar(tmp / "base.tar.xz", "w:xz", kFile);
    auto again = python_tar(tmp / "again.tar.xz", "w:xz", kFile);
    auto esc = python_tar(tmp / "esc.tar.xz", "w:xz",
                          "i = tarfile.TarInfo('esc'); i.type = tarfile.SYMTYPE; i.linkname = 'l/..'; t.addfile(i)\n");
    auto dot = python_tar(tmp / "dot.tar.xz", "w:xz",
                          "i = tarfile.TarInfo('l'); i.type = tarfile.SYMTYPE; i.linkname = '.'; t.addfile(i)\n");
    SUBCASE("the same file in two layers") {
        LayerSet set;
        REQUIRE(check_archive(base, oci::kLayerTarXz, {}, &set).ok());
        auto r = check_archive(again, oci::kLayerTarXz, {}, &set);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == again.string() + ": \"bin/tool\": appears twice (as a file before)");
        CHECK(check_archive(again, oci::kLayerTarXz).ok());  // alone it is fine
    }
    SUBCASE("a link chain through another layer") {
        LayerSet set;
        REQUIRE(check_archive(esc, oci::kLayerTarXz, {}, &set).ok());
        REQUIRE(check_archive(dot, oci::kLayerTarXz, {}, &set).ok());
        auto r = finish_layers(set);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message ==
              "the layers together: \"esc\": symlink to \"l/..\" leaves the package through other symlinks");
    }
    SUBCASE("the limits count over all layers, each archive its own members") {
        LayerSet set;
        UnpackLimits two;
        two.max_entries = 1;
        auto first = check_archive(base, oci::kLayerTarXz, two, &set);
        REQUIRE(first.ok());
        CHECK(first->entries == 1);
        CHECK(first->unpacked == 2);
        CHECK(check_archive(esc, oci::kLayerTarXz, two, &set).error().message ==
              esc.string() +
                  ": \"esc\": more than 1 members, the limit for unpacking (raise it with --max-entries or "
                  "OCX_RELEASE_MAX_ENTRIES)");
    }
}

TEST_CASE("check_archive stops at the unpack limits") {
    TempDir tmp;
    auto p = python_tar(tmp / "three.tar.xz", "w:xz",
                        "for n in ('a', 'b', 'c'):\n"
                        "    i = tarfile.TarInfo(n); i.size = 1000; t.addfile(i, io.BytesIO(b'z' * 1000))\n");
    CHECK(check_archive(p, oci::kLayerTarXz).value().unpacked == 3000);
    UnpackLimits bytes;
    bytes.max_bytes = 2500;
    auto r = check_archive(p, oci::kLayerTarXz, bytes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::data);
    CHECK(r.error().message == p.string() +
                                   ": \"c\": unpacks to more than 2500 bytes, the limit set (raise it with "
                                   "--max-unpacked-size or OCX_RELEASE_MAX_UNPACKED)");
    UnpackLimits entries;
    entries.max_entries = 2;
    CHECK(check_archive(p, oci::kLayerTarXz, entries).error().message ==
          p.string() +
              ": \"c\": more than 2 members, the limit for unpacking (raise it with --max-entries or "
              "OCX_RELEASE_MAX_ENTRIES)");
    bytes.max_bytes = 3000;
    entries.max_entries = 3;
    CHECK(check_archive(p, oci::kLayerTarXz, bytes).ok());
    CHECK(check_archive(p, oci::kLayerTarXz, entries).ok());
}

TEST_CASE("a symlink inside the package is fine") {
    TempDir tmp;
    auto p = python_tar(
        tmp / "ok.tar.xz", "w:xz",
        kFile + "i = tarfile.TarInfo('lib/link'); i.type = tarfile.SYMTYPE; i.linkname = '../bin/tool'; t.addfile(i)\n");
    auto r = check_archive(p, oci::kLayerTarXz);
    REQUIRE(r.ok());
    CHECK(r->entries == 2);
}

TEST_CASE("check_archive_remembered walks bytes once, records passes only, and trusts a record by digest") {
    TempDir tmp;
    const fs::path records = tmp / "records";
    auto good = python_tar(tmp / "good.tar.xz", "w:xz", kFile);
    auto bad = python_tar(tmp / "bad.tar.xz", "w:xz", "i = tarfile.TarInfo('/etc/x'); t.addfile(i, io.BytesIO(b''))\n");

    auto first = check_archive_remembered(good, oci::kLayerTarXz, records);
    REQUIRE(first.ok());
    const fs::path record = records / (first->digest.hex() + ".xz");
    CHECK(read_file(record) == "rules-2 1 " + std::to_string(fs::file_size(good)) + " 2\n");
    auto again = check_archive_remembered(good, oci::kLayerTarXz, records);
    REQUIRE(again.ok());
    CHECK(again->digest == first->digest);
    CHECK(again->size == first->size);
    CHECK(again->entries == 1);

    SUBCASE("a refusal is not recorded") {
        auto r = check_archive_remembered(bad, oci::kLayerTarXz, records);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == bad.string() + ": \"/etc/x\": absolute path not allowed");
        CHECK(std::distance(fs::directory_iterator(records), fs::directory_iterator()) == 1);
    }
    SUBCASE("a record vouches for its digest, so the walk is skipped") {
        auto bad_digest = check_archive_remembered(tmp / "none", oci::kLayerTarXz, records);
        CHECK(bad_digest.error().kind == ErrorKind::not_found);
        // A record for the bad bytes (as if they had passed): trusted without walking them.
        const Digest d = Digest::of(read_file(bad));
        write_file(records / (d.hex() + ".xz"), "rules-2 1 " + std::to_string(fs::file_size(bad)) + " 0\n");
        CHECK(check_archive_remembered(bad, oci::kLayerTarXz, records).ok());
        // ... but not past today's limits: then the walk runs and says why.
        UnpackLimits one_member;
        one_member.max_entries = 1;
        write_file(records / (d.hex() + ".xz"), "rules-2 2 " + std::to_string(fs::file_size(bad)) + " 0\n");
        CHECK(check_archive_remembered(bad, oci::kLayerTarXz, records, one_member).error().message ==
              bad.string() + ": \"/etc/x\": absolute path not allowed");
        UnpackLimits small;
        small.max_bytes = 10;
        write_file(records / (d.hex() + ".xz"), "rules-2 1 " + std::to_string(fs::file_size(bad)) + " 11\n");
        CHECK_FALSE(check_archive_remembered(bad, oci::kLayerTarXz, records, small).ok());
        // A record from the rules before (rules-1 did not follow symlink chains) is walked again.
        write_file(records / (d.hex() + ".xz"), "rules-1 1 " + std::to_string(fs::file_size(bad)) + "\n");
        CHECK_FALSE(check_archive_remembered(bad, oci::kLayerTarXz, records).ok());
        // A record whose size does not match, made under other rules, or unreadable, is not.
        write_file(records / (d.hex() + ".xz"), "rules-2 1 7 0\n");
        CHECK_FALSE(check_archive_remembered(bad, oci::kLayerTarXz, records).ok());
        write_file(records / (d.hex() + ".xz"), "rules-0 1 " + std::to_string(fs::file_size(bad)) + "\n");
        CHECK_FALSE(check_archive_remembered(bad, oci::kLayerTarXz, records).ok());
        write_file(records / (d.hex() + ".xz"), "garbage");
        CHECK_FALSE(check_archive_remembered(bad, oci::kLayerTarXz, records).ok());
    }
    SUBCASE("records are per compression: xz bytes named .tar.gz are walked and refused") {
        fs::copy_file(good, tmp / "good.tar.gz");
        auto r = check_archive_remembered(tmp / "good.tar.gz", oci::kLayerTarGzip, records);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == (tmp / "good.tar.gz").string() + ": the extension says gzip but the data is xz");
    }
    SUBCASE("remember_checked records what create wrote") {
        write_file(tmp / "src" / "bin" / "tool", "#!/bin/sh\n", 0755);
        BundleOptions o;
        o.source = tmp / "src";
        o.output = tmp / "made.tar.xz";
        auto made = create(o);
        REQUIRE(made.ok());
        remember_checked(records, oci::kLayerTarXz, {made->digest, made->size, made->entries, made->input_bytes});
        CHECK(read_file(records / (made->digest.hex() + ".xz")) ==
              "rules-2 " + std::to_string(made->entries) + " " + std::to_string(made->size) + " 10\n");
    }
}
