#include <doctest/doctest.h>

#include <sys/stat.h>

#include "bundle/extract.hpp"
#include "test_bundle_support.hpp"

using namespace ocx;
using namespace ocx::bundle;
using namespace ocx::bundle::test;

namespace {

// Writes an archive with Python's tarfile (an independent writer that happily writes what
// ocx-release would never produce). `body` calls f(name, data, mode), d(name, mode),
// l(name, target) (symlink), h(name, target) (hardlink), dev(name, kind) with kind chr/blk/fifo.
fs::path make_archive(const fs::path& path, const std::string& body, const std::string& mode = "w:xz") {
    const fs::path script = path.string() + ".py";
    write_file(script,
               "import io, os, sys, tarfile\n"
               "t = tarfile.open(sys.argv[1], '" +
                   mode +
                   "', format=tarfile.PAX_FORMAT)\n"
                   "def add(i, data=b''):\n"
                   "    i.mtime = 0\n"
                   "    i.size = len(data)\n"
                   "    t.addfile(i, io.BytesIO(data) if data else None)\n"
                   "def f(name, data=b'', mode=0o644):\n"
                   "    i = tarfile.TarInfo(name); i.mode = mode; add(i, data)\n"
                   "def d(name, mode=0o755):\n"
                   "    i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = mode; add(i)\n"
                   "def l(name, target):\n"
                   "    i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; i.mode = 0o777; add(i)\n"
                   "def h(name, target):\n"
                   "    i = tarfile.TarInfo(name); i.type = tarfile.LNKTYPE; i.linkname = target; i.mode = 0o644; add(i)\n"
                   "def dev(name, kind):\n"
                   "    i = tarfile.TarInfo(name)\n"
                   "    i.type = {'chr': tarfile.CHRTYPE, 'blk': tarfile.BLKTYPE, 'fifo': tarfile.FIFOTYPE}[kind]\n"
                   "    i.devmajor, i.devminor, i.mode = 1, 3, 0o666\n"
                   "    add(i)\n" +
                   body + "\nt.close()\n");
    REQUIRE(run("python3 " + shell_quote(script) + " " + shell_quote(path)) == 0);
    return path;
}

LayerFile layer(const fs::path& path, unsigned strip = 0, std::string prefix = {}, std::string label = "layer 1") {
    return LayerFile{path, Placement{strip, std::move(prefix)}, std::move(label)};
}

std::string listing(const fs::path& root) {
    std::string out;
    for (const auto& [name, what] : describe(root, false)) out += name + " " + what + "\n";
    return out;
}

// Extracts one archive built from `body` into tmp/dest and expects a refusal: returns its message
// after checking the kind and that nothing was left behind.
std::string refusal(const TempDir& tmp, const std::string& body) {
    auto archive = make_archive(tmp / "evil.tar.xz", body);
    auto r = extract({layer(archive)}, tmp / "dest");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::data);
    CHECK_FALSE(fs::exists(fs::symlink_status(tmp / "dest")));
    return r.error().message;
}

}  // namespace

TEST_CASE("extract: a package tree with directories, modes, symlinks and hardlinks") {
    TempDir tmp;
    auto archive = make_archive(tmp / "good.tar.xz",
                                "d('./')\n"
                                "d('./bin')\n"
                                "f('./bin/tool', b'#!/bin/sh\\n', 0o755)\n"
                                "f('bin/data.txt', b'data', 0o600)\n"
                                "d('share/doc', 0o555)\n"
                                "f('share/doc/README', b'hi')\n"
                                "l('bin/alias', 'tool')\n"
                                "l('share/doc/tool', '../../bin/tool')\n"
                                "h('bin/tool2', 'bin/tool')\n"
                                "f('empty', b'')\n");
    ::umask(022);
    auto r = extract({layer(archive)}, tmp / "dest");
    REQUIRE(r.ok());
    CHECK(r->entries == 9);  // "./" is the root itself
    CHECK(r->skipped == 0);
    CHECK(r->bytes == 16);
    CHECK(listing(tmp / "dest") ==
          "bin d493\n"
          "bin/alias l:tool\n"
          "bin/data.txt f384:data\n"
          "bin/tool f493:#!/bin/sh\n\n"
          "bin/tool2 f493:#!/bin/sh\n\n"
          "empty f420:\n"
          "share d493\n"
          "share/doc d493\n"  // 0555 + owner write: an install can always be removed
          "share/doc/README f420:hi\n"
          "share/doc/tool l:../../bin/tool\n");
    struct stat a {
    }, b{};
    REQUIRE(::stat((tmp / "dest/bin/tool").c_str(), &a) == 0);
    REQUIRE(::stat((tmp / "dest/bin/tool2").c_str(), &b) == 0);
    CHECK(a.st_ino == b.st_ino);
}

TEST_CASE("extract: strip_components and prefix place a layer") {
    TempDir tmp;
    auto archive = make_archive(tmp / "wrapped.tar.gz",
                                "d('mytool-1.0')\n"
                                "d('mytool-1.0/bin')\n"
                                "f('mytool-1.0/bin/tool', b'x', 0o755)\n"
                                "h('mytool-1.0/bin/tool-link', 'mytool-1.0/bin/tool')\n"
                                "f('top-level-file', b'gone')\n",
                                "w:gz");
    SUBCASE("strip 1") {
        auto r = extract({layer(archive, 1)}, tmp / "dest");
        REQUIRE(r.ok());
        CHECK(r->skipped == 2);
        CHECK(listing(tmp / "dest") == "bin d493\nbin/tool f493:x\nbin/tool-link f493:x\n");
    }
    SUBCASE("strip 1 under a prefix") {
        auto r = extract({layer(archive, 1, "opt/mytool")}, tmp / "dest");
        REQUIRE(r.ok());
        CHECK(
            listing(tmp / "dest") ==
            "opt d493\nopt/mytool d493\nopt/mytool/bin d493\nopt/mytool/bin/tool f493:x\nopt/mytool/bin/tool-link f493:x\n");
    }
    SUBCASE("strip more than any member has: an empty package") {
        auto r = extract({layer(archive, 5)}, tmp / "dest");
        REQUIRE(r.ok());
        CHECK(r->skipped == 5);
        CHECK(listing(tmp / "dest").empty());
    }
    SUBCASE("a hardlink to a member stripped away is refused, naming the link as stored") {
        auto links = make_archive(tmp / "links.tar.xz", "f('top', b'x')\nd('d')\nh('d/hl', 'top')\n");
        auto r = extract({layer(links, 1)}, tmp / "dest");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message ==
              "layer 1: \"d/hl\": hardlink to \"top\", which is not a regular file extracted before it");
        CHECK_FALSE(fs::exists(tmp / "dest"));
    }
    SUBCASE("a prefix that leaves the package is refused") {
        auto r = extract({layer(archive, 0, "../up")}, tmp / "dest");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message == "layer 1: prefix \"../up\": path contains \"..\" (it would leave the package)");
        CHECK_FALSE(fs::exists(tmp / "dest"));
    }
}

TEST_CASE("extract: zstd and plain tar are read too") {
    TempDir tmp;
    write_file(tmp / "tree" / "bin" / "tool", "zz", 0755);
    REQUIRE(run("bsdtar --zstd -cf " + shell_quote(tmp / "t.tar.zst") + " -C " + shell_quote(tmp / "tree") + " .") == 0);
    REQUIRE(run("bsdtar -cf " + shell_quote(tmp / "t.tar") + " -C " + shell_quote(tmp / "tree") + " bin") == 0);
    auto z = extract({layer(tmp / "t.tar.zst")}, tmp / "z");
    REQUIRE(z.ok());
    CHECK(listing(tmp / "z") == "bin d493\nbin/tool f493:zz\n");
    auto p = extract({layer(tmp / "t.tar")}, tmp / "p");
    REQUIRE(p.ok());
    CHECK(listing(tmp / "p") == "bin d493\nbin/tool f493:zz\n");
}

TEST_CASE("extract: layers merge directories but never overlay files") {
    TempDir tmp;
    auto base = make_archive(tmp / "base.tar.xz", "d('bin')\nf('bin/a', b'a', 0o755)\n");
    auto more = make_archive(tmp / "more.tar.xz", "d('bin')\nf('bin/b', b'b', 0o755)\n");
    auto clash = make_archive(tmp / "clash.tar.xz", "f('bin/a', b'other')\n");
    SUBCASE("two layers, one bin/") {
        auto r = extract({layer(base), layer(more, 0, "", "layer 2")}, tmp / "dest");
        REQUIRE(r.ok());
        CHECK(listing(tmp / "dest") == "bin d493\nbin/a f493:a\nbin/b f493:b\n");
    }
    SUBCASE("the same file in two layers") {
        auto r = extract({layer(base), layer(clash, 0, "", "layer 2")}, tmp / "dest");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message == "layer 2: \"bin/a\": appears twice (as a file before)");
        CHECK_FALSE(fs::exists(tmp / "dest"));
    }
    SUBCASE("the same file twice in one layer") {
        CHECK(refusal(tmp, "f('x', b'1')\nf('x', b'2')\n") == "layer 1: \"x\": appears twice (as a file before)");
    }
    SUBCASE("a directory over a file") {
        CHECK(refusal(tmp, "f('x', b'1')\nd('x')\n") == "layer 1: \"x/\": appears twice (as a file before)");
    }
}

TEST_CASE("extract: paths that leave the package are refused and nothing is written") {
    TempDir tmp;
    SUBCASE("../x after a good member") {
        CHECK(refusal(tmp, "f('ok', b'fine')\nf('../x', b'evil')\n") ==
              "layer 1: \"../x\": path contains \"..\" (it would leave the package)");
        CHECK_FALSE(fs::exists(tmp / "x"));
    }
    SUBCASE("a/../../x") {
        CHECK(refusal(tmp, "f('a/../../x', b'evil')\n") ==
              "layer 1: \"a/../../x\": path contains \"..\" (it would leave the package)");
        CHECK_FALSE(fs::exists(tmp / "x"));
    }
    SUBCASE("an absolute path") {
        const std::string abs = (tmp / "abs-target").string();
        CHECK(refusal(tmp, "f('" + abs + "', b'evil')\n") == "layer 1: \"" + abs + "\": absolute path not allowed");
        CHECK_FALSE(fs::exists(tmp / "abs-target"));
    }
}

TEST_CASE("extract: links that leave the package are refused") {
    TempDir tmp;
    SUBCASE("symlink climbing out") {
        CHECK(refusal(tmp, "l('link', '../../etc')\n") == "layer 1: \"link\": symlink to \"../../etc\" leaves the package");
    }
    SUBCASE("symlink climbing out from a subdirectory") {
        CHECK(refusal(tmp, "d('sub')\nl('sub/link', '../..')\n") ==
              "layer 1: \"sub/link\": symlink to \"../..\" leaves the package");
    }
    SUBCASE("symlink to an absolute path") {
        CHECK(refusal(tmp, "l('passwd', '/etc/passwd')\n") ==
              "layer 1: \"passwd\": symlink to absolute path \"/etc/passwd\" not allowed");
    }
    SUBCASE("a chain of symlinks that escapes only when followed") {
        // a/up -> .. is the package root, and b -> a/up/.. looks like the root too, lexically;
        // followed, it is the root's parent.
        CHECK(refusal(tmp, "d('a')\nl('a/up', '..')\nl('b', 'a/up/..')\n") ==
              "layer 1: \"b\": symlink to \"a/up/..\" leaves the package through other symlinks");
    }
    SUBCASE("the chain of issue 17: d/l -> ., esc -> d/l/../.., esc/x") {
        CHECK(refusal(tmp, "d('d')\nl('d/l', '.')\nl('esc', 'd/l/../..')\nf('esc/x', b'out')\n") ==
              "layer 1: \"esc\": symlink to \"d/l/../..\" leaves the package through other symlinks");
    }
    SUBCASE("a chain a later link completes is caught after the last member") {
        CHECK(refusal(tmp, "l('esc', 'l/..')\nl('l', '.')\n") ==
              "\"esc\": symlink to \"l/..\" leaves the package through other symlinks");
    }
    SUBCASE("symlinks that loop") {
        CHECK(refusal(tmp, "l('x', 'y')\nl('y', 'x')\n") == "\"x\": symlink to \"y\" loops through other symlinks");
    }
    SUBCASE("a member written through a symlink") {
        CHECK(refusal(tmp, "d('real')\nl('d', 'real')\nf('d/x', b'through')\n") ==
              "layer 1: \"d/x\": lies under \"d\", which is a symlink");
    }
    SUBCASE("hardlink climbing out") {
        CHECK(refusal(tmp, "h('hl', '../outside')\n") ==
              "layer 1: \"hl\": hardlink to \"../outside\": path contains \"..\" (it would leave the package)");
    }
    SUBCASE("hardlink to an absolute path") {
        CHECK(refusal(tmp, "h('hl', '/etc/passwd')\n") ==
              "layer 1: \"hl\": hardlink to \"/etc/passwd\": absolute path not allowed");
    }
    SUBCASE("hardlink to something not extracted before") {
        CHECK(refusal(tmp, "h('hl', 'later')\nf('later', b'x')\n") ==
              "layer 1: \"hl\": hardlink to \"later\", which is not a regular file extracted before it");
    }
    SUBCASE("hardlink to a symlink") {
        CHECK(refusal(tmp, "f('f', b'x')\nl('s', 'f')\nh('hl', 's')\n") ==
              "layer 1: \"hl\": hardlink to \"s\", which is not a regular file extracted before it");
    }
}

TEST_CASE("extract: special files and privilege bits are refused") {
    TempDir tmp;
    SUBCASE("character device") {
        CHECK(refusal(tmp, "d('dev')\ndev('dev/null', 'chr')\n") == "layer 1: \"dev/null\": character device not allowed");
    }
    SUBCASE("block device") { CHECK(refusal(tmp, "dev('disk', 'blk')\n") == "layer 1: \"disk\": block device not allowed"); }
    SUBCASE("FIFO") { CHECK(refusal(tmp, "dev('pipe', 'fifo')\n") == "layer 1: \"pipe\": FIFO not allowed"); }
    SUBCASE("setuid file") {
        CHECK(refusal(tmp, "f('su', b'x', 0o4755)\n") == "layer 1: \"su\": setuid/setgid bit (mode 4755) not allowed");
    }
    SUBCASE("setgid file") {
        CHECK(refusal(tmp, "f('sg', b'x', 0o2711)\n") == "layer 1: \"sg\": setuid/setgid bit (mode 2711) not allowed");
    }
    SUBCASE("setgid directory") {
        CHECK(refusal(tmp, "d('shared', 0o2775)\n") == "layer 1: \"shared/\": setuid/setgid bit (mode 2775) not allowed");
    }
    SUBCASE("the sticky bit is dropped, not refused") {
        auto archive = make_archive(tmp / "sticky.tar.xz", "d('t', 0o1777)\n");
        auto r = extract({layer(archive)}, tmp / "dest");
        REQUIRE(r.ok());
        struct stat st {};
        REQUIRE(::stat((tmp / "dest/t").c_str(), &st) == 0);
        CHECK((st.st_mode & S_ISVTX) == 0);
    }
}

TEST_CASE("extract: unpack limits stop the extraction and leave nothing") {
    TempDir tmp;
    auto archive = make_archive(tmp / "three.tar.xz", "f('a', b'z' * 1000)\nf('b', b'z' * 1000)\nf('c', b'z' * 1000)\n");
    UnpackLimits bytes;
    bytes.max_bytes = 2500;
    auto r = extract({layer(archive)}, tmp / "dest", bytes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::data);
    CHECK(r.error().message ==
          "layer 1: \"c\": unpacks to more than 2500 bytes, the limit set (raise it with "
          "--max-unpacked-size or OCX_RELEASE_MAX_UNPACKED)");
    CHECK_FALSE(fs::exists(tmp / "dest"));
    SUBCASE("counted over all layers") {
        auto two = extract({layer(archive), layer(make_archive(tmp / "more.tar.xz", "f('d', b'z')\n"), 0, "", "layer 2")},
                           tmp / "dest", UnpackLimits{3000, 3});
        REQUIRE_FALSE(two.ok());
        CHECK(two.error().message ==
              "layer 2: \"d\": more than 3 members, the limit for unpacking (raise it with "
              "--max-entries or OCX_RELEASE_MAX_ENTRIES)");
        CHECK_FALSE(fs::exists(tmp / "dest"));
    }
    SUBCASE("at the limits it extracts") {
        auto ok = extract({layer(archive)}, tmp / "dest", UnpackLimits{3000, 3});
        REQUIRE(ok.ok());
        CHECK(ok->bytes == 3000);
    }
}

TEST_CASE("extract: broken input and a used destination") {
    TempDir tmp;
    SUBCASE("not an archive") {
        write_file(tmp / "junk.tar.xz", std::string(2000, 'j'));
        auto r = extract({layer(tmp / "junk.tar.xz")}, tmp / "dest");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message ==
              "layer 1: not a readable tar archive (xz, gzip, zstd or plain): Unrecognized archive format");
        CHECK_FALSE(fs::exists(tmp / "dest"));
    }
    SUBCASE("a truncated xz stream") {
        auto archive = make_archive(tmp / "t.tar.xz", "f('a', os.urandom(300000))\nf('b', os.urandom(300000))\n");
        std::string bytes = read_file(archive);
        write_file(archive, bytes.substr(0, bytes.size() / 4));
        auto r = extract({layer(archive)}, tmp / "dest");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        // The rest of the text is liblzma's, through libarchive.
        CHECK(r.error().message.starts_with("layer 1: \"a\": cannot read its content: "));
        CHECK_FALSE(fs::exists(tmp / "dest"));
    }
    SUBCASE("the destination exists already") {
        auto archive = make_archive(tmp / "ok.tar.xz", "f('a', b'1')\n");
        fs::create_directories(tmp / "dest");
        auto r = extract({layer(archive)}, tmp / "dest");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::io);
        CHECK(r.error().message == "cannot extract into " + (tmp / "dest").string() + ": it already exists");
        CHECK(fs::exists(tmp / "dest"));  // not ours to remove
    }
}
