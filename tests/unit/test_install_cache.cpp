#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>

#include "bundle/bundle.hpp"
#include "fake_target.hpp"
#include "install/cache.hpp"
#include "publish/push.hpp"
#include "test_bundle_support.hpp"

using namespace ocx;
using namespace ocx::install;
using ocx::bundle::test::read_file;
using ocx::bundle::test::TempDir;
using ocx::bundle::test::write_file;
namespace fs = std::filesystem;

namespace {

// Sets environment variables for one scope and puts the old values back.
class EnvOverride {
public:
    void set(const char* name, const char* value) {
        if (saved_.count(name) == 0) {
            const char* old = std::getenv(name);
            saved_[name] = old != nullptr ? std::optional<std::string>(old) : std::nullopt;
        }
        if (value != nullptr)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~EnvOverride() {
        for (const auto& [name, value] : saved_) {
            if (value)
                ::setenv(name.c_str(), value->c_str(), 1);
            else
                ::unsetenv(name.c_str());
        }
    }

private:
    std::map<std::string, std::optional<std::string>> saved_;
};

Resolved pushed_package(testing::FakeTarget& t, const TempDir& tmp) {
    write_file(tmp / "src" / "bin" / "tool", "#!/bin/sh\necho cached\n", 0755);
    bundle::BundleOptions o;
    o.source = tmp / "src";
    o.output = tmp / "tool.tar.xz";
    REQUIRE(bundle::create(o).ok());
    publish::PlatformContent c;
    c.platform = *oci::Platform::parse("linux/amd64");
    c.layers.push_back(*publish::layer_from_archive(o.output));
    c.config = R"({"type":"bundle","version":1})";
    publish::PushOptions po;
    po.tag = "1.0.0";
    REQUIRE(publish::push_platform(t, "fake/repo", c, po).status == report::Status::published);
    auto r = resolve(t, "1.0.0", *oci::Platform::parse("linux/amd64"));
    REQUIRE(r.ok());
    return *r;
}

}  // namespace

TEST_CASE("cache: the root comes from OCX_RELEASE_CACHE, XDG_CACHE_HOME, then HOME") {
    EnvOverride env;
    env.set("OCX_RELEASE_CACHE", "/srv/ocx");
    env.set("XDG_CACHE_HOME", "/home/u/.xdg");
    env.set("HOME", "/home/u");
    CHECK(cache_root()->string() == "/srv/ocx/packages");
    env.set("OCX_RELEASE_CACHE", "");
    CHECK(cache_root()->string() == "/home/u/.xdg/ocx-release/packages");
    env.set("XDG_CACHE_HOME", nullptr);
    CHECK(cache_root()->string() == "/home/u/.cache/ocx-release/packages");
    env.set("HOME", nullptr);
    auto none = cache_root();
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().kind == ErrorKind::usage);
    CHECK(none.error().message == "no cache directory: set OCX_RELEASE_CACHE, XDG_CACHE_HOME or HOME");
    env.set("OCX_RELEASE_CACHE", "relative");
    CHECK(*cache_root() == (fs::current_path() / "relative/packages"));
}

TEST_CASE("cache: installed once per manifest digest, then reused without downloads") {
    TempDir tmp;
    testing::FakeTarget t;
    Resolved resolved = pushed_package(t, tmp);
    const fs::path root = tmp / "cache";

    auto first = ensure_cached(t, resolved, root);
    REQUIRE(first.ok());
    CHECK_FALSE(first->reused);
    CHECK(first->dir == root / resolved.digest.hex());
    CHECK(read_file(first->dir / "content/bin/tool") == "#!/bin/sh\necho cached\n");

    t.blobs.clear();  // a second run must not need them
    t.manifests.clear();
    auto second = ensure_cached(t, resolved, root);
    REQUIRE(second.ok());
    CHECK(second->reused);
    CHECK(second->dir == first->dir);
}

TEST_CASE("cache: an install that was cut short is done again") {
    TempDir tmp;
    testing::FakeTarget t;
    Resolved resolved = pushed_package(t, tmp);
    const fs::path root = tmp / "cache";
    write_file(root / resolved.digest.hex() / "content" / "half-written", "x", 0644);  // no metadata.json
    auto r = ensure_cached(t, resolved, root);
    REQUIRE(r.ok());
    CHECK_FALSE(r->reused);
    CHECK_FALSE(fs::exists(r->dir / "content/half-written"));
    CHECK(fs::exists(r->dir / "metadata.json"));
    CHECK(fs::exists(root / (resolved.digest.hex() + ".lock")));
}
