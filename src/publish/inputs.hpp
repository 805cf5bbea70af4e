#pragma once
// Checks a parsed release matrix against the file system before anything is written
// (docs/cli.md "What release does", step 1): content trees are scanned (escaping symlinks, devices…),
// archives exist, every metadata file is loaded and validated, and the package gate (gate.hpp)
// runs. Problems are added to the caller's Diagnostics with the platform's JSON path, so one run
// reports all of them.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bundle/limits.hpp"
#include "plan/matrix.hpp"
#include "util/json.hpp"

namespace ocx::publish {

struct PlatformInput {
    const plan::PlatformSpec* spec = nullptr;  // points into the Matrix, which must outlive this
    std::filesystem::path metadata_file;       // the file the config came from
    std::string config;                        // compact published metadata: the config blob
    std::string metadata_pretty;               // sidecar form, written next to created bundles
    bool needed = true;                        // this run publishes the platform's content
    unsigned strip_components = 0;             // the metadata's: install's strip for a layer without its own
};

enum class InputChecks {
    all,            // content trees scanned, archives present, metadata loaded (release)
    metadata_only,  // only the metadata (finalize: the shards already pushed the content)
};

/// Which platforms' files this run needs. A shard runner holds only its own build, and a finalize
/// runner holds none: the files of a platform that is not needed (content, archive, sidecar or
/// metadata) may be absent; what is there is still checked (metadata files are validated), but a
/// content tree or an archive that is not needed is never read.
struct InputScope {
    InputChecks checks = InputChecks::all;
    std::optional<std::string> shard;  // canonical platform: only its content and archive are needed
    bundle::UnpackLimits limits;       // for walking prebuilt archives (the package gate)
};

/// One PlatformInput per matrix platform, in matrix order (entries with problems are still
/// returned, with an empty config; check `diag`). A platform that is not needed and whose
/// metadata file is absent has an empty config and `needed` false.
std::vector<PlatformInput> load_inputs(const plan::Matrix& matrix, json::Diagnostics& diag, const InputScope& scope = {});

}  // namespace ocx::publish
