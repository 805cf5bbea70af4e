#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "bundle/bundle.hpp"
#include "test_bundle_support.hpp"

using namespace ocx;
using namespace ocx::bundle;
using namespace ocx::bundle::test;

namespace {

// One member of the test tree: 'f' file (content), 'x' executable file, 'd' directory, 'l' symlink (target).
struct Spec {
    std::string path;
    char kind;
    std::string data;
};

std::string pseudo_random_text(std::size_t size, std::uint32_t seed) {
    std::string out;
    out.reserve(size);
    std::uint32_t state = seed;
    while (out.size() < size) {
        state = state * 1664525u + 1013904223u;
        out += static_cast<char>('a' + (state >> 24) % 20);
        if ((state & 0xF) == 0) out += '\n';
    }
    out.resize(size);
    return out;
}

const std::vector<Spec>& tree_spec() {
    static const std::vector<Spec> spec = {
        {"bin", 'd', ""},
        {"bin/mytool", 'x', "#!/bin/sh\necho mytool\n"},
        {"bin/helper", 'x', "#!/bin/sh\necho helper\n"},
        {"lib", 'd', ""},
        {"lib/libfoo.so.1", 'f', pseudo_random_text(300'000, 7)},
        {"lib/libfoo.so", 'l', "libfoo.so.1"},
        {"share", 'd', ""},
        {"share/doc", 'd', ""},
        {"share/doc/README", 'f', "read me\n"},
        {"share/empty", 'd', ""},
        {"share/mytool", 'l', "../bin/mytool"},
        {"etc", 'd', ""},
        {"etc/config.json", 'f', "{}\n"},
        {"etc/empty.txt", 'f', ""},
    };
    return spec;
}

struct Variant {
    bool reverse = false;  // create members in reverse order (changes directory order)
    mode_t umask = 022;
    std::int64_t mtime = 1'000'000'000;
    bool chown_to_other = false;
};

void build_tree(const fs::path& root, const Variant& v) {
    std::vector<Spec> spec = tree_spec();
    if (v.reverse) std::reverse(spec.begin(), spec.end());
    const mode_t old_umask = ::umask(v.umask);
    fs::create_directories(root);
    for (const Spec& s : spec) {
        const fs::path p = root / s.path;
        fs::create_directories(p.parent_path());
        if (s.kind == 'd') {
            fs::create_directories(p);
        } else if (s.kind == 'l') {
            fs::create_symlink(s.data, p);
        } else {
            const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, s.kind == 'x' ? 0777 : 0666);
            REQUIRE(fd >= 0);
            REQUIRE(::write(fd, s.data.data(), s.data.size()) == static_cast<ssize_t>(s.data.size()));
            ::close(fd);
        }
    }
    ::umask(old_umask);
    std::int64_t t = v.mtime;
    for (const Spec& s : spec) {
        const fs::path p = root / s.path;
        const timespec times[2] = {{static_cast<time_t>(t), 0}, {static_cast<time_t>(t), 123456789}};
        ::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW);
        t += 3607;
        if (v.chown_to_other && ::geteuid() == 0) REQUIRE(::lchown(p.c_str(), 1234, 5678) == 0);
    }
}

BundleOptions opts(fs::path source, fs::path output, Level level = Level::default_, unsigned threads = 0,
                   bool overwrite = false, std::optional<std::int64_t> mtime = {}) {
    BundleOptions o;
    o.source = std::move(source);
    o.output = std::move(output);
    o.level = level;
    o.threads = threads;
    o.overwrite = overwrite;
    o.mtime = mtime;
    return o;
}

BundleResult bundle_ok(BundleOptions options) {
    auto r = create(options);
    if (!r.ok()) FAIL(r.error().message);
    return *r;
}

std::string listing(const fs::path& archive) {
    std::string out;
    REQUIRE(run("TZ=UTC tar --numeric-owner -tvJf " + shell_quote(archive), &out) == 0);
    return out;
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

class EnvVar {
public:
    EnvVar(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value != nullptr)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~EnvVar() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("create: the same tree gives the same bytes whatever mtimes, owners, umask, order and threads") {
    TempDir tmp;
    EnvVar epoch("SOURCE_DATE_EPOCH", nullptr);
    build_tree(tmp / "a", Variant{});
    build_tree(tmp / "b", Variant{true, 077, 1'600'000'000, true});
    std::uint64_t input_bytes = 300'000 + 2 * 22 + 8 + 3;
    for (Level level : {Level::default_, Level::fast}) {
        CAPTURE(static_cast<int>(level));
        if (level == Level::fast) {
            // 5 MiB more make the fast level (4 MiB blocks) write two blocks, so threads share work.
            write_file(tmp / "a" / "lib" / "big.bin", pseudo_random_text(5 << 20, 99));
            write_file(tmp / "b" / "lib" / "big.bin", pseudo_random_text(5 << 20, 99), 0600);
            input_bytes += 5 << 20;
        }
        const BundleResult one = bundle_ok(opts(tmp / "a", tmp / "out" / "one.tar.xz", level, 1, true));
        const BundleResult two = bundle_ok(opts(tmp / "b", tmp / "out" / "two.tar.xz", level, 2, true));
        const BundleResult all = bundle_ok(opts(tmp / "b", tmp / "out" / "all.tar.xz", level, 0, true));
        CHECK(one.digest == two.digest);
        CHECK(one.digest == all.digest);
        const std::string bytes = read_file(one.path);
        CHECK(read_file(two.path) == bytes);
        CHECK(read_file(all.path) == bytes);
        // The result describes exactly what was written, computed while writing.
        CHECK(one.digest == Digest::of(bytes));
        CHECK(one.size == bytes.size());
        CHECK(one.entries == tree_spec().size() + (level == Level::fast ? 1 : 0));
        CHECK(one.input_bytes == input_bytes);
        if (level == Level::fast) {
            std::string info;
            REQUIRE(run("xz --robot -l " + shell_quote(one.path), &info) == 0);
            CHECK(info.find("\ntotals\t1\t2\t") != std::string::npos);  // two blocks
        }
    }
    CHECK(names_in(tmp / "out") == std::vector<std::string>{"all.tar.xz", "one.tar.xz", "two.tar.xz"});
}

TEST_CASE("create: GNU tar and bsdtar extract exactly the source tree") {
    TempDir tmp;
    EnvVar epoch("SOURCE_DATE_EPOCH", nullptr);
    build_tree(tmp / "src", Variant{true, 077, 1'600'000'000, true});
    write_file(tmp / "src" / "d\xC3\xA9j\xC3\xA0" / (std::string(120, 'n') + ".txt"), "long and non-ASCII", 0640);
    const BundleResult r = bundle_ok(opts(tmp / "src", tmp / "pkg.tar.xz", Level::default_, 0, false));
    const auto expected = describe(tmp / "src", true);
    REQUIRE(expected.count("share/empty") == 1);
    REQUIRE(expected.at("lib/libfoo.so") == "l:libfoo.so.1");

    fs::create_directories(tmp / "gnu");
    fs::create_directories(tmp / "bsd");
    REQUIRE(run("LC_ALL=C.UTF-8 tar --same-permissions -xJf " + shell_quote(r.path) + " -C " + shell_quote(tmp / "gnu")) ==
            0);
    REQUIRE(run("LC_ALL=C.UTF-8 bsdtar -xpf " + shell_quote(r.path) + " -C " + shell_quote(tmp / "bsd")) == 0);
    CHECK(describe(tmp / "gnu", false) == expected);
    CHECK(describe(tmp / "bsd", false) == expected);
    struct stat st {};
    REQUIRE(::lstat((tmp / "gnu" / "bin" / "mytool").c_str(), &st) == 0);
    CHECK(st.st_mtime == 0);
    CHECK(listing(r.path).find("-rwxr-xr-x 0/0              22 1970-01-01 00:00 bin/helper\n") != std::string::npos);
}

TEST_CASE("create: a single file is archived under its own name") {
    TempDir tmp;
    write_file(tmp / "build" / "mytool", "binary", 0700);
    const BundleResult r = bundle_ok(opts(tmp / "build" / "mytool", tmp / "mytool.tar.xz", Level::fast, 1, false, 42));
    CHECK(r.entries == 1);
    CHECK(r.input_bytes == 6);
    CHECK(listing(r.path) == "-rwxr-xr-x 0/0               6 1970-01-01 00:00 mytool\n");
}

TEST_CASE("create: mtime comes from the options, else SOURCE_DATE_EPOCH, else 0") {
    TempDir tmp;
    write_file(tmp / "src" / "f", "x");
    auto mtime_listed = [&](std::optional<std::int64_t> mtime) {
        bundle_ok(opts(tmp / "src", tmp / "p.tar.xz", Level::fast, 1, true, mtime));
        return listing(tmp / "p.tar.xz");
    };
    SUBCASE("unset") {
        EnvVar epoch("SOURCE_DATE_EPOCH", nullptr);
        CHECK(mtime_listed({}) == "-rw-r--r-- 0/0               1 1970-01-01 00:00 f\n");
    }
    SUBCASE("empty counts as unset") {
        EnvVar epoch("SOURCE_DATE_EPOCH", "");
        CHECK(mtime_listed({}) == "-rw-r--r-- 0/0               1 1970-01-01 00:00 f\n");
    }
    SUBCASE("set") {
        EnvVar epoch("SOURCE_DATE_EPOCH", "1700000000");
        CHECK(mtime_listed({}) == "-rw-r--r-- 0/0               1 2023-11-14 22:13 f\n");
        CHECK(mtime_listed(86400) == "-rw-r--r-- 0/0               1 1970-01-02 00:00 f\n");
    }
    SUBCASE("malformed") {
        EnvVar epoch("SOURCE_DATE_EPOCH", "1700000000.5");
        auto r = create(opts(tmp / "src", tmp / "p.tar.xz", Level::fast, 1, true));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::usage);
        CHECK(r.error().message == "SOURCE_DATE_EPOCH=\"1700000000.5\" is not a whole number of seconds");
    }
}

TEST_CASE("create: refusals happen before anything is written") {
    TempDir tmp;
    EnvVar epoch("SOURCE_DATE_EPOCH", nullptr);
    const fs::path src = tmp / "src";
    write_file(src / "bin" / "tool", "t", 0755);
    auto refused = [](const BundleOptions& options, ErrorKind kind) {
        auto r = create(options);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == kind);
        return r.error().message;
    };
    SUBCASE("an invalid tree: no output directory, no file") {
        fs::create_symlink("../../etc", src / "bin" / "etc");
        CHECK(refused(opts(src, tmp / "out" / "p.tar.xz"), ErrorKind::data) ==
              "\"bin/etc\": symlink to \"../../etc\" leaves the package");
        CHECK_FALSE(fs::exists(tmp / "out"));
    }
    SUBCASE("a missing source") {
        CHECK(refused(opts(tmp / "nope", tmp / "out" / "p.tar.xz"), ErrorKind::not_found) ==
              "source \"" + (tmp / "nope").string() + "\" does not exist");
        CHECK_FALSE(fs::exists(tmp / "out"));
    }
    SUBCASE("an existing output needs overwrite") {
        write_file(tmp / "p.tar.xz", "old");
        CHECK(refused(opts(src, tmp / "p.tar.xz"), ErrorKind::data) ==
              (tmp / "p.tar.xz").string() + " already exists (use -f to overwrite)");
        CHECK(read_file(tmp / "p.tar.xz") == "old");
        BundleOptions options = opts(src, tmp / "p.tar.xz");
        options.overwrite = true;
        const BundleResult r = bundle_ok(options);
        CHECK(read_file(tmp / "p.tar.xz") != "old");
        CHECK(r.digest == Digest::of(read_file(tmp / "p.tar.xz")));
    }
    SUBCASE("an output that is a directory") {
        fs::create_directories(tmp / "p.tar.xz");
        BundleOptions options = opts(src, tmp / "p.tar.xz");
        options.overwrite = true;
        CHECK(refused(options, ErrorKind::data) == (tmp / "p.tar.xz").string() + " is a directory");
    }
    SUBCASE("an output inside the source, also through a symlink") {
        CHECK(refused(opts(src, src / "dist" / "p.tar.xz"), ErrorKind::data) ==
              "output \"dist/p.tar.xz\" is inside the source; the bundle would archive itself");
        fs::create_symlink(src / "bin", tmp / "alias");
        CHECK(refused(opts(src, tmp / "alias" / "p.tar.xz"), ErrorKind::data) ==
              "output \"bin/p.tar.xz\" is inside the source; the bundle would archive itself");
        CHECK_FALSE(fs::exists(src / "dist"));
        CHECK(names_in(src / "bin") == std::vector<std::string>{"tool"});
    }
    SUBCASE("an output next to the source with a similar name is fine") {
        bundle_ok(opts(src, tmp / "src-dist" / "p.tar.xz"));
        CHECK(fs::exists(tmp / "src-dist" / "p.tar.xz"));
    }
    SUBCASE("a single-file source as its own output") {
        BundleOptions options = opts(src / "bin" / "tool", src / "bin" / "tool");
        options.overwrite = true;
        CHECK(refused(options, ErrorKind::data) == "output \"tool\" is the source file");
        CHECK(read_file(src / "bin" / "tool") == "t");
    }
}

TEST_CASE("create: a failure while writing leaves nothing behind") {
    TempDir tmp;
    EnvVar epoch("SOURCE_DATE_EPOCH", nullptr);
    write_file(tmp / "src" / "a", pseudo_random_text(3 << 20, 1));
    write_file(tmp / "src" / "b", "short");
    fs::create_directories(tmp / "out");
    BundleOptions options = opts(tmp / "src", tmp / "out" / "p.tar.xz");
    options.level = Level::fast;
    // "b" grows after scan() measured it, while "a" is being read.
    options.progress = [&](std::uint64_t, std::uint64_t) { std::ofstream(tmp / "src" / "b", std::ios::app) << "longer"; };
    auto r = create(options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::io);
    CHECK(r.error().message == "\"b\" changed while it was being bundled");
    CHECK(names_in(tmp / "out").empty());
}

TEST_CASE("create: progress reports input and output bytes") {
    TempDir tmp;
    write_file(tmp / "src" / "a", pseudo_random_text(3 << 20, 1));
    std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
    BundleOptions options = opts(tmp / "src", tmp / "p.tar.xz");
    options.level = Level::fast;
    options.progress = [&](std::uint64_t in, std::uint64_t out) { calls.emplace_back(in, out); };
    const BundleResult r = bundle_ok(options);
    REQUIRE(calls.size() >= 3);  // 1 MiB reads, then the final call
    CHECK(calls.front().first == 1 << 20);
    CHECK(calls.back() == std::make_pair(r.input_bytes, r.size));
    CHECK(std::is_sorted(calls.begin(), calls.end()));
}
