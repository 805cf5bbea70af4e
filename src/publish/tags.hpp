#pragma once
// Tag writes (docs/wire-format.md §3 merge, §5 cascade and write order): which tags a set of platform
// entries goes to, what each tag's index becomes, and writing it so that concurrent writers of
// other platforms do not lose each other's entries.
//
// Used by `push` (one platform) and `release`/`finalize` (all platforms of a release at once:
// one index write per tag, the same end state as sequential `push --cascade` runs).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "oci/descriptor.hpp"
#include "publish/content.hpp"
#include "publish/merge.hpp"
#include "report/report.hpp"
#include "store/target.hpp"
#include "util/retry.hpp"

namespace ocx::publish {

/// What a tag holds now: the stored bytes (nullopt on 404) and their parsed form.
struct TagState {
    std::optional<store::Manifest> stored;
    TagContent content;
};

/// GET the tag and parse it (index, or a plain manifest kept as a platform-less entry).
Result<TagState> read_tag(store::Target& target, const std::string& tag);

struct TagPlan {
    std::string tag;
    report::TagKind kind = report::TagKind::primary;
    std::vector<oci::IndexEntry> entries;        // merged into this tag, in matrix order
    std::vector<std::string> blocked_by;         // cascade blockers (for any platform)
    std::vector<std::string> blocked_platforms;  // platforms the cascade did not bring here
    std::string reason;                          // why some or all platforms were held back
    std::string cascade_of;                      // cascade levels: the pushed version tag
    bool cascade_new = false;                    // --new: a failing re-listing keeps the plan
    bool protect_published = false;              // refuse to replace a platform's entry with another digest

    // Filled by compute_tag:
    std::optional<Digest> before;
    std::optional<store::Manifest> write;  // what to PUT; nullopt when unchanged or blocked
    std::optional<Digest> after;
    std::uint64_t after_size = 0;
    report::TagAction action = report::TagAction::skipped;
};

struct TagOptions {
    bool cascade = false;
    bool new_repository = false;       // --new: a failing tag listing counts as "no tags"
    std::vector<std::string> aliases;  // explicit extra tags, always re-pointed
    bool protect_published = false;    // release: the primary tag's platforms are not replaced (see compute_tag)
};

/// The tags `entries` go to, in write order: the primary tag, the cascade levels most specific
/// first (per platform: a platform stops at its first blocked level), then explicit aliases.
/// Reads the tag list and the candidate blockers' indexes when cascading.
Result<std::vector<TagPlan>> plan_tags(store::Target& target, const std::string& primary_tag,
                                       const std::vector<oci::IndexEntry>& entries, const TagOptions& options);

/// Reads the tag and computes its merged index: before/after digests, the action, and the bytes
/// to write (none when unchanged — the stored bytes are kept, never re-serialized). A cascade
/// level that would move is decided again against the current tag list, so a version pushed
/// meanwhile blocks it; the tag is then read again, so the merge starts from a fresh read.
/// With plan.protect_published, a tag that already holds one of the entries' platforms with
/// another digest is ErrorKind::data (published_conflicts' message) and nothing is planned.
Status compute_tag(store::Target& target, TagPlan& plan, const oci::Annotations& annotations);

/// A platform a version tag already holds with other content than this release's.
struct PublishedConflict {
    std::string platform;
    Digest published;
    Digest replacement;
};

/// The entries whose exact platform `content` (a version tag) holds with another digest.
std::vector<PublishedConflict> published_conflicts(const TagContent& content, const std::vector<oci::IndexEntry>& entries);

/// The refusal for conflicts of `tag` (ErrorKind::data), one line per platform, with the way out.
Error published_conflict_error(const std::string& package, const std::string& tag,
                               const std::vector<PublishedConflict>& conflicts);

/// The read-back pause (WriteOptions::settle) of every command that writes tags: push, release and
/// finalize. Several CI legs often write platforms of one tag at the same moment. Layouts too: their
/// lock covers one index.json update, not our read-merge-write of a tag, so without the pause a
/// concurrent process drops entries (seen with 4 processes, 1 round in ~100).
inline constexpr std::chrono::milliseconds kReadBackPause{150};

struct WriteOptions {
    /// Reads back after writing and merges again when a concurrent writer dropped an entry.
    int max_attempts = 5;
    /// Pause before the read-back, so a concurrent read-merge-write of another platform that
    /// started before our write has landed by the time we check (README "Concurrent writers").
    /// The pause is at least 3x the longest read-merge-write (the cascade recheck's reads
    /// included); re-writes add a random jitter of up to as much again.
    std::chrono::milliseconds settle{0};
    /// Manifests by digest and canonical tags (the same bytes are always right for them) that fail
    /// transiently — docker-registry's MANIFEST_BLOB_UNKNOWN refusal included — are PUT again this
    /// way (content.hpp, put_manifest_retrying), waiting on `clock`.
    RetryPolicy manifest_retry;
    /// A tag PUT that failed in a way another attempt may cure is tried again this way, each time
    /// from a fresh read and merge, never with the bytes that failed.
    RetryPolicy tag_retry;
    RetryClock clock = RetryClock::system();
    /// Compute every plan (reads only) and write nothing: a dry run.
    bool compute_only = false;
};

/// Computes and PUTs each plan in write order (a failure stops there: later plans get nullopt,
/// not attempted), then pauses once for all the tags it wrote and reads each back, in order;
/// a tag a concurrent writer replaced without our entries is merged and written again, with its
/// own pause (bounded by max_attempts, then a transient error). A tag PUT that fails is retried
/// (tag_retry) from a fresh read and merge. Updates before/after/action of each plan, as seen from
/// before its first write. A plan that sent no PUT is not read back (nothing to confirm). One
/// pause per call, not per tag: a cascade of four tags waits as long as one.
std::vector<std::optional<Status>> write_tags(store::Target& target, std::vector<TagPlan>& plans,
                                              const oci::Annotations& annotations, const WriteOptions& options);

/// What write_tags did, recorded into the report: one tag line per plan (in order), an error per
/// failed tag, rep.index from the primary tag, and a log line per tag ("would write" in dry runs).
struct TagsRecorded {
    bool failed = false;
    bool primary_written = false;
};
TagsRecorded record_tags(std::vector<TagPlan>& plans, const std::vector<std::optional<Status>>& outcomes,
                         const std::string& package, bool dry_run, report::Report& rep);

/// The report line for a plan.
report::TagResult to_report(const TagPlan& plan);

}  // namespace ocx::publish
