#pragma once
// in-toto Statement v1 (in-toto.io/Statement/v1) with a SLSA v1 provenance predicate
// (slsa.dev/provenance/v1), builder and invocation taken from the CI environment
// (docs/wire-format.md §7 "Attestation"). Environment values are outside text: each is bounded,
// checked for what it must be (a URL, a commit hash, a plain token) and refused otherwise, naming
// the variable. Pure: the environment comes in through a lookup function.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "digest/digest.hpp"
#include "util/result.hpp"

namespace ocx::attest {

inline constexpr std::string_view kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kSlsaProvenance = "https://slsa.dev/provenance/v1";
inline constexpr std::string_view kCycloneDxPredicate = "https://cyclonedx.org/bom";
inline constexpr std::string_view kBuildType = "urn:ocx-release:release:v1";

struct StatementSubject {
    std::string name;  // "<registry>/<repo>"
    Digest digest;
};

/// The Statement's bytes; `predicate_json` is a JSON object (our own serialization).
Result<std::string> in_toto_statement(const std::vector<StatementSubject>& subjects, std::string_view predicate_type,
                                      std::string_view predicate_json);

using EnvGet = std::function<std::optional<std::string>(const std::string& name)>;

/// Where the release runs, as the provenance names it.
struct CiEnvironment {
    std::string system;         // "github-actions", "gitlab-ci", "jenkins" or "local"
    std::string builder_id;     // URI
    std::string invocation_id;  // URI of the run, "" locally
    std::string source_uri;     // "git+<repository URL>@<ref>", "" when unknown
    std::string source_commit;  // hex commit, "" when unknown
};

/// Reads the CI variables (GitHub: GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID,
/// GITHUB_RUN_ATTEMPT, GITHUB_WORKFLOW_REF, GITHUB_REF, GITHUB_SHA; GitLab: CI_SERVER_URL,
/// CI_PROJECT_URL, CI_JOB_URL, CI_COMMIT_REF_NAME, CI_COMMIT_SHA; Jenkins: JENKINS_URL,
/// BUILD_URL, GIT_URL, GIT_BRANCH, GIT_COMMIT). A value too long or not of its form is
/// ErrorKind::data naming the variable (the value quoted escaped).
Result<CiEnvironment> detect_ci(const EnvGet& env);

struct ProvenanceInputs {
    std::string package;  // "registry/repo"
    std::string tag;
    std::vector<std::string> platforms;  // canonical platform strings, matrix order
    std::string tool_version;            // ocx-release's version
};

/// The SLSA v1 provenance predicate (a JSON object's bytes).
std::string slsa_provenance(const ProvenanceInputs& inputs, const CiEnvironment& ci);

}  // namespace ocx::attest
