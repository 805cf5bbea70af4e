#pragma once
// Shared layers of a release matrix (docs/cli.md "Release matrix (input)", "shared_layers"): a tree
// common to several platforms (a `share/` directory) is bundled once, uploaded once, and listed
// in every platform manifest that names it, with its strip/prefix annotations.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "plan/matrix.hpp"
#include "publish/platform_layers.hpp"
#include "publish/release.hpp"

namespace ocx::publish {

/// Bundles the shared layers that the platforms of this run name (into options.bundle_dir).
/// Returns them by name as layers in place (Layer::Origin::present: push_content counts them and
/// never sends them; SharedUploads uploads them), with their files listed when a platform naming
/// them has a generated SBOM. Writes nothing to the target.
Result<std::map<std::string, PreparedLayer>> prepare_shared_layers(const plan::Matrix& matrix,
                                                                   const ReleaseOptions& options);

/// Uploads each shared layer once, when the first platform naming it is pushed: after every
/// check that can stop the release before its first upload. Thread-safe: platforms are pushed
/// in parallel, and the second to need a layer waits for the first's upload.
class SharedUploads {
public:
    explicit SharedUploads(const std::map<std::string, PreparedLayer>& layers);

    /// The layer `name` is in the target: uploaded now (HEAD first: a blob the registry has is
    /// not sent), or by an earlier call. Errors name the layer.
    Status ensure(store::Target& target, const std::string& name);

private:
    struct Upload {
        Layer layer;
        std::mutex mutex;
        bool done = false;
    };
    std::map<std::string, std::unique_ptr<Upload>> uploads_;
};

}  // namespace ocx::publish
