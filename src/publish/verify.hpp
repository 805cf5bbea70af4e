#pragma once
// Reading a release back (docs/cli.md `verify`): every tag, index, manifest and blob in a report
// must be in the target exactly as reported.
//
// Reports age: a newer release moves the rolling tags (1.2, 1, latest) and the aliases on, as the
// cascade rules say it must. Such a tag is `superseded`, not a problem, when every platform entry
// it holds now is this report's own manifest or the entry of a newer version of the same track
// that the repository holds (for a rolling tag: a version whose cascade moves that tag), and at
// least one is the newer version's. Anything else a tag holds is a problem. The primary tag and
// the platforms themselves never age: a published version does not change.

#include <string>
#include <vector>

#include "report/report.hpp"
#include "store/target.hpp"

namespace ocx::publish {

/// One mismatch between the target and the report.
struct VerifyProblem {
    std::string tag;       // the tag it is about, "" when none
    std::string platform;  // the platform it is about, "" when none
    std::string expected;  // what the report says ("" when not a comparison)
    std::string found;     // what the target holds ("missing" when absent)
    std::string message;   // the whole sentence, for people
};

/// A rolling tag or alias that newer versions moved on (see the file comment).
struct Superseded {
    std::string tag;
    std::string expected;         // the report's digest
    std::string found;            // what the tag holds now
    std::vector<std::string> by;  // the newer versions whose entries it holds
};

struct VerifyResult {
    std::vector<VerifyProblem> problems;  // empty: the target matches the report
    std::vector<Superseded> superseded;
    std::size_t checks = 0;  // how many facts were compared
};

enum class VerifyTags {
    primary,  // the primary tag only (with the platforms and the index)
    all,      // every tag of the report
};

/// Compares the target with a published (or partial) report. Read errors are returned as errors;
/// mismatches are problems.
Result<VerifyResult> verify_report(store::Target& target, const report::Report& report, VerifyTags tags = VerifyTags::all);

}  // namespace ocx::publish
