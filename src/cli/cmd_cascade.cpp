// `ocx-release cascade check|repair REPO...` (docs/cli.md "cascade"): rolling tags compared with
// what the published versions imply, and the differing ones rewritten (publish/repair.hpp).
#include <boost/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/target.hpp"
#include "publish/repair.hpp"
#include "util/escape.hpp"
#include "util/json.hpp"
#include "util/log.hpp"

namespace po = boost::program_options;

namespace ocx::cli {

namespace {
report::Report failed_report(const std::string& package, const std::string& step, const Error& e) {
    report::Report rep;
    rep.package = package;
    rep.errors.push_back({step, std::string(to_string(e.kind)), e.message});
    return rep;
}

report::Report run_one(const std::string& text, publish::RepairMode mode, const TargetOptions& target_options) {
    auto ref = parse_reference(text);
    if (!ref) return failed_report("", "parse " + escape_text(text), ref.error());
    if (!ref->tag.empty() || ref->digest)
        return failed_report(ref->repository_str(), "parse " + escape_text(text),
                             make_error(ErrorKind::usage, "cascade: \"" + escape_text(text) +
                                                              "\" names a tag or digest; give the repository alone (" +
                                                              ref->repository_str() + ")"));
    auto target = open_target(*ref, target_options);
    if (!target) return failed_report(ref->repository_str(), "open target", target.error());
    const auto access = mode == publish::RepairMode::repair ? store::Target::Access::push : store::Target::Access::read;
    if (auto s = (*target)->check_access(access); !s) return failed_report(ref->repository_str(), "check target", s.error());
    publish::WriteOptions write;
    write.settle = std::chrono::milliseconds(150);  // as push: concurrent writers of a tag land before the read-back
    return publish::cascade_repair(**target, ref->repository_str(), mode, write);
}
}  // namespace

int cmd_cascade(const Args& args) {
    CommonOptions common;
    TargetOptions target_options;
    std::string action;
    std::vector<std::string> repositories;
    bool dry_run = false;
    po::options_description desc("cascade options");
    desc.add_options()("action", po::value(&action), "check or repair")("repositories",
                                                                        po::value(&repositories)->composing(),
                                                                        "REGISTRY/REPO or oci:DIR (repeatable)")(
        "dry-run", po::bool_switch(&dry_run), "repair: plan the rewrites and write nothing");
    add_connection_options(desc, target_options);
    add_common_options(desc, common);
    po::positional_options_description pos;
    pos.add("action", 1).add("repositories", -1);
    if (auto done = parse_or_help("cascade", args, desc, &pos, common)) return *done;
    if (action != "check" && action != "repair")
        return fail(make_error(ErrorKind::usage,
                               action.empty() ? "cascade: missing check or repair"
                                              : "cascade: expected check or repair, got \"" + escape_text(action) + "\""));
    if (repositories.empty()) return fail(make_error(ErrorKind::usage, "cascade " + action + ": missing REPO"));
    if (action == "check" && dry_run)
        return fail(make_error(ErrorKind::usage, "cascade check: --dry-run is for repair (check never writes)"));
    const auto mode = action == "check" ? publish::RepairMode::check
                      : dry_run         ? publish::RepairMode::dry_run
                                        : publish::RepairMode::repair;
    boost::json::array reports;
    int code = 0;
    for (const auto& text : repositories) {
        const report::Report rep = run_one(text, mode, target_options);
        for (const auto& t : rep.tags) {
            const std::string detail = t.reason.empty() ? "" : " (" + t.reason + ")";
            if (mode == publish::RepairMode::check)
                log::info("tag " + t.tag + " differs" + detail);
            else
                log::info(std::string(rep.dry_run ? "would repair " : "") + "tag " + t.tag + ": " +
                          std::string(report::to_string(t.action)) + detail);
        }
        for (const auto& e : rep.errors) log::error(e.step + ": " + e.message);
        if (code == 0) code = report::exit_code_for(rep);
        if (common.format == Format::json) {
            auto parsed = json::parse(report::to_json(rep), "report");
            if (parsed) reports.push_back(std::move(*parsed));
        }
    }
    if (common.format == Format::json) print_stdout(json::pretty(reports));
    return code;
}

}  // namespace ocx::cli
