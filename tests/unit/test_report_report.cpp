#include <doctest/doctest.h>

#include "report/report.hpp"
#include "util/redact.hpp"

using namespace ocx;
using namespace ocx::report;

namespace {
Digest d(char c) { return *Digest::parse("sha256:" + std::string(64, c)); }

Report sample() {
    Report r;
    r.status = report::Status::published;
    r.package = "reg.example/acme/tool";
    r.tag = "1.2.3";
    r.index = IndexInfo{d('1'), 655, "reg.example/acme/tool@" + d('1').str()};
    PlatformResult p;
    p.platform = "linux/amd64+libc.glibc";
    p.archives.push_back({"dist/tool.tar.xz", d('2'), 123, true});
    p.config = {d('3'), 155};
    p.manifest = {d('4'), 452};
    p.canonical_tag = d('4').canonical_tag();
    p.blobs = {1, 1, 0, 123};
    p.pushed = true;
    r.platforms.push_back(p);
    r.tags.push_back({"1.2.3", TagKind::primary, std::nullopt, d('1'), TagAction::created, {}, {}, ""});
    r.tags.push_back({"latest",
                      TagKind::cascade,
                      d('5'),
                      d('5'),
                      TagAction::blocked,
                      {"2.0.0"},
                      {"linux/amd64+libc.glibc"},
                      "blocked by 2.0.0"});
    return r;
}
}  // namespace

TEST_CASE("report JSON keeps the documented key order and round trips") {
    Report r = sample();
    std::string json = to_json(r);
    CHECK(json.rfind("{\n  \"schema\": 1,\n  \"status\": \"published\",\n  \"dry_run\": false,\n  \"package\": ", 0) == 0);
    CHECK(json.find("\"before\": null") != std::string::npos);
    auto back = parse(json, "r.json");
    REQUIRE(back.ok());
    CHECK(to_json(*back) == json);
    CHECK(back->tags[1].blocked_by == std::vector<std::string>{"2.0.0"});
    CHECK(back->platforms[0].archives[0].created);
}

TEST_CASE("a platform without a canonical tag (canonical_tags: false) reads back") {
    Report r = sample();
    r.platforms[0].canonical_tag.clear();
    std::string json = to_json(r);
    CHECK(json.find("\"canonical_tag\": null") != std::string::npos);
    auto back = parse(json, "part.json");
    REQUIRE(back.ok());
    CHECK(back->platforms[0].canonical_tag.empty());
}

TEST_CASE("a tag kind is primary, cascade or alias (canonical tags are in platforms[].canonical_tag)") {
    std::string json = to_json(sample());
    const std::string cascade = "\"kind\": \"cascade\"";
    REQUIRE(json.find(cascade) != std::string::npos);
    json.replace(json.find(cascade), cascade.size(), "\"kind\": \"canonical\"");
    auto bad = parse(json, "r.json");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "r.json:/tags/1/kind: unknown kind \"canonical\"");
}

TEST_CASE("malformed reports name the file and path") {
    auto bad =
        parse(R"({"schema":1,"status":"done","dry_run":false,"package":"p","tag":"t","platforms":[{"platform":"x"}]})",
              "r.json");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message ==
          "r.json:/status: unknown status \"done\"\n"
          "r.json:/platforms/0/config: required key is missing\n"
          "r.json:/platforms/0/manifest: required key is missing");
}

TEST_CASE("exit codes follow the first error") {
    Report r = sample();
    CHECK(exit_code_for(r) == 0);
    r.status = report::Status::failed;
    r.errors.push_back({"tag 1.2", "auth", "denied"});
    CHECK(exit_code_for(r) == 80);
    r.errors.front().kind = "bogus";
    CHECK(exit_code_for(r) == 69);
}

TEST_CASE("secrets never reach the report") {
    register_secret("hunter2-very-secret");
    Report r = sample();
    r.status = report::Status::failed;
    r.errors.push_back({"push", "auth", "login as bob:hunter2-very-secret failed at https://bob:pw@reg.example/v2/"});
    std::string json = to_json(r);
    CHECK(json.find("hunter2-very-secret") == std::string::npos);
    CHECK(json.find("bob:pw@") == std::string::npos);
}

TEST_CASE("a GitLab dotenv value with a line break is refused, not changed") {
    CHECK(report::check_dotenv_value("OCX_RELEASE_REPORT", "/tmp/out dir/report.json").ok());
    for (std::string_view value : {"/tmp/a\nOCX_RELEASE_STATUS=published", "/tmp/a\rb"}) {
        CAPTURE(value);
        const auto s = report::check_dotenv_value("OCX_RELEASE_REPORT", value);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().kind == ErrorKind::usage);
    }
    CHECK(report::check_dotenv_value("OCX_RELEASE_REPORT", "/tmp/a\nb").error().message ==
          "\"/tmp/a\\nb\" holds a line break, which the GitLab dotenv value OCX_RELEASE_REPORT cannot carry (GitLab "
          "reads one KEY=VALUE per line, with no quoting or escapes)");
}

TEST_CASE("attachments: written after errors, read back, absent when none") {
    Report r = sample();
    CHECK(to_json(r).find("attachments") == std::string::npos);
    r.attachments.push_back(
        {"sbom", "application/vnd.cyclonedx+json", d('6'), d('4'), "linux/amd64+libc.glibc", false, "attached"});
    r.attachments.push_back(
        {"signature", "application/vnd.dev.sigstore.bundle.v0.3+json", std::nullopt, d('1'), "", true, "planned"});
    const std::string text = to_json(r);
    CHECK(text.find("\"errors\"") < text.find("\"attachments\""));
    CHECK(text.find("\"platform\": null") != std::string::npos);
    auto back = parse(text, "r.json");
    REQUIRE(back.ok());
    REQUIRE(back->attachments.size() == 2);
    CHECK(back->attachments[0].digest == d('6'));
    CHECK(back->attachments[0].platform == "linux/amd64+libc.glibc");
    CHECK_FALSE(back->attachments[1].digest.has_value());
    CHECK(back->attachments[1].platform.empty());
    CHECK(back->attachments[1].signed_);
    CHECK(to_json(*back) == text);
}
