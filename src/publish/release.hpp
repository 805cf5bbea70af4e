#pragma once
// The release job (docs/cli.md "What release does"): bundle every content platform, push every
// platform's content, then write each tag once with all platforms merged, aliases last.
// Also the two halves CI matrices use: a shard (one platform's content, no tags) and finalize
// (tags for platforms that shards already pushed).
// A published version is protected unless matrix.replace: a platform the version tag holds is
// never given other content (checked before the first upload and again where the tag is merged).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "plan/matrix.hpp"
#include "publish/content.hpp"
#include "publish/inputs.hpp"
#include "publish/supply_chain.hpp"
#include "publish/tags.hpp"
#include "report/report.hpp"

namespace ocx::publish {

struct ReleaseOptions {
    bool dry_run = false;
    bool offline = false;              // dry run without reading the target
    unsigned jobs = 0;                 // platforms processed at once; 0 = cores (at least 2 for overlap)
    std::optional<std::string> shard;  // canonical platform string: that platform's content only
    std::filesystem::path bundle_dir;  // where content bundles are written
    std::string mount_from;
    WriteOptions write;
    bundle::UnpackLimits limits;  // for prebuilt archives (bundle/limits.hpp)
    SupplyChain supply;           // SBOMs, signatures, provenance (publish/supply_chain.hpp)
};

/// Runs a release (or a dry run, or one shard). `target` may be null only when offline.
/// Never throws; failures are in the report (status failed/partial) with what was done.
report::Report run_release(store::Target* target, const plan::Matrix& matrix, const std::vector<PlatformInput>& inputs,
                           const ReleaseOptions& options);

/// A platform that a shard already pushed, as finalize rebuilds it from a part report.
struct PushedPlatform {
    report::PlatformResult result;
    oci::IndexEntry entry;
};

/// Writes the tags for already-pushed platforms (matrix order) and fills `report.tags`,
/// `report.index` and `report.status`. With dry_run it only reads.
void write_release_tags(store::Target* target, const plan::Matrix& matrix, const std::vector<oci::IndexEntry>& entries,
                        bool dry_run, bool offline, const WriteOptions& write, report::Report& report);

}  // namespace ocx::publish
