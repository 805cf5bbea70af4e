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

/// Reads, parses and checks the matrix. On problems returns ErrorKind::data whose message has one
/// problem per line, each starting with the matrix path.
/// With `tag_is_final` the override is used as is (finalize: the shards added the build timestamp).
Result<std::unique_ptr<LoadedMatrix>> load_matrix(const std::string& path, const std::optional<std::string>& tag_override,
                                                  bool tag_is_final = false,
                                                  publish::InputChecks checks = publish::InputChecks::all);

}  // namespace ocx::cli
