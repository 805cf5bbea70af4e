#pragma once
// Bundle names (docs/wire-format.md §6): `<repo-last-segment>-<tag>-<os>-<arch>[-<variant>]`, with the
// os.features appended (`-libc.musl`) when two platforms of one release would otherwise collide.

#include <filesystem>
#include <string>

#include "oci/platform.hpp"
#include "oci/reference.hpp"

namespace ocx::bundle {

enum class WithFeatures { no, yes };

/// The archive stem for `ref` (its last path segment and tag) and `platform` (pure).
std::string bundle_stem(const oci::Reference& ref, const oci::Platform* platform, WithFeatures features = WithFeatures::no);

/// `<dir>/<stem>-metadata.json` next to an archive: the sidecar `create` writes and `push` and
/// `release` pick up by default.
std::filesystem::path sidecar_path(const std::filesystem::path& archive);

}  // namespace ocx::bundle
