#pragma once
// The layers a release platform lists before its own content or archive (docs/cli.md "Release
// matrix (input)", a platform's "layers"; plan::PlatformLayer): trees bundled here, prebuilt
// archives and digest references, made into publish::Layers with the annotations of their strip
// and prefix, and the names their files install under (for the SBOM).

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/bundle.hpp"
#include "bundle/limits.hpp"
#include "plan/matrix.hpp"
#include "publish/content.hpp"
#include "store/target.hpp"

namespace ocx::publish {

/// A layer of a release platform, ready for its manifest.
struct PreparedLayer {
    Layer layer;
    bool created = false;                 // bundled by this run (the report's "created")
    std::vector<bundle::FileHash> files;  // when asked for: every regular file, named as install places it
};

/// How release bundles a tree into a layer.
struct LayerBundling {
    bundle::Level level = bundle::Level::default_;
    unsigned threads = 0;                         // compression threads (0: all cores)
    bundle::UnpackLimits limits;                  // what install accepts: the bundle's totals are held to it
    bool file_digests = false;                    // list the files for an SBOM (PreparedLayer::files)
    std::function<void(std::uint64_t)> on_bytes;  // hears the bytes read from the tree so far
};

/// Bundles `source` (a directory or a file) into `out`, deterministically, as a layer with the
/// sh.ocx.layer.* annotations of `placement`'s strip and prefix (Layer::Origin::file, created).
/// Errors name `who` ("shared layer \"share\"", "/platforms/0/layers/1").
Result<PreparedLayer> bundle_layer(const std::filesystem::path& source, const std::filesystem::path& out,
                                   const oci::LayerRef& placement, const LayerBundling& how, const std::string& who);

/// A digest reference of the matrix (plan::PlatformLayer::Kind::reference, oci::LayerRef::Kind::digest)
/// found in the target by layer_from_registry (mounted from its from=, else `mount_from`, when
/// absent). A dry run writes nothing, so it never mounts: a blob not in the target yet is an
/// error that says so. Without a target (--offline) its size is unknown: ErrorKind::usage.
Result<PreparedLayer> reference_layer(store::Target* target, const plan::PlatformLayer& entry, std::string_view mount_from,
                                      bool dry_run);

/// `files` (archive member names) renamed as install places them under a layer's strip and
/// prefix (docs/wire-format.md §4); files that strip removes entirely are dropped.
std::vector<bundle::FileHash> placed_files(std::vector<bundle::FileHash> files, const oci::LayerRef& placement);

}  // namespace ocx::publish
