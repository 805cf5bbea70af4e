#pragma once
// The consumer side (docs/cli.md "install"): resolve a reference to one platform manifest, fetch
// only that manifest's config and layers, verify every digest and size, and extract the layers
// safely (bundle/extract.hpp) into an install directory:
//   DIR/content        the package tree (${installPath} of the package's env)
//   DIR/metadata.json  the config blob, byte for byte (the published metadata)
// Layers are streamed to temporary files while hashed and only extracted once they verify.
// Everything is built in DIR/.tmp-XXXXXX and renamed into place at the end, content first and
// metadata.json last, so metadata.json marks a complete install; on failure nothing is left
// (a DIR this call created is removed again). Per-layer placement follows OCX: the layer
// annotations sh.ocx.layer.strip-components / sh.ocx.layer.prefix, else the metadata's
// strip_components, else nothing (docs/wire-format.md §2, §4).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "bundle/extract.hpp"
#include "digest/digest.hpp"
#include "metadata/metadata.hpp"
#include "oci/platform.hpp"
#include "store/target.hpp"
#include "util/result.hpp"

namespace ocx::install {

/// What to do with a non-empty install directory.
enum class Overwrite {
    refuse,   // ErrorKind::usage naming the directory
    replace,  // DIR/content and DIR/metadata.json are replaced; other files are left alone
};

/// The platform manifest a reference resolves to.
struct Resolved {
    Digest digest;
    std::optional<std::uint64_t> size;      // from the index entry; nullopt when not known
    std::optional<oci::Platform> platform;  // nullopt when the reference named a manifest directly
};

/// Reads `reference` (a tag or "sha256:…") from `target`. An index picks its entry for `required`
/// (install/select.hpp); a plain manifest is taken as it is (OCX treats it as `any`).
/// A missing reference is ErrorKind::not_found.
Result<Resolved> resolve(store::Target& target, std::string_view reference, const oci::Platform& required);

struct Installed {
    Digest manifest;
    Digest config;
    std::string config_bytes;  // exactly as fetched (== DIR/metadata.json)
    metadata::Metadata metadata;
    std::size_t layers = 0;
    std::uint64_t bytes_downloaded = 0;  // manifest + config + layers
    bundle::ExtractStats extracted;
};

/// DIR/content.
std::filesystem::path content_dir(const std::filesystem::path& dir);
/// DIR/metadata.json.
std::filesystem::path metadata_file(const std::filesystem::path& dir);

/// Installs the manifest `manifest` names into `dir` (see the file comment). A digest or size
/// mismatch, a config that is not OCX package metadata, an unknown layer type or an unsafe
/// archive member is ErrorKind::data; read errors keep their kind.
/// Unpacking stops at `limits` (bundle/limits.hpp), exit 65, with nothing left behind.
Result<Installed> install(store::Target& target, const Resolved& manifest, const std::filesystem::path& dir,
                          Overwrite overwrite, const bundle::UnpackLimits& limits = {});

/// The metadata of a package installed in `dir` (DIR/metadata.json). A directory without one is
/// ErrorKind::not_found ("not an installed package").
Result<metadata::Metadata> load_installed(const std::filesystem::path& dir);

}  // namespace ocx::install
