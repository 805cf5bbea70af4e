#include <doctest/doctest.h>

#include "install/select.hpp"
#include "oci/media_types.hpp"

using namespace ocx;
using namespace ocx::install;

namespace {

oci::Platform platform(const std::string& text) {
    auto p = oci::Platform::parse(text);
    REQUIRE(p.ok());
    return *p;
}

oci::IndexEntry entry(const std::string& platform_text, const std::string& payload) {
    oci::IndexEntry e;
    e.media_type = std::string(oci::kImageManifest);
    e.digest = Digest::of(payload);
    e.size = payload.size();
    if (!platform_text.empty()) e.platform = platform(platform_text);
    return e;
}

oci::IndexEntry foreign(const std::string& os, const std::string& arch, const std::string& payload) {
    oci::IndexEntry e = entry("", payload);
    e.platform = oci::Platform{os, arch, "", {}, ""};
    return e;
}

oci::ImageIndex index_of(std::vector<oci::IndexEntry> entries) {
    oci::ImageIndex idx;
    idx.manifests = std::move(entries);
    return idx;
}

// The payload of the chosen entry ("" when selection failed), so each check names the winner.
std::string chosen(const oci::ImageIndex& idx, const std::string& required, const std::vector<std::string>& payloads) {
    auto r = select_entry(idx, platform(required));
    if (!r.ok()) return "";
    for (const auto& p : payloads)
        if (Digest::of(p) == idx.manifests[*r].digest) return p;
    return "?";
}

}  // namespace

TEST_CASE("select: libc features pick glibc, musl or any") {
    auto idx =
        index_of({entry("linux/amd64+libc.glibc", "glibc"), entry("linux/amd64+libc.musl", "musl"), entry("any", "any")});
    const std::vector<std::string> names{"glibc", "musl", "any"};
    SUBCASE("a glibc host gets the glibc build") { CHECK(chosen(idx, "linux/amd64+libc.glibc", names) == "glibc"); }
    SUBCASE("a musl host gets the musl build") { CHECK(chosen(idx, "linux/amd64+libc.musl", names) == "musl"); }
    SUBCASE("a host with no detected libc gets the platform-agnostic package") {
        CHECK(chosen(idx, "linux/amd64", names) == "any");
    }
    SUBCASE("another os/arch falls back to any") { CHECK(chosen(idx, "darwin/arm64", names) == "any"); }
    SUBCASE("an `any` requirement only takes `any`") { CHECK(chosen(idx, "any", names) == "any"); }
}

TEST_CASE("select: a specific platform beats any; more matched features beat fewer") {
    const std::vector<std::string> names{"any", "plain", "glibc"};
    SUBCASE("specific without features over any") {
        auto idx = index_of({entry("any", "any"), entry("linux/arm64", "plain")});
        CHECK(chosen(idx, "linux/arm64+libc.glibc", names) == "plain");
    }
    SUBCASE("the entry naming the host's libc over the one naming none") {
        auto idx = index_of({entry("linux/arm64", "plain"), entry("linux/arm64+libc.glibc", "glibc"), entry("any", "any")});
        CHECK(chosen(idx, "linux/arm64+libc.glibc", names) == "glibc");
        CHECK(chosen(idx, "linux/arm64+libc.musl", names) == "plain");
    }
}

TEST_CASE("select: variants") {
    const std::vector<std::string> names{"v8", "plain", "v9"};
    auto idx = index_of({entry("linux/arm64", "plain"), entry("linux/arm64/v8", "v8")});
    SUBCASE("a declared variant that matches beats none") { CHECK(chosen(idx, "linux/arm64/v8", names) == "v8"); }
    SUBCASE("a declared variant that differs is not compatible") { CHECK(chosen(idx, "linux/arm64/v9", names) == "plain"); }
    SUBCASE("a requirement without variant does not take a variant entry") {
        CHECK(chosen(idx, "linux/arm64", names) == "plain");
    }
    SUBCASE("a variant outranks more features (OCX's order)") {
        auto v = index_of({entry("linux/arm64/v8", "v8"), entry("linux/arm64+libc.glibc", "glibc")});
        CHECK(chosen(v, "linux/arm64/v8+libc.glibc", {"v8", "glibc"}) == "v8");
    }
}

TEST_CASE("select: entries that are not candidates are ignored") {
    auto idx = index_of({entry("", "attestation"), foreign("unknown", "unknown", "unknown"), entry("linux/amd64", "amd64")});
    SUBCASE("platform-less and unknown/unknown entries never win, even over nothing") {
        CHECK(chosen(idx, "linux/amd64", {"attestation", "unknown", "amd64"}) == "amd64");
    }
    SUBCASE("and they are not listed when nothing matches") {
        auto r = select_entry(idx, platform("linux/arm64+libc.glibc"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::not_found);
        CHECK(r.error().message == "no manifest for linux/arm64+libc.glibc in the index; it has only linux/amd64");
    }
    SUBCASE("a nested index is not a platform manifest") {
        auto nested = entry("linux/arm64", "nested");
        nested.media_type = std::string(oci::kImageIndex);
        auto r = select_entry(index_of({nested}), platform("linux/arm64"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == "no manifest for linux/arm64 in the index; it has no platform entries");
    }
}

TEST_CASE("select: no match lists what the index has") {
    auto idx = index_of({entry("linux/amd64+libc.glibc", "glibc"), entry("linux/arm64+libc.musl", "musl"),
                         foreign("linux", "ppc64le", "ppc")});
    auto r = select_entry(idx, platform("linux/arm64+libc.glibc"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::not_found);
    CHECK(r.error().message ==
          "no manifest for linux/arm64+libc.glibc in the index; it has only linux/amd64+libc.glibc, "
          "linux/arm64+libc.musl, linux/ppc64le");
}

TEST_CASE("select: a tie at the top is ambiguous") {
    SUBCASE("a dual-libc host and two libc builds") {
        auto idx = index_of({entry("linux/amd64+libc.glibc", "glibc"), entry("linux/amd64+libc.musl", "musl")});
        auto r = select_entry(idx, platform("linux/amd64+libc.glibc,libc.musl"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message ==
              "ambiguous: 2 manifests match linux/amd64+libc.glibc,libc.musl equally well: "
              "linux/amd64+libc.glibc (" +
                  Digest::of("glibc").str() + "), linux/amd64+libc.musl (" + Digest::of("musl").str() +
                  "); choose one with -p PLATFORM");
    }
    SUBCASE("the same platform twice") {
        auto idx = index_of({entry("linux/amd64", "one"), entry("linux/amd64", "two"), entry("any", "any")});
        auto r = select_entry(idx, platform("linux/amd64"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.starts_with("ambiguous: 2 manifests match linux/amd64 equally well: linux/amd64 ("));
    }
    SUBCASE("a lower tie does not matter when one entry scores higher") {
        auto idx =
            index_of({entry("linux/amd64", "one"), entry("linux/amd64", "two"), entry("linux/amd64+libc.glibc", "glibc")});
        CHECK(chosen(idx, "linux/amd64+libc.glibc", {"one", "two", "glibc"}) == "glibc");
    }
}

TEST_CASE("select: is_compatible and score directly") {
    CHECK(is_compatible(platform("linux/amd64+libc.glibc"), platform("linux/amd64")));
    CHECK_FALSE(is_compatible(platform("linux/amd64"), platform("linux/amd64+libc.glibc")));
    CHECK_FALSE(is_compatible(platform("linux/amd64"), platform("linux/arm64")));
    CHECK_FALSE(is_compatible(platform("linux/amd64"), platform("darwin/amd64")));
    CHECK(is_compatible(platform("windows/arm64"), platform("any")));
    CHECK_FALSE(is_compatible(platform("any"), platform("linux/amd64")));
    CHECK(score(platform("any")) < score(platform("linux/amd64")));
    CHECK(score(platform("linux/amd64+libc.glibc")) < score(platform("linux/arm64/v8")));
}

TEST_CASE("select: other os.features work like libc ones") {
    auto idx = index_of({entry("windows/amd64", "plain"), entry("windows/amd64+win32k", "win32k")});
    CHECK(chosen(idx, "windows/amd64+win32k", {"plain", "win32k"}) == "win32k");
    CHECK(chosen(idx, "windows/amd64", {"plain", "win32k"}) == "plain");
    CHECK(chosen(idx, "windows/amd64+libc.glibc", {"plain", "win32k"}) == "plain");
}
