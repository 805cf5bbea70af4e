#include "cli/output.hpp"

#include <filesystem>

#include "cli/common.hpp"
#include "util/files.hpp"
#include "util/log.hpp"

namespace ocx::cli {

std::vector<std::string> written_tags(const report::Report& r) {
    std::vector<std::string> out;
    for (const auto& t : r.tags)
        if (t.action == report::TagAction::created || t.action == report::TagAction::moved ||
            t.action == report::TagAction::unchanged)
            out.push_back(t.tag);
    return out;
}

std::string gitlab_dotenv(const report::Report& r, const std::string& report_path) {
    // GitLab dotenv: KEY=VALUE, one line each, no multi-line values, values under 2 KiB.
    std::string tags;
    for (const auto& t : written_tags(r)) tags += (tags.empty() ? "" : ",") + t;
    if (tags.size() > 2000) tags.resize(2000);
    std::string out;
    out += "OCX_RELEASE_DIGEST=" + (r.index ? r.index->digest.str() : std::string()) + "\n";
    out += "OCX_RELEASE_TAGS=" + tags + "\n";
    out += "OCX_RELEASE_STATUS=" + std::string(report::to_string(r.status)) + "\n";
    out += "OCX_RELEASE_REPORT=" + report_path + "\n";
    return out;
}

Status write_report(const report::Report& r, const ReportOutputs& outputs) {
    std::string json = report::to_json(r);
    if (outputs.report_path == "-") {
        print_stdout(json);
    } else if (!outputs.report_path.empty()) {
        if (auto s = write_file_atomic(outputs.report_path, json); !s) return s;
    }
    if (outputs.json_stdout && outputs.report_path != "-") print_stdout(json);
    if (!outputs.gitlab_dotenv.empty()) {
        if (auto s = write_file_atomic(outputs.gitlab_dotenv, gitlab_dotenv(r, outputs.report_path)); !s) return s;
    }
    return {};
}

Status emit_report(const report::Report& r, const ReportOutputs& outputs) {
    if (auto s = write_report(r, outputs); !s) return s;
    std::string head = std::string(r.dry_run ? "plan" : "release") + " " + r.package + ":" + r.tag + ": " +
                       std::string(report::to_string(r.status));
    if (r.index) head += " (index " + r.index->digest.str() + ")";
    log::info(head);
    for (const auto& p : r.platforms)
        log::info("  " + p.platform + "  " + p.manifest.digest.str() + "  " + std::to_string(p.manifest.size) + " B" +
                  (p.archives.empty() ? "" : "  archive " + std::to_string(p.archives.front().size) + " B"));
    for (const auto& t : r.tags) {
        std::string line = "  " + t.tag + "  " + (t.before ? t.before->str().substr(0, 19) : "(none)") + " -> " +
                           (t.after ? t.after->str().substr(0, 19) : "(none)") + "  " + std::string(report::to_string(t.action));
        if (!t.blocked_by.empty()) {
            line += " by";
            for (const auto& b : t.blocked_by) line += " " + b;
        }
        log::info(line);
    }
    for (const auto& e : r.errors) log::error(e.step + ": " + e.message);
    return {};
}

}  // namespace ocx::cli
