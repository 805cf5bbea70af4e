#pragma once
// Layer arguments of `push` and entries of a platform's `layers` list (docs/cli.md "Layer
// references"; OCX `package push` positional layers). Pure: text in, value out.
//
//   FILE[:TAIL]                     an archive on disk (.tar.xz, .txz, .tar.gz, .tgz, .tar.zst, …)
//   sha256:<64 hex>.<ext>[:TAIL]    a blob already in the target repository, media type from <ext>
//   TAIL = strip=N,prefix=P,from=REPO   (keys in any order, each optional, each at most once)
//
// `strip` and `prefix` become the layer descriptor annotations sh.ocx.layer.strip-components and
// sh.ocx.layer.prefix; `from` names a repository on the same registry to mount the blob from and
// is never recorded. A name starting with "./" or "/" is always a file, even when it looks like a
// digest; a bare digest without an extension is refused (a blob HEAD cannot tell the media type).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "digest/digest.hpp"
#include "oci/descriptor.hpp"
#include "util/result.hpp"

namespace ocx::oci {

struct LayerRef {
    enum class Kind { file, digest };
    Kind kind = Kind::file;
    std::filesystem::path path;         // Kind::file
    Digest digest;                      // Kind::digest
    std::string media_type;             // from the extension (both kinds)
    std::optional<unsigned> strip;      // strip=N, 0–255
    std::optional<std::string> prefix;  // prefix=P
    std::string from;                   // from=REPO ("" = none)
    std::string text;                   // the argument as given, for messages (escape before showing)
};

/// The rule for prefix=P (docs/cli.md "Layer references"): lowercase letters, digits, '.', '_',
/// '-' and '/' between non-empty components, none "." or "..", no leading or trailing '/'.
bool is_valid_layer_prefix(std::string_view prefix);

/// Parses one layer argument. Errors are ErrorKind::usage naming the argument (escaped).
Result<LayerRef> parse_layer_ref(std::string_view text);

/// True when `text` reads as a layer argument (an archive name or a digest reference, with or
/// without a tail) rather than a package identifier: push's first positional may be either.
bool looks_like_layer(std::string_view text);

/// The layer descriptor annotations the reference asks for, exactly as OCX writes them
/// (strip as a decimal string); empty without strip and prefix.
oci::Annotations layer_annotations(const LayerRef& ref);

}  // namespace ocx::oci
