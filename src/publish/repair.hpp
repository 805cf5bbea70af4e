#pragma once
// `cascade check` / `cascade repair` (docs/cli.md "cascade"): the rolling tags of one repository
// compared with what its published versions imply (rolling.hpp), and the differing ones rewritten.
//
// Repair merges the expected entries into each differing rolling tag with the tag writes of a
// release (tags.hpp write_tags: read-merge-write, the cascade decided again against a fresh tag
// list right before the write, read back after a pause), one plan per tag and source version, most
// specific tag first. It never writes a version tag, and never removes an entry: a rolling tag
// holding a platform no version's cascade brings there is reported, not changed.

#include <string>

#include "publish/tags.hpp"
#include "report/report.hpp"

namespace ocx::publish {

enum class RepairMode {
    check,    // report the differences as errors (exit 65), write nothing
    dry_run,  // plan the repair, write nothing
    repair,   // rewrite the differing rolling tags
};

/// Checks or repairs the rolling tags of `target` (`package` names it in the report). Never throws;
/// read and write failures are report errors.
report::Report cascade_repair(store::Target& target, const std::string& package, RepairMode mode, const WriteOptions& write);

}  // namespace ocx::publish
