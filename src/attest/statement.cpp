// in-toto Statement v1 and the SLSA v1 provenance predicate (docs/wire-format.md §7). The fields
// follow slsa.dev/spec/v1.0/provenance: buildDefinition {buildType, externalParameters,
// internalParameters, resolvedDependencies}, runDetails {builder {id, version}, metadata
// {invocationId}}. No timestamps: the same release in the same run gives the same statement.
#include "attest/statement.hpp"

#include <boost/json.hpp>

#include <tuple>

#include "util/escape.hpp"
#include "util/json.hpp"

namespace ocx::attest {

namespace bj = boost::json;

namespace {

constexpr std::size_t kMaxEnvValue = 2048;

enum class Form { url, commit, token };

bool plain_ascii(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
    return true;
}

bool is_hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

// An optional variable, checked: absent or empty -> "".
Result<std::string> read_var(const EnvGet& env, const std::string& name, Form form) {
    auto v = env(name);
    if (!v || v->empty()) return std::string();
    auto bad = [&](std::string_view why) {
        return make_error(ErrorKind::data,
                          "environment variable " + name + "=\"" + escape_text(*v, 200) + "\": " + std::string(why));
    };
    if (v->size() > kMaxEnvValue) return bad("longer than " + std::to_string(kMaxEnvValue) + " bytes");
    if (!plain_ascii(*v)) return bad("holds spaces, control characters or non-ASCII bytes");
    switch (form) {
        case Form::url:
            if (v->rfind("https://", 0) != 0 && v->rfind("http://", 0) != 0) return bad("not an http(s) URL");
            break;
        case Form::commit:
            if ((v->size() != 40 && v->size() != 64) || !is_hex(*v)) return bad("not a 40 or 64 digit lowercase hex commit");
            break;
        case Form::token: break;
    }
    return std::move(*v);
}

bool is_set(const EnvGet& env, const std::string& name, std::string_view value = {}) {
    auto v = env(name);
    return v && !v->empty() && (value.empty() || *v == value);
}

std::string trim_slash(std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

}  // namespace

Result<std::string> in_toto_statement(const std::vector<StatementSubject>& subjects, std::string_view predicate_type,
                                      std::string_view predicate_json) {
    auto predicate = json::parse(predicate_json, "predicate");
    if (!predicate) return std::move(predicate).error();
    bj::array subj;
    for (const auto& s : subjects)
        subj.push_back(bj::object{{"name", s.name}, {"digest", bj::object{{"sha256", s.digest.hex()}}}});
    bj::object st;
    st["_type"] = kStatementType;
    st["subject"] = std::move(subj);
    st["predicateType"] = predicate_type;
    st["predicate"] = std::move(*predicate);
    return bj::serialize(st);
}

Result<CiEnvironment> detect_ci(const EnvGet& env) {
    CiEnvironment ci;
    // Reads a list of (field, variable, form) and stops at the first refusal.
    auto read_all = [&](std::initializer_list<std::tuple<std::string*, const char*, Form>> vars) -> Status {
        for (const auto& [field, name, form] : vars) {
            auto v = read_var(env, name, form);
            if (!v) return std::move(v).error();
            *field = std::move(*v);
        }
        return {};
    };
    if (is_set(env, "GITHUB_ACTIONS", "true")) {
        ci.system = "github-actions";
        std::string server, repo, run, attempt, workflow_ref, ref;
        if (auto s = read_all({{&server, "GITHUB_SERVER_URL", Form::url},
                               {&repo, "GITHUB_REPOSITORY", Form::token},
                               {&run, "GITHUB_RUN_ID", Form::token},
                               {&attempt, "GITHUB_RUN_ATTEMPT", Form::token},
                               {&workflow_ref, "GITHUB_WORKFLOW_REF", Form::token},
                               {&ref, "GITHUB_REF", Form::token},
                               {&ci.source_commit, "GITHUB_SHA", Form::commit}});
            !s)
            return std::move(s).error();
        server = trim_slash(server);
        ci.builder_id = server + "/" + (workflow_ref.empty() ? repo : workflow_ref);
        if (!repo.empty() && !run.empty())
            ci.invocation_id =
                server + "/" + repo + "/actions/runs/" + run + (attempt.empty() ? "" : "/attempts/" + attempt);
        if (!repo.empty()) ci.source_uri = "git+" + server + "/" + repo + (ref.empty() ? "" : "@" + ref);
        return ci;
    }
    if (is_set(env, "GITLAB_CI", "true")) {
        ci.system = "gitlab-ci";
        std::string server, project, ref;
        if (auto s = read_all({{&server, "CI_SERVER_URL", Form::url},
                               {&project, "CI_PROJECT_URL", Form::url},
                               {&ci.invocation_id, "CI_JOB_URL", Form::url},
                               {&ref, "CI_COMMIT_REF_NAME", Form::token},
                               {&ci.source_commit, "CI_COMMIT_SHA", Form::commit}});
            !s)
            return std::move(s).error();
        ci.builder_id = server.empty() ? "urn:ocx-release:gitlab-ci" : trim_slash(server);
        if (!project.empty()) ci.source_uri = "git+" + project + (ref.empty() ? "" : "@" + ref);
        return ci;
    }
    if (is_set(env, "JENKINS_URL")) {
        ci.system = "jenkins";
        std::string server, git, branch;
        if (auto s = read_all({{&server, "JENKINS_URL", Form::url},
                               {&ci.invocation_id, "BUILD_URL", Form::url},
                               {&git, "GIT_URL", Form::token},
                               {&branch, "GIT_BRANCH", Form::token},
                               {&ci.source_commit, "GIT_COMMIT", Form::commit}});
            !s)
            return std::move(s).error();
        ci.builder_id = trim_slash(server);
        if (!git.empty()) ci.source_uri = "git+" + git + (branch.empty() ? "" : "@" + branch);
        return ci;
    }
    ci.system = "local";
    ci.builder_id = "urn:ocx-release:local";
    return ci;
}

std::string slsa_provenance(const ProvenanceInputs& inputs, const CiEnvironment& ci) {
    bj::array platforms;
    for (const auto& p : inputs.platforms) platforms.push_back(bj::string(p));
    bj::object external{{"package", inputs.package}, {"tag", inputs.tag}, {"platforms", std::move(platforms)}};
    bj::array deps;
    if (!ci.source_uri.empty()) {
        bj::object dep{{"uri", ci.source_uri}};
        if (!ci.source_commit.empty()) dep["digest"] = bj::object{{"gitCommit", ci.source_commit}};
        deps.push_back(std::move(dep));
    }
    bj::object build{{"buildType", kBuildType},
                     {"externalParameters", std::move(external)},
                     {"internalParameters", bj::object{{"ci", ci.system}}},
                     {"resolvedDependencies", std::move(deps)}};
    bj::object builder{{"id", ci.builder_id}, {"version", bj::object{{"ocx-release", inputs.tool_version}}}};
    bj::object run{{"builder", std::move(builder)}};
    if (!ci.invocation_id.empty()) run["metadata"] = bj::object{{"invocationId", ci.invocation_id}};
    bj::object predicate{{"buildDefinition", std::move(build)}, {"runDetails", std::move(run)}};
    return bj::serialize(predicate);
}

}  // namespace ocx::attest
