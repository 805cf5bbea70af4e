#pragma once
// Rolling tags (`--cascade`, docs/wire-format.md §5): which tags a pushed version moves, and which
// existing tags can stop it. Pure decisions; the caller does the I/O in three steps:
//   1. cascade_version(tag)                -> the pushed Version, or the "not a version tag" error;
//   2. plan_cascade(version, tags/list)    -> the levels, each with the existing tags that could block
//                                             it (tags_to_inspect() lists them all, most specific first);
//   3. decide_cascade(plan, holds)         -> per level: written | blocked | unverified | skipped.
// `holds(tag)` answers "does that tag's index hold an entry for exactly this platform?". It is called
// lazily, level by level, and not at all past the first blocked level, so a caller that reads
// indexes on demand reads only what the decision needs. Platforms are opaque here: the caller
// answers for one platform at a time (or passes the platforms each candidate holds, as strings).
//
// Targets (§5): a pre-release without build -> none; a pre-release with build -> only its build-less
// pre-release tag; otherwise the parent chain (X.Y.Z for a build-tagged push, then X.Y, X), then the
// track tag: `latest`, or the variant name for a variant track ("slim-1.2.3" -> "slim").
// Blocking, per platform: a rolling level is blocked when an existing version of the same track lies
// strictly between the previous level (the pushed version for the first) and the level, and holds the
// platform; the track tag is blocked by any version of the track above the last rolling level (or
// above the pushed version when it has no parent) that holds the platform. The cascade stops at the
// first blocked level; the levels after it are reported as skipped.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "plan/version.hpp"
#include "util/result.hpp"

namespace ocx::plan {

/// The pushed tag as a version; ErrorKind::data `cannot cascade "<tag>": not a version tag (…)` when
/// the tag does not parse.
Result<Version> cascade_version(std::string_view tag);

/// How a tag pushed with cascade on takes part in the cascade. OCX cascades versions only, and
/// never a pre-release past its own tag; a tag that is not a version is still published, it just
/// moves no rolling tag:
///  * an OCX version ("1.4.0", "slim-2.1"): `version` is set; for a pre-release ("1.4.0-rc1")
///    `skipped` lists the rolling tags of its release (1.4, 1, latest) that it does not move;
///  * not an OCX version ("nightly", "1.4.0-rc.1" whose dotted pre-release the grammar refuses):
///    no `version`; `skipped` lists the rolling tags a user may expect to move ("latest" at least);
///  * a version behind a "v" ("v1.4.0"): ErrorKind::data, with the fix spelled out, because such
///    a tag is nearly always a git tag name passed on by mistake.
/// `reason` says why the `skipped` tags do not move ("" when nothing is skipped).
struct CascadeStart {
    std::optional<Version> version;
    std::vector<std::string> skipped;
    std::string reason;
};
Result<CascadeStart> cascade_start(std::string_view tag);

/// The tag a track rolls to: "latest" for the default track, else the variant name.
std::string track_tag(const Version& v);

/// The rolling tags `v` moves when nothing blocks, most specific first (without v's own tag).
std::vector<std::string> cascade_targets(const Version& v);

enum class LevelKind {
    rolling,  // a version tag: X.Y.Z, X.Y, X, or X.Y.Z-PRE
    track,    // `latest` or the variant name
};

struct CascadeLevel {
    std::string tag;
    LevelKind kind = LevelKind::rolling;
    /// Existing tags of the same track that block this level if they hold the platform,
    /// in ascending version order, as spelled in the tag list.
    std::vector<std::string> candidates;
};

struct CascadePlan {
    Version pushed;
    std::vector<CascadeLevel> levels;  // most specific first; the track level, if any, last
};

/// Levels for `pushed` with their candidate blockers taken from the repository's tag list.
/// Tags that are not versions, and versions of other tracks, never block.
CascadePlan plan_cascade(const Version& pushed, const std::vector<std::string>& existing_tags);

/// Every candidate of every level, most specific level first, without duplicates: the indexes
/// a caller must read to decide for any platform.
std::vector<std::string> tags_to_inspect(const CascadePlan& plan);

enum class LevelState {
    written,     // move the tag: merge the platform into its index
    blocked,     // a candidate holds the platform; the cascade stops here
    unverified,  // a candidate could not be checked; the cascade stops here (conservatively)
    skipped,     // an earlier level stopped the cascade
};

/// "written", "blocked", "unverified", "skipped".
std::string_view to_string(LevelState state);

struct LevelDecision {
    std::string tag;
    LevelKind kind = LevelKind::rolling;
    LevelState state = LevelState::written;
    std::vector<std::string> blocked_by;  // blocked: the candidates found holding the platform
    std::string reason;                   // why a level is not written, for people; "" when written
};

struct CascadeOutcome {
    std::vector<LevelDecision> levels;  // one per plan level, same order

    /// The tags to move, most specific first.
    std::vector<std::string> written_tags() const;
    /// True when every level is written.
    bool complete() const;
};

/// Whether a candidate tag's index holds an entry for exactly the platform being decided.
/// An error makes the level `unverified` (its message goes into the reason) and stops the cascade.
using HoldsPlatform = std::function<Result<bool>(const std::string& tag)>;

enum class BlockerScan {
    first,  // stop reading a level's candidates at the first one holding the platform
    all,    // check every candidate of the blocking level, so blocked_by lists them all
};

/// Decides the cascade for one platform, calling `holds` only for candidates of levels up to and
/// including the first blocked one.
CascadeOutcome decide_cascade(const CascadePlan& plan, const HoldsPlatform& holds, BlockerScan scan = BlockerScan::first);

/// The same from a table: `platforms_by_tag` maps a candidate tag to the platform keys its index
/// holds; a candidate missing from the table counts as unverified ("index of <tag> was not read").
CascadeOutcome decide_cascade(const CascadePlan& plan, const std::string& platform,
                              const std::map<std::string, std::set<std::string>>& platforms_by_tag,
                              BlockerScan scan = BlockerScan::first);

}  // namespace ocx::plan
