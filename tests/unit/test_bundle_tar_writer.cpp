#include <doctest/doctest.h>

#include <clocale>
#include <string>

#include "bundle/tar_writer.hpp"
#include "test_bundle_support.hpp"

using namespace ocx;
using namespace ocx::bundle;
using namespace ocx::bundle::test;

namespace {

Entry dir_entry(std::string name) { return Entry{std::move(name), {}, EntryType::directory, 0755, 0, {}}; }
Entry file_entry(std::string name, std::string_view content, std::uint32_t mode = 0644) {
    return Entry{std::move(name), {}, EntryType::file, mode, content.size(), {}};
}
Entry link_entry(std::string name, std::string target) {
    return Entry{std::move(name), {}, EntryType::symlink, 0777, 0, std::move(target)};
}

struct Member {
    Entry entry;
    std::string content;
};

std::string write_tar(const std::vector<Member>& members, std::int64_t mtime = 0) {
    std::string out;
    auto tar = TarWriter::open([&out](const void* data, std::size_t size) -> Status {
        out.append(static_cast<const char*>(data), size);
        return {};
    });
    REQUIRE(tar.ok());
    for (const Member& m : members) {
        REQUIRE((*tar)->add(m.entry, mtime).ok());
        if (!m.content.empty()) REQUIRE((*tar)->write_data(m.content.data(), m.content.size()).ok());
    }
    REQUIRE((*tar)->close().ok());
    return out;
}

std::string list(const TempDir& tmp, const std::string& tar, const std::string& tool) {
    write_file(tmp / "t.tar", tar);
    std::string out;
    REQUIRE(run("TZ=UTC LC_ALL=C.UTF-8 " + tool + " " + shell_quote(tmp / "t.tar"), &out) == 0);
    return out;
}

std::string field(const std::string& tar, std::size_t header, std::size_t offset, std::size_t size) {
    return tar.substr(header * 512 + offset, size);
}

}  // namespace

TEST_CASE("tar members are plain ustar with fixed owner, mode and mtime") {
    TempDir tmp;
    const std::string tar = write_tar({{dir_entry("bin"), ""},
                                       {file_entry("bin/tool", "#!/bin/sh\n", 0755), "#!/bin/sh\n"},
                                       {link_entry("bin/alias", "tool"), ""},
                                       {dir_entry("share"), ""},
                                       {file_entry("share/readme", "hello"), "hello"}},
                                      1700000000);
    CHECK(tar.size() % 10240 == 0);
    CHECK(list(tmp, tar, "tar --numeric-owner -tvf") ==
          "drwxr-xr-x 0/0               0 2023-11-14 22:13 bin/\n"
          "-rwxr-xr-x 0/0              10 2023-11-14 22:13 bin/tool\n"
          "lrwxrwxrwx 0/0               0 2023-11-14 22:13 bin/alias -> tool\n"
          "drwxr-xr-x 0/0               0 2023-11-14 22:13 share/\n"
          "-rw-r--r-- 0/0               5 2023-11-14 22:13 share/readme\n");
    CHECK(list(tmp, tar, "bsdtar -tf") == "bin/\nbin/tool\nbin/alias\nshare/\nshare/readme\n");
    // First header: a ustar header (no pax header needed), empty user and group names.
    CHECK(field(tar, 0, 0, 5) == std::string("bin/\0", 5));
    CHECK(field(tar, 0, 156, 1) == "5");  // typeflag: directory
    CHECK(field(tar, 0, 257, 8) == std::string("ustar\0"
                                               "00",
                                               8));
    CHECK(field(tar, 0, 265, 32) == std::string(32, '\0'));  // uname
    CHECK(field(tar, 0, 297, 32) == std::string(32, '\0'));  // gname
}

TEST_CASE("tar uses pax records for long and non-ASCII names, whatever the process locale") {
    const std::string long_dir(120, 'd');
    const std::string long_name = long_dir + "/" + std::string(150, 'n');
    const std::string long_target = std::string(60, 'x') + "/" + std::string(60, 'y');
    const std::vector<Member> members = {{dir_entry(long_dir), ""},
                                         {file_entry(long_name, "L"), "L"},
                                         {dir_entry("d\xC3\xA9j\xC3\xA0"), ""},
                                         {file_entry("d\xC3\xA9j\xC3\xA0/f\xC3\xA9", "u"), "u"},
                                         {link_entry("far", long_target), ""}};
    const std::string previous = std::setlocale(LC_ALL, nullptr);
    std::setlocale(LC_ALL, "C");
    const std::string in_c = write_tar(members);
    std::setlocale(LC_ALL, "C.UTF-8");
    const std::string in_utf8 = write_tar(members);
    std::setlocale(LC_ALL, previous.c_str());
    CHECK(in_c == in_utf8);
    CHECK(in_c.find("hdrcharset") == std::string::npos);
    CHECK(field(in_c, 0, 156, 1) == "x");  // the 120-byte directory name needs a pax header

    TempDir tmp;
    const std::string expected = long_dir + "/\n" + long_name + "\nd\xC3\xA9j\xC3\xA0/\nd\xC3\xA9j\xC3\xA0/f\xC3\xA9\nfar\n";
    CHECK(list(tmp, in_c, "tar -tf") == expected);
    CHECK(list(tmp, in_c, "bsdtar -tf") == expected);
    std::string verbose = list(tmp, in_c, "tar -tvf");
    CHECK(verbose.find("far -> " + long_target + "\n") != std::string::npos);
}

TEST_CASE("tar reports the sink's error") {
    auto tar = TarWriter::open([](const void*, std::size_t) -> Status {
        return make_error(ErrorKind::io, "cannot write out.tar.xz: No space left on device");
    });
    REQUIRE(tar.ok());
    const std::string content(20000, 'z');  // more than one 10240-byte record reaches the sink
    Status s = (*tar)->add(file_entry("big", content), 0);
    if (s.ok()) s = (*tar)->write_data(content.data(), content.size());
    if (s.ok()) s = (*tar)->close();
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == ErrorKind::io);
    CHECK(s.error().message == "cannot write out.tar.xz: No space left on device");
}
