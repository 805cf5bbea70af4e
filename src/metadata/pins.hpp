#pragma once
// Dependency identifiers in the authoring form (docs/cli.md "Dependency pins"): a metadata file
// given to `create -m` may name a dependency by tag only (`registry/repo:tag`); create resolves
// each to the digest of that tag's platform manifest and writes it pinned
// (`registry/repo:tag@sha256:<hex>`), the published form metadata/identifier.hpp reads. Pure:
// these functions find and replace identifiers in the metadata text; resolving is the caller's.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "metadata/identifier.hpp"
#include "util/result.hpp"

namespace ocx::metadata {

/// The identifier strings of `dependencies[]` in metadata text, in order, split into those without a
/// digest (to resolve) and those with one. Text that is not JSON or has no dependencies array gives
/// none (metadata::parse reports it).
struct IdentifierTexts {
    std::vector<std::string> unpinned;
    std::vector<std::string> pinned;
};
IdentifierTexts dependency_identifiers(std::string_view metadata_text);

/// Parses an identifier without a digest: host, repository and a tag are required. ErrorKind::data
/// quoting the text.
Result<DependencyIdentifier> parse_unpinned_identifier(std::string_view text);

/// The metadata text (compact JSON) with every dependency identifier found in `pins` replaced by
/// its pinned form; anything else unchanged. `metadata_text` must be valid JSON.
std::string with_pins(std::string_view metadata_text, const std::map<std::string, std::string>& pins);

}  // namespace ocx::metadata
