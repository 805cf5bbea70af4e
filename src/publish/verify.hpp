#pragma once
// Reading a release back (release.md `verify`): every tag, index, manifest and blob in a report
// must be in the target exactly as reported.

#include <string>
#include <vector>

#include "publish/target.hpp"
#include "report/report.hpp"

namespace ocx::publish {

struct VerifyResult {
    std::vector<std::string> problems;  // empty: the target matches the report
    std::size_t checks = 0;             // how many facts were compared
};

/// Compares the target with a published (or partial) report. Read errors are returned as errors;
/// mismatches are problems.
Result<VerifyResult> verify_report(Target& target, const report::Report& report);

}  // namespace ocx::publish
