#pragma once
// Reading and checking a release matrix for `release` and `finalize`: parse + file checks, with
// every problem printed at once ("matrix.json:/platforms/2/platform: …") and exit 65.

#include <optional>
#include <string>
#include <vector>

#include "plan/matrix.hpp"
#include "publish/inputs.hpp"
#include "util/result.hpp"

namespace ocx::cli {

struct LoadedMatrix {
    plan::Matrix matrix;
    std::vector<publish::PlatformInput> inputs;  // point into `matrix`: keep the object in place
};

/// What the command line changes about a matrix, and which of its files this run needs.
struct MatrixLoad {
    std::optional<std::string> tag;      // --tag
    std::optional<std::string> package;  // --package
    bool replace = false;                // --replace
    bool tag_is_final = false;           // finalize: the override is used as is (the shards added the build timestamp)
    publish::InputScope scope;           // --shard, or finalize's metadata_only
};

/// Reads, parses and checks the matrix. On problems returns ErrorKind::data whose message has one
/// problem per line, each starting with the matrix path.
Result<std::unique_ptr<LoadedMatrix>> load_matrix(const std::string& path, const MatrixLoad& load);

}  // namespace ocx::cli
