#pragma once
// The package description artifact (docs/wire-format.md "Description artifact"; OCX's `__ocx.desc`):
// one image manifest under the reserved tag `__ocx.desc`, compact JSON in this order:
//   schemaVersion 2 · mediaType (image manifest) · artifactType application/vnd.sh.ocx.description.v1 ·
//   config (the empty descriptor: application/vnd.oci.empty.v1+json, the 2-byte blob `{}`) ·
//   layers (README application/markdown titled README.md, then an optional logo image/png or
//   image/svg+xml titled logo.png / logo.svg) · annotations (title, description, sh.ocx.keywords;
//   sorted, each only when given, omitted when none).
// build_description is pure; push_description writes the blobs (HEAD first), then the manifest.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "digest/digest.hpp"
#include "plan/matrix.hpp"
#include "store/target.hpp"
#include "util/result.hpp"

namespace ocx::publish {

inline constexpr std::string_view kDescriptionTag = "__ocx.desc";

struct Description {
    std::string readme;               // README bytes (markdown)
    std::optional<std::string> logo;  // logo bytes
    std::string logo_media_type;      // image/png or image/svg+xml when logo is set
    std::optional<std::string> title;
    std::optional<std::string> description;
    std::vector<std::string> keywords;  // joined with ',' into sh.ocx.keywords
};

struct BuiltDescription {
    store::Manifest manifest;                           // exact bytes + digest
    std::vector<std::pair<Digest, std::string>> blobs;  // config, README, logo: digest -> bytes
};

/// The logo media type from a file name (.png, .svg); ErrorKind::usage for anything else.
Result<std::string> logo_media_type(std::string_view file_name);

/// "a, b,,c" -> {"a","b","c"}: split on ',', blanks trimmed, empty entries dropped.
std::vector<std::string> split_keywords(std::string_view text);

/// Reads the README and logo (each at most 1 MiB) and checks the texts (one line of at most 4096
/// bytes, no control characters): ErrorKind::usage or the file's error, naming the file or `title`,
/// `description`, `keywords`.
Result<Description> read_description(const plan::DescribeSpec& spec);

/// Serializes the description manifest once (pure).
BuiltDescription build_description(const Description& d);

/// Uploads the blobs that are missing, then PUTs the manifest under `__ocx.desc`.
Status push_description(store::Target& target, const BuiltDescription& built);

}  // namespace ocx::publish
