// `ocx-release verify REPORT.json [--deep]` (docs/cli.md "Commands"): read a release back.
#include <boost/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/deep_verify.hpp"
#include "cli/limits.hpp"
#include "cli/target.hpp"
#include "publish/verify.hpp"
#include "publish/verify_attachments.hpp"
#include "util/escape.hpp"
#include "util/files.hpp"
#include "util/json.hpp"
#include "util/log.hpp"

namespace po = boost::program_options;

namespace ocx::cli {

namespace {
// --key PUB: the public key every signature is checked with, when given.
Result<std::optional<SigningKey>> read_key(const std::string& key_path) {
    std::optional<SigningKey> key;
    if (!key_path.empty()) {
        auto pem = read_file(key_path, 64 * 1024);
        if (!pem) return pem.error().context("--key");
        if (!*pem) return make_error(ErrorKind::usage, "--key " + escape_text(key_path) + ": no such file");
        auto k = SigningKey::public_from_pem(**pem, "--key " + escape_text(key_path));
        if (!k) return k.error();
        key = std::move(*k);
    }
    return key;
}

// The report to verify: it exists, parses, and describes a release rather than a plan.
Result<report::Report> read_report(const std::string& report_path) {
    auto text = read_file(report_path);
    if (!text) return text.error();
    if (!*text) return make_error(ErrorKind::not_found, report_path + ": no such report");
    auto rep = report::parse(**text, report_path);
    if (!rep) return rep.error();
    if (rep->dry_run || rep->status == report::Status::planned)
        return make_error(ErrorKind::data, report_path + ": a dry-run report describes a plan, not a release");
    return rep;
}

void log_superseded(const std::vector<publish::Superseded>& superseded) {
    for (const auto& s : superseded) {
        std::string by;
        for (const auto& v : s.by) by += (by.empty() ? "" : ", ") + v;
        log::info("tag " + s.tag + ": superseded by " + by + " (a newer version moved it on, as the cascade rules say)");
    }
}

// verify --format json: ok, checks, the problems and the superseded tags.
std::string verify_json(std::size_t checks, const std::vector<publish::VerifyProblem>& problems,
                        const std::vector<publish::Superseded>& superseded) {
    // null for a field a problem has no value for
    auto text_or_null = [](const std::string& s) { return s.empty() ? boost::json::value(nullptr) : boost::json::value(s); };
    boost::json::object o;
    o["ok"] = problems.empty();
    o["checks"] = checks;
    boost::json::array a;
    for (const auto& p : problems) {
        boost::json::object entry;
        entry["tag"] = text_or_null(p.tag);
        entry["platform"] = text_or_null(p.platform);
        entry["expected"] = text_or_null(p.expected);
        entry["found"] = text_or_null(p.found);
        entry["message"] = p.message;
        a.push_back(std::move(entry));
    }
    o["problems"] = std::move(a);
    boost::json::array sup;
    for (const auto& s : superseded) {
        boost::json::object so;
        so["tag"] = s.tag;
        so["expected"] = s.expected;
        so["found"] = s.found;
        boost::json::array by;
        for (const auto& v : s.by) by.emplace_back(v);
        so["by"] = std::move(by);
        sup.push_back(std::move(so));
    }
    o["superseded"] = std::move(sup);
    return json::pretty(o);
}
}  // namespace

int cmd_verify(const Args& args) {
    CommonOptions common;
    TargetOptions target_options;
    std::string report_path, tags_text = "all", key_path;
    bool deep = false;
    po::options_description desc("verify options");
    desc.add_options()("report", po::value(&report_path), "report written by release/finalize/push --format json")(
        "deep", po::bool_switch(&deep), "also pull and test-extract every platform, checking declared binaries")(
        "tags", po::value(&tags_text)->value_name("WHICH"),
        "primary: check the primary tag only; all (default): every tag of the report")(
        "key", po::value(&key_path)->value_name("PUB"),
        "also check every signature and signed attestation with this public key (PEM)");
    LimitOptions limit_options;
    add_limit_options(desc, limit_options);
    add_connection_options(desc, target_options);
    add_common_options(desc, common);
    po::positional_options_description pos;
    pos.add("report", 1);
    if (auto done = parse_or_help("verify", args, desc, &pos, common)) return *done;
    if (report_path.empty()) return fail(make_error(ErrorKind::usage, "verify: missing REPORT.json"));
    const auto limits = unpack_limits(limit_options);  // --deep's, checked before anything is read
    if (!limits) return fail(limits.error());
    if (tags_text != "primary" && tags_text != "all")
        return fail(make_error(ErrorKind::usage, "--tags: expected primary or all, got \"" + tags_text + "\""));
    const auto tags = tags_text == "primary" ? publish::VerifyTags::primary : publish::VerifyTags::all;
    auto key = read_key(key_path);
    if (!key) return fail(key.error());
    auto rep = read_report(report_path);
    if (!rep) return fail(rep.error());
    auto ref = parse_reference(rep->package);
    if (!ref) return fail(ref.error().context(report_path + ": /package"));
    auto target = open_target(*ref, target_options);
    if (!target) return fail(target.error());

    auto result = publish::verify_report(**target, *rep, tags);
    if (!result) return fail(result.error());
    if (auto s = publish::verify_attachments(**target, *rep, *key ? &**key : nullptr, *result); !s) return fail(s.error());
    std::size_t checks = result->checks;
    std::vector<publish::VerifyProblem> problems = std::move(result->problems);
    if (deep) {
        auto d = deep_verify(**target, *rep, *limits);
        if (!d) return fail(d.error());
        checks += d->checks;
        problems.insert(problems.end(), d->problems.begin(), d->problems.end());
    }
    log_superseded(result->superseded);
    for (const auto& p : problems) log::error(p.message);
    if (common.format == Format::json) print_stdout(verify_json(checks, problems, result->superseded));
    if (!problems.empty()) {
        log::error(std::to_string(problems.size()) + " problem(s): " + rep->package + " does not match " + report_path);
        return exit_code(ErrorKind::data);
    }
    log::info("verified " + rep->package + ":" + rep->tag + ": " + std::to_string(checks) + " checks, all match");
    return 0;
}

}  // namespace ocx::cli
