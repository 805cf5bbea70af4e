#pragma once
// Writing a finished report where the user asked for it (--report FILE or -, --format json,
// --gitlab-dotenv) and a short human summary on stderr.

#include <string>

#include "report/report.hpp"
#include "util/result.hpp"

namespace ocx::cli {

struct ReportOutputs {
    std::string report_path;    // --report: a file, "-" for stdout, "" for none
    std::string gitlab_dotenv;  // --gitlab-dotenv FILE
    bool json_stdout = false;   // --format json
};

/// Writes the report and dotenv files atomically (and to stdout when asked); no summary.
Status write_report(const report::Report& report, const ReportOutputs& outputs);

/// write_report, then a short summary for people on stderr (platforms, tag moves, errors).
Status emit_report(const report::Report& report, const ReportOutputs& outputs);

/// GitLab dotenv lines: OCX_RELEASE_DIGEST, OCX_RELEASE_TAGS, OCX_RELEASE_REPORT (single-line values).
std::string gitlab_dotenv(const report::Report& report, const std::string& report_path);

/// Tags a report moved or created (for outputs), in report order.
std::vector<std::string> written_tags(const report::Report& report);

}  // namespace ocx::cli
