// attest/statement.cpp and attest/sbom.cpp: the CI environment read as hostile input, the
// statement and provenance shapes, the SBOM's file list.
#include <doctest/doctest.h>

#include <map>

#include "attest/sbom.hpp"
#include "attest/statement.hpp"

namespace ocx::attest {

namespace {
EnvGet env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}
}  // namespace

TEST_CASE("CI environment: GitHub Actions, GitLab, Jenkins, local") {
    auto gh = detect_ci(env_of({{"GITHUB_ACTIONS", "true"},
                                {"GITHUB_SERVER_URL", "https://git.example"},
                                {"GITHUB_REPOSITORY", "acme/tool"},
                                {"GITHUB_RUN_ID", "42"},
                                {"GITHUB_RUN_ATTEMPT", "2"},
                                {"GITHUB_WORKFLOW_REF", "acme/tool/.github/workflows/release.yml@refs/tags/v1"},
                                {"GITHUB_REF", "refs/tags/v1"},
                                {"GITHUB_SHA", std::string(40, 'a')}}));
    REQUIRE(gh.ok());
    CHECK(gh->system == "github-actions");
    CHECK(gh->builder_id == "https://git.example/acme/tool/.github/workflows/release.yml@refs/tags/v1");
    CHECK(gh->invocation_id == "https://git.example/acme/tool/actions/runs/42/attempts/2");
    CHECK(gh->source_uri == "git+https://git.example/acme/tool@refs/tags/v1");

    auto gl = detect_ci(env_of({{"GITLAB_CI", "true"},
                                {"CI_SERVER_URL", "https://gl.example/"},
                                {"CI_JOB_URL", "https://gl.example/acme/tool/-/jobs/7"}}));
    REQUIRE(gl.ok());
    CHECK(gl->builder_id == "https://gl.example");
    CHECK(gl->invocation_id == "https://gl.example/acme/tool/-/jobs/7");

    auto jk = detect_ci(env_of({{"JENKINS_URL", "https://ci.example/"}, {"BUILD_URL", "https://ci.example/job/t/3/"}}));
    REQUIRE(jk.ok());
    CHECK(jk->system == "jenkins");

    auto local = detect_ci(env_of({}));
    REQUIRE(local.ok());
    CHECK(local->builder_id == "urn:ocx-release:local");
    CHECK(local->invocation_id.empty());
}

TEST_CASE("CI environment: a hostile value is refused naming the variable, shown escaped") {
    auto newline = detect_ci(env_of({{"GITHUB_ACTIONS", "true"}, {"GITHUB_SERVER_URL", "https://x\n::error::x"}}));
    REQUIRE_FALSE(newline.ok());
    CHECK(newline.error().kind == ErrorKind::data);
    CHECK(newline.error().message.rfind("environment variable GITHUB_SERVER_URL=\"https://x\\n", 0) == 0);
    CHECK(newline.error().message.find('\n') == std::string::npos);
    CHECK(newline.error().message.find("holds spaces, control characters or non-ASCII bytes") != std::string::npos);
    auto not_url = detect_ci(env_of({{"JENKINS_URL", "file:///etc/passwd"}}));
    REQUIRE_FALSE(not_url.ok());
    CHECK(not_url.error().message.find("not an http(s) URL") != std::string::npos);
    auto commit = detect_ci(env_of({{"GITLAB_CI", "true"}, {"CI_COMMIT_SHA", "main"}}));
    REQUIRE_FALSE(commit.ok());
    CHECK(commit.error().message.find("CI_COMMIT_SHA") != std::string::npos);
    auto too_long = detect_ci(env_of({{"GITHUB_ACTIONS", "true"}, {"GITHUB_REPOSITORY", std::string(3000, 'a')}}));
    REQUIRE_FALSE(too_long.ok());
    CHECK(too_long.error().message.find("longer than 2048 bytes") != std::string::npos);
}

TEST_CASE("statement: subjects and predicate in order") {
    const Digest d = Digest::of("x");
    auto st = in_toto_statement({{"reg.example/acme/t", d}}, kSlsaProvenance, R"({"a":1})");
    REQUIRE(st.ok());
    CHECK(*st ==
          R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"reg.example/acme/t","digest":{"sha256":")" +
              d.hex() + R"("}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"a":1}})");
    CHECK_FALSE(in_toto_statement({}, kSlsaProvenance, "{").ok());
}

TEST_CASE("SBOM: files sorted by path, the package as metadata component, no timestamp") {
    const std::string bom =
        cyclonedx_sbom({"reg.example/acme/t", "1.0.0", "linux/amd64"}, {{"b/x", Digest::of("2")}, {"a", Digest::of("1")}});
    CHECK(bom.find(R"("bomFormat":"CycloneDX","specVersion":"1.5","version":1)") != std::string::npos);
    CHECK(bom.find(R"({"type":"file","name":"a")") < bom.find(R"({"type":"file","name":"b/x")"));
    CHECK(bom.find(Digest::of("1").hex()) != std::string::npos);
    CHECK(bom.find("timestamp") == std::string::npos);
    CHECK(bom == cyclonedx_sbom({"reg.example/acme/t", "1.0.0", "linux/amd64"},
                                {{"a", Digest::of("1")}, {"b/x", Digest::of("2")}}));
}

}  // namespace ocx::attest
