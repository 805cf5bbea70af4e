#pragma once
// The environment an installed package gives its users (`env`, `exec`): its consumer-surface env
// entries (metadata/env.hpp) over a base environment, with ${installPath} = DIR/content.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "metadata/env.hpp"

namespace ocx::install {

/// This process's environment (environ) as a map.
std::map<std::string, std::string> process_environment();

/// The variables the package installed in `dir` changes relative to `base`, in the order its
/// env entries first touch them. Errors: not an installed package, unresolvable templates.
Result<std::vector<metadata::EnvChange>> package_environment(const std::filesystem::path& dir,
                                                             const std::map<std::string, std::string>& base);

}  // namespace ocx::install
