#pragma once
// The release matrix (docs/cli.md "Release matrix (input)", schemas/release-matrix.v1.json) parsed
// into a typed plan in one pass. Pure: no file system access — paths are resolved against the
// matrix's directory but not checked here (publish/inputs.hpp does that). Every problem is
// collected with its JSON path so a user sees all of them in one run.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/bundle.hpp"
#include "oci/descriptor.hpp"
#include "oci/layer_ref.hpp"
#include "oci/platform.hpp"
#include "oci/reference.hpp"
#include "util/json.hpp"

namespace ocx::plan {

enum class BuildTimestamp { none, date, datetime };

/// One entry of a platform's "layers" (docs/cli.md "Release matrix (input)"). The entries come
/// first in the platform's manifest, in this order; its own content or archive is the last layer.
struct PlatformLayer {
    enum class Kind {
        shared,     // "NAME": a top-level shared layer
        reference,  // "FILE[:TAIL]" or {"archive": FILE, …}: a prebuilt archive; "sha256:<hex>.<ext>[:TAIL]": a blob in the
                    // target
        content,  // {"content": DIR, …}: a tree bundled by this release as <bundle_stem>-layer<N>.tar.xz
    };
    Kind kind = Kind::shared;
    std::string json_path;          // "/platforms/0/layers/1", for messages
    std::string shared;             // Kind::shared: the name in Matrix::shared_layers
    oci::LayerRef ref;              // reference: the file (resolved against the matrix) or digest, with its tail;
                                    // content: strip and prefix only
    std::filesystem::path content;  // Kind::content
    std::size_t index = 0;          // position in "layers" (names a content layer's bundle)
};

struct PlatformSpec {
    oci::Platform platform;
    std::string json_path;                           // "/platforms/2", for messages
    std::optional<std::filesystem::path> content;    // directory or file to bundle
    std::optional<std::filesystem::path> archive;    // prebuilt archive used as is
    std::optional<std::filesystem::path> metadata;   // explicit metadata (platform, block or top-level)
    std::string bundle_stem;                         // archive name stem when bundling content
    bool sbom = false;                               // attach an SBOM (generated, or sbom_file as is)
    std::optional<std::filesystem::path> sbom_file;  // "sbom": "path.json": the user's SBOM
    std::vector<PlatformLayer> layers;               // "layers": listed before the content or archive, in order
};

/// A top-level shared layer ("shared_layers": {"NAME": {"content": DIR, "strip"?: N, "prefix"?: P}}):
/// bundled and uploaded once per release, listed first in every platform manifest naming it.
struct SharedLayerSpec {
    std::string name;
    std::filesystem::path content;
    std::optional<unsigned> strip;
    std::optional<std::string> prefix;
};

/// The matrix's "describe" block (docs/cli.md "Release matrix (input)"): the package description
/// written after a release (publish/describe.hpp); paths resolved against the matrix.
struct DescribeSpec {
    std::filesystem::path readme;
    std::optional<std::filesystem::path> logo;
    std::optional<std::string> title;
    std::optional<std::string> description;
    std::vector<std::string> keywords;
};

struct Matrix {
    std::filesystem::path file;  // the matrix file as given
    oci::Reference package;      // registry/repo or oci:DIR, no tag
    std::string tag;             // as published: --tag override, '+' -> '_', build timestamp added
    BuildTimestamp build_timestamp = BuildTimestamp::none;
    bool cascade = false;
    bool replace = false;  // a platform already published in the tag may get new content
    std::vector<std::string> aliases;
    bool canonical_tags = true;
    oci::Annotations annotations;
    bundle::Level level = bundle::Level::default_;
    unsigned threads = 0;  // 0 = all cores
    std::optional<std::filesystem::path> output_dir;
    std::vector<PlatformSpec> platforms;         // matrix order
    bool provenance = false;                     // attach SLSA provenance to the index
    std::optional<DescribeSpec> describe;        // "describe": write __ocx.desc after the release
    std::vector<SharedLayerSpec> shared_layers;  // by name, sorted
};

struct MatrixOverrides {
    std::optional<std::string> tag;      // --tag
    std::optional<std::string> package;  // --package: registry/repo or oci:DIR (relative to the working directory)
    bool replace = false;                // --replace (or'ed with the matrix's "replace")
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
    const char* default_registry = nullptr;  // OCX_DEFAULT_REGISTRY
    bool tag_is_final = false;               // the tag already has its build timestamp (finalize)
};

/// Parses matrix text. `file` names it in messages and anchors relative paths. Problems are added
/// to `diag` ("/platforms/2/platform: unknown platform …"); the Matrix is as complete as possible.
Matrix parse_matrix(std::string_view text, const std::filesystem::path& file, const MatrixOverrides& overrides,
                    json::Diagnostics& diag);

/// Platform spec lookup by canonical platform string; nullptr when absent.
const PlatformSpec* find_platform(const Matrix& matrix, std::string_view platform);

/// Shared layer lookup by name; nullptr when absent (a parsed matrix's platforms name no other).
const SharedLayerSpec* find_shared_layer(const Matrix& matrix, std::string_view name);

/// The bundle stems a release writes beside the platforms' own (<stem>.tar.xz): a shared layer's,
/// <package>-<tag>-NAME, and a platform's tree layer's, <platform stem>-layer<N>.
std::string shared_layer_stem(const Matrix& matrix, std::string_view name);
std::string tree_layer_stem(const PlatformSpec& platform, const PlatformLayer& layer);

}  // namespace ocx::plan
