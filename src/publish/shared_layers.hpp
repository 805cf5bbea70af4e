#pragma once
// Shared layers of a release matrix (docs/cli.md "Release matrix (input)", "shared_layers"): a tree
// common to several platforms (a `share/` directory) is bundled once, uploaded once, and listed
// first in every platform manifest that names it, with its strip/prefix annotations.

#include <map>
#include <string>

#include "plan/matrix.hpp"
#include "publish/platform_layers.hpp"
#include "publish/release.hpp"

namespace ocx::publish {

/// Bundles the shared layers that the platforms of this run name (into options.bundle_dir), and
/// unless a dry run pushes each once (HEAD first) to `target`. Returns them by name as layers
/// already in place (Layer::Origin::present), for push_content to count and never send again,
/// with their files listed when a platform naming them has a generated SBOM.
Result<std::map<std::string, PreparedLayer>> prepare_shared_layers(store::Target* target, const plan::Matrix& matrix,
                                                                   const ReleaseOptions& options);

}  // namespace ocx::publish
