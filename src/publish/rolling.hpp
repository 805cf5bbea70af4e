#pragma once
// What every rolling tag of a repository should hold, folded from its published versions
// (docs/wire-format.md §5, docs/cli.md "cascade"), and where the tags differ from it. Pure.
//
// For each version V and each platform P its index holds, the cascade of V is decided for P by the
// same code a release uses (plan_cascade, decide_cascade), against the versions only: a rolling
// tag's current content never decides what it should hold. Every level written for P that is a
// rolling tag (not a version: `1.2.3` moved by `1.2.3_b1` is a version, never rewritten) expects
// V's entry for P. When two versions reach the same tag for P (only a build and its own version can:
// `1.2.3_b1` and `1.2.3` both move `1.2`), the higher version's entry is expected.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "publish/inventory.hpp"

namespace ocx::publish {

/// The entry a rolling tag should hold for one platform, and the version it comes from.
struct ExpectedEntry {
    std::string version;  // the version tag, as listed
    oci::IndexEntry entry;
};

/// rolling tag -> platform -> expected entry.
using ExpectedRolling = std::map<std::string, std::map<std::string, ExpectedEntry>>;

/// The fold described above, over `versions` (any order).
ExpectedRolling expected_rolling(const std::vector<PublishedVersion>& versions);

/// One platform of one rolling tag that differs from what the versions imply.
struct Drift {
    std::string tag;
    std::string platform;
    std::optional<Digest> found;     // nullopt: the tag has no entry for the platform (or is absent)
    std::optional<Digest> expected;  // nullopt: no version's cascade reaches the tag for the platform
    std::string version;             // where `expected` comes from ("" with no expected)
};

/// Every difference between the rolling tags `inv` holds and expected_rolling(inv.versions), by tag
/// (sorted) then platform (sorted). A rolling tag that is missing but expected counts too. An entry
/// where none is expected counts only when no version holds it: the cascade depends on the order of
/// pushes (a version moves `latest` before a pre-release of the next major appears and blocks it),
/// so an entry some version published is history, not damage.
std::vector<Drift> find_drift(const Inventory& inv);

}  // namespace ocx::publish
