#include "cli/output.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "cli/common.hpp"
#include "util/files.hpp"
#include "util/log.hpp"
#include "util/units.hpp"

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

namespace {
// Lines of `rows` with every column but the last padded to its widest cell, two spaces apart.
std::vector<std::string> aligned(const std::vector<std::vector<std::string>>& rows, std::string_view indent) {
    std::vector<std::size_t> width;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], row[i].size());
        }
    std::vector<std::string> out;
    for (const auto& row : rows) {
        std::string line(indent);
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out.push_back(std::move(line));
    }
    return out;
}

// "sha256:0123456789ab" — enough to tell digests apart in a summary; the report has them whole.
std::string short_digest(const std::optional<Digest>& d) { return d ? d->str().substr(0, 19) : "-"; }

std::string tag_detail(const report::TagResult& t) {
    std::string detail;
    if (t.action == report::TagAction::blocked) {
        detail = "blocked by";
        for (const auto& b : t.blocked_by) detail += " " + b;
        if (!t.platforms.empty()) {
            detail += " (";
            for (std::size_t i = 0; i < t.platforms.size(); ++i) detail += (i ? ", " : "") + t.platforms[i];
            detail += ")";
        }
    }
    if (!t.reason.empty()) detail += (detail.empty() ? "" : "; ") + t.reason;
    return detail;
}
// The SBOMs, signatures and provenance (docs/cli.md "Supply chain"), one aligned row each.
void log_attachments(const report::Report& r) {
    if (r.attachments.empty()) return;
    std::vector<std::vector<std::string>> rows{{"attached", "to", "signed", "referrer", "action"}};
    for (const auto& a : r.attachments)
        rows.push_back(
            {a.kind, a.platform.empty() ? "index" : a.platform, a.signed_ ? "yes" : "no", short_digest(a.digest), a.action});
    for (const auto& line : aligned(rows, "  ")) log::info(line);
}
}  // namespace

Status emit_report(const report::Report& r, const ReportOutputs& outputs) {
    if (auto s = write_report(r, outputs); !s) return s;
    log::info(std::string(r.dry_run ? "plan" : "release") + " " + r.package + ":" + r.tag + ": " +
              std::string(report::to_string(r.status)));
    if (r.index) log::info("  index " + r.index->digest.str() + " (" + human_bytes(r.index->size) + ")");
    if (!r.platforms.empty()) {
        std::vector<std::vector<std::string>> rows{{"platform", "archive", "uploaded", "manifest", "canonical tag"}};
        for (const auto& p : r.platforms) {
            std::uint64_t archive = 0;
            for (const auto& a : p.archives) archive += a.size;
            rows.push_back({p.platform, p.archives.empty() ? "-" : human_bytes(archive),
                            p.pushed ? human_bytes(p.blobs.bytes_uploaded) : "-", short_digest(p.manifest.digest),
                            p.canonical_tag.empty() ? "-" : p.canonical_tag});
        }
        for (const auto& line : aligned(rows, "  ")) log::info(line);
    }
    if (!r.tags.empty()) {
        std::vector<std::vector<std::string>> rows{{"tag", "action", "before", "after", ""}};
        for (const auto& t : r.tags)
            rows.push_back({t.tag, std::string(report::to_string(t.action)), short_digest(t.before), short_digest(t.after),
                            tag_detail(t)});
        for (const auto& line : aligned(rows, "  ")) log::info(line);
    }
    log_attachments(r);
    for (const auto& e : r.errors) log::error(e.step + ": " + e.message);
    return {};
}

}  // namespace ocx::cli
