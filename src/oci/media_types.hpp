#pragma once
// Media and artifact types OCX writes (docs/wire-format.md §1–3).

#include <optional>
#include <string>
#include <string_view>

namespace ocx::oci {

inline constexpr std::string_view kImageIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kImageManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kPackageArtifact = "application/vnd.sh.ocx.package.v1";
inline constexpr std::string_view kPackageConfig = "application/vnd.sh.ocx.package.v1+json";
inline constexpr std::string_view kLayerTarXz = "application/vnd.oci.image.layer.v1.tar+xz";
inline constexpr std::string_view kLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kLayerTarZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
/// The empty descriptor of OCI 1.1 artifacts (referrers, the description): this type, the blob `{}`.
inline constexpr std::string_view kEmptyConfigType = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kEmptyConfigBytes = "{}";

inline constexpr std::string_view kAnnotationStripComponents = "sh.ocx.layer.strip-components";
inline constexpr std::string_view kAnnotationPrefix = "sh.ocx.layer.prefix";
inline constexpr std::string_view kAnnotationRefName = "org.opencontainers.image.ref.name";
inline constexpr std::string_view kAnnotationTitle = "org.opencontainers.image.title";
inline constexpr std::string_view kAnnotationDescription = "org.opencontainers.image.description";
inline constexpr std::string_view kAnnotationCreated = "org.opencontainers.image.created";

/// Layer media type from an archive file name (.tar.xz/.txz, .tar.gz/.tgz, .tar.zst/.tzst/.tar.zstd);
/// nullopt for anything else (plain .tar, .zip, …), which callers refuse.
std::optional<std::string_view> layer_media_type(std::string_view file_name);

/// The extensions layer_media_type knows, in its order, for messages: ".tar.xz, .txz, …, .tar.zstd".
std::string archive_extensions();

/// The file name without its archive extension ("a/b-1.tar.xz" -> "b-1"); the whole name if none.
std::string_view archive_stem(std::string_view file_name);

}  // namespace ocx::oci
