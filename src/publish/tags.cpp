#include "publish/tags.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "oci/media_types.hpp"
#include "plan/cascade.hpp"
#include "util/log.hpp"

namespace ocx::publish {

Result<TagState> read_tag(store::Target& target, const std::string& tag) {
    auto got = target.get_manifest(tag);
    if (!got) return std::move(got).error().context("reading tag " + tag);
    TagState state;
    state.stored = std::move(*got);
    if (!state.stored) return state;
    const auto& m = *state.stored;
    std::string media_type = m.media_type.empty() ? oci::sniff_media_type(m.bytes) : m.media_type;
    if (media_type == oci::kImageIndex || media_type == oci::kDockerManifestList) {
        auto idx = oci::ImageIndex::parse(m.bytes);
        if (!idx) return std::move(idx).error().context("tag " + tag + " in " + target.describe());
        state.content = std::move(*idx);
    } else {
        // A plain manifest at the tag is kept as an entry without platform (docs/wire-format.md §3 step 1).
        state.content = oci::Descriptor{media_type.empty() ? std::string(oci::kImageManifest) : media_type,
                                        m.digest,
                                        m.bytes.size(),
                                        {}};
    }
    return state;
}

namespace {
std::set<std::string> platforms_held(const TagContent& content) {
    std::set<std::string> out;
    if (const auto* idx = std::get_if<oci::ImageIndex>(&content))
        for (const auto& e : idx->manifests)
            if (e.platform) out.insert(e.platform->str());
    return out;
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

TagPlan new_plan(std::string tag, report::TagKind kind, std::vector<oci::IndexEntry> entries) {
    TagPlan p;
    p.tag = std::move(tag);
    p.kind = kind;
    p.entries = std::move(entries);
    return p;
}

// The cascade decision for each entry's platform, reading each candidate blocker's index once
// whatever the number of platforms.
std::vector<plan::CascadeOutcome> decide_for_entries(store::Target& target, const plan::CascadePlan& cplan,
                                                     const std::vector<oci::IndexEntry>& entries) {
    std::map<std::string, Result<std::set<std::string>>> held;
    std::vector<plan::CascadeOutcome> outcomes;
    for (const auto& e : entries) {
        std::string key = e.platform ? e.platform->str() : std::string();
        auto holds = [&](const std::string& tag) -> Result<bool> {
            auto it = held.find(tag);
            if (it == held.end()) {
                auto state = read_tag(target, tag);
                Result<std::set<std::string>> platforms = state
                                                              ? Result<std::set<std::string>>(platforms_held(state->content))
                                                              : Result<std::set<std::string>>(std::move(state).error());
                it = held.emplace(tag, std::move(platforms)).first;
            }
            if (!it->second) return it->second.error();
            return it->second->count(key) != 0;
        };
        outcomes.push_back(plan::decide_cascade(cplan, holds, plan::BlockerScan::all));
    }
    return outcomes;
}

// Right before a rolling tag moves, decides its level again against the tags as they are now:
// a newer version pushed since plan_tags read the tag list must block us, or two releases
// running at once could move a rolling tag back to the older one. Entries now blocked leave
// the plan (and are reported as blocked).
Status recheck_cascade(store::Target& target, TagPlan& plan) {
    auto version = plan::cascade_version(plan.cascade_of);
    if (!version) return std::move(version).error();
    auto listed = target.list_tags();
    if (!listed) {
        // With --new a failing listing counted as "no tags" when the plan was made; keep that plan.
        if (plan.cascade_new) return {};
        return std::move(listed).error().context("listing tags of " + target.describe());
    }
    plan::CascadePlan cplan = plan::plan_cascade(*version, *listed ? **listed : std::vector<std::string>{});
    auto level = std::find_if(cplan.levels.begin(), cplan.levels.end(),
                              [&](const plan::CascadeLevel& l) { return l.tag == plan.tag; });
    if (level == cplan.levels.end()) return {};
    auto index = static_cast<std::size_t>(level - cplan.levels.begin());
    std::vector<plan::CascadeOutcome> outcomes = decide_for_entries(target, cplan, plan.entries);
    std::vector<oci::IndexEntry> still;
    for (std::size_t i = 0; i < plan.entries.size(); ++i) {
        const auto& d = outcomes[i].levels[index];
        if (d.state == plan::LevelState::written) {
            still.push_back(plan.entries[i]);
            continue;
        }
        log::warn("tag " + plan.tag + ": " + d.reason + " (it appeared while this release ran); not moving it for " +
                  (plan.entries[i].platform ? plan.entries[i].platform->str() : std::string("this platform")));
        add_unique(plan.blocked_platforms, plan.entries[i].platform ? plan.entries[i].platform->str() : "");
        for (const auto& b : d.blocked_by) add_unique(plan.blocked_by, b);
        if (plan.reason.empty()) plan.reason = d.reason;
    }
    plan.entries = std::move(still);
    return {};
}
}  // namespace

Result<std::vector<TagPlan>> plan_tags(store::Target& target, const std::string& primary_tag,
                                       const std::vector<oci::IndexEntry>& entries, const TagOptions& options) {
    std::vector<TagPlan> plans;
    plans.push_back(new_plan(primary_tag, report::TagKind::primary, entries));

    std::optional<plan::CascadeStart> start;
    if (options.cascade) {
        auto started = plan::cascade_start(primary_tag);
        if (!started) return std::move(started).error();
        start = std::move(*started);
    }
    if (start && start->version) {
        const plan::Version* version = &*start->version;
        std::vector<std::string> tags;
        auto listed = target.list_tags();
        if (!listed) {
            if (!options.new_repository)
                return std::move(listed).error().context("listing tags of " + target.describe() +
                                                         " (use --new for the first push of a package)");
            log::verbose("tag listing failed (" + listed.error().message + "); --new: treating as no tags");
        } else if (*listed) {
            tags = std::move(**listed);
        } else if (!options.new_repository) {
            // docs/wire-format.md §5: without --new, a failing listing (404 included) aborts, so a typo in
            // the repository name cannot silently start a new package.
            return make_error(ErrorKind::not_found, "repository " + target.describe() +
                                                        " does not exist; use --new (-n) for the first push of a package");
        }
        plan::CascadePlan cplan = plan::plan_cascade(*version, tags);
        std::vector<plan::CascadeOutcome> outcomes = decide_for_entries(target, cplan, entries);
        for (std::size_t level = 0; level < cplan.levels.size(); ++level) {
            TagPlan p;
            p.tag = cplan.levels[level].tag;
            p.kind = report::TagKind::cascade;
            p.cascade_of = primary_tag;
            p.cascade_new = options.new_repository;
            for (std::size_t i = 0; i < entries.size(); ++i) {
                const auto& d = outcomes[i].levels[level];
                if (d.state == plan::LevelState::written) {
                    p.entries.push_back(entries[i]);
                    continue;
                }
                add_unique(p.blocked_platforms, entries[i].platform ? entries[i].platform->str() : "");
                for (const auto& b : d.blocked_by) add_unique(p.blocked_by, b);
                if (p.reason.empty()) p.reason = d.reason;
            }
            plans.push_back(std::move(p));
        }
    }
    if (start) {
        // Rolling tags this tag does not move (a pre-release, or not a version at all): reported
        // as skipped, with the reason, and left as they are.
        for (const auto& tag : start->skipped) {
            TagPlan p = new_plan(tag, report::TagKind::cascade, {});
            p.reason = start->reason;
            plans.push_back(std::move(p));
        }
    }
    plans.front().protect_published = options.protect_published;

    for (const auto& alias : options.aliases) {
        bool seen = std::any_of(plans.begin(), plans.end(), [&](const TagPlan& p) { return p.tag == alias; });
        if (seen) {
            // An alias that is also a cascade level is re-pointed with every platform, as aliases are.
            for (auto& p : plans)
                if (p.tag == alias && p.kind == report::TagKind::cascade) {
                    p.kind = report::TagKind::alias;
                    p.entries = entries;
                    p.blocked_by.clear();
                    p.blocked_platforms.clear();
                    p.reason.clear();
                }
            continue;
        }
        plans.push_back(new_plan(alias, report::TagKind::alias, entries));
    }
    return plans;
}

std::vector<PublishedConflict> published_conflicts(const TagContent& content, const std::vector<oci::IndexEntry>& entries) {
    std::vector<PublishedConflict> out;
    const auto* idx = std::get_if<oci::ImageIndex>(&content);
    if (idx == nullptr) return out;
    for (const auto& want : entries) {
        if (!want.platform) continue;
        for (const auto& have : idx->manifests)
            if (have.platform == want.platform && have.digest != want.digest) {
                out.push_back({want.platform->str(), have.digest, want.digest});
                break;
            }
    }
    return out;
}

Error published_conflict_error(const std::string& package, const std::string& tag,
                               const std::vector<PublishedConflict>& conflicts) {
    std::string message;
    for (const auto& c : conflicts)
        message += (message.empty() ? "" : "\n") + c.platform + " is already published in " + package + ":" + tag + " as " +
                   c.published.str() + "; this release has " + c.replacement.str();
    message += "\n" + std::string(conflicts.size() == 1 ? "that platform" : "those platforms") +
               " of a published version would change: release a new version, or pass --replace (matrix "
               "\"replace\": true) to replace " +
               (conflicts.size() == 1 ? "it" : "them");
    return make_error(ErrorKind::data, message);
}

Status compute_tag(store::Target& target, TagPlan& plan, const oci::Annotations& annotations) {
    auto state = read_tag(target, plan.tag);
    if (!state) return std::move(state).error();
    if (plan.protect_published) {
        // Checked here too, right before the merge, so a release that raced ours cannot be replaced.
        auto conflicts = published_conflicts(state->content, plan.entries);
        if (!conflicts.empty()) return published_conflict_error(target.describe(), plan.tag, conflicts);
    }
    plan.before = state->stored ? std::optional<Digest>(state->stored->digest) : std::nullopt;
    plan.write.reset();
    if (plan.entries.empty()) {
        plan.after = plan.before;
        plan.after_size = state->stored ? state->stored->bytes.size() : 0;
        // Blocked here, or skipped because the cascade already stopped at an earlier level.
        plan.action = plan.blocked_by.empty() ? report::TagAction::skipped : report::TagAction::blocked;
        return {};
    }
    MergeResult merged = merge_platforms(state->content, plan.entries, annotations);
    if (merged.changed && !plan.cascade_of.empty()) {
        if (auto s = recheck_cascade(target, plan); !s) return s;
        if (plan.entries.empty()) {
            plan.after = plan.before;
            plan.after_size = state->stored ? state->stored->bytes.size() : 0;
            plan.action = report::TagAction::blocked;
            return {};
        }
        // The recheck made requests of its own: merge into the tag as it is now, so that the
        // bytes we PUT are no older than they must be (see write_tag).
        state = read_tag(target, plan.tag);
        if (!state) return std::move(state).error();
        plan.before = state->stored ? std::optional<Digest>(state->stored->digest) : std::nullopt;
        merged = merge_platforms(state->content, plan.entries, annotations);
    }
    if (!merged.changed && state->stored) {
        plan.after = state->stored->digest;
        plan.after_size = state->stored->bytes.size();
        plan.action = report::TagAction::unchanged;
        return {};
    }
    store::Manifest m;
    m.media_type = std::string(oci::kImageIndex);
    m.bytes = merged.index.serialize();
    m.digest = Digest::of(m.bytes);
    plan.after = m.digest;
    plan.after_size = m.bytes.size();
    plan.action = plan.before ? report::TagAction::moved : report::TagAction::created;
    if (plan.before && *plan.before == m.digest)
        plan.action = report::TagAction::unchanged;
    else
        plan.write = std::move(m);
    return {};
}

namespace {
bool holds_all(const TagContent& content, const std::vector<oci::IndexEntry>& entries) {
    const auto* idx = std::get_if<oci::ImageIndex>(&content);
    if (idx == nullptr) return entries.empty();
    return std::all_of(entries.begin(), entries.end(), [&](const oci::IndexEntry& want) {
        return std::any_of(idx->manifests.begin(), idx->manifests.end(), [&](const oci::IndexEntry& have) {
            return have.digest == want.digest && have.platform == want.platform;
        });
    });
}
}  // namespace

namespace {
using std::chrono::milliseconds;

// The pause before a read-back. The first one (jitter off) only has to outlast a concurrent
// read-merge-write; the jitter on re-writes spreads writers that lost to each other apart, so
// their next writes do not line up again.
void settle(const WriteOptions& options, milliseconds longest_write, bool jitter) {
    const milliseconds base = std::max(options.settle, longest_write * 3);
    if (base.count() <= 0) return;
    milliseconds pause = base;
    if (jitter) pause += milliseconds(static_cast<long>(options.clock.uniform() * static_cast<double>(base.count())));
    options.clock.sleep(pause);
}

// After merging again, reports the tag as it was before our first write: `before` from the first
// read, and created/moved rather than unchanged when the later read found our own earlier write.
// A tag the recheck blocked meanwhile stays blocked.
void report_from_first_read(TagPlan& plan, const std::optional<Digest>& first_before, report::TagAction first_action) {
    if (plan.action == report::TagAction::blocked || plan.action == report::TagAction::skipped) return;
    plan.before = first_before;
    if (first_action == report::TagAction::created || first_action == report::TagAction::moved) plan.action = first_action;
}

struct TagWrite {
    bool sent = false;     // a PUT went out: it may have landed even if its answer was a failure
    milliseconds took{0};  // the longest read-merge-write that sent one
};

// Reads the tag, merges and PUTs the result (compute_tag, then one PUT attempt) as one unit.
// A failed PUT is never sent again as it was: its bytes were merged from a read that a concurrent
// writer may overtake during the backoff, and sending them afterwards would drop that writer's
// entry after it had already read the tag back and left. Each retry reads and merges again; one
// that finds nothing left to write (the failed PUT had landed after all) still counts as sent, so
// the tag is read back. With compute_only, or when nothing changed, nothing is PUT.
Result<TagWrite> write_tag(store::Target& target, TagPlan& plan, const oci::Annotations& annotations,
                           const WriteOptions& options) {
    TagWrite w;
    std::optional<Digest> first_before;
    auto first_action = report::TagAction::unchanged;
    // Another read-merge-write may cure a transient failure, the registry calling a referenced
    // manifest unknown while a concurrent writer re-links it included (the target classifies that
    // as transient; see put_manifest_retrying).
    Status done = retry<void>(options.tag_retry, options.clock, "writing tag " + plan.tag, [&](RetryHint& hint) -> Status {
        const auto start = options.clock.now();
        if (auto s = compute_tag(target, plan, annotations); !s) {
            hint.final = true;  // its reads were retried already
            return s;
        }
        if (!w.sent) {
            first_before = plan.before;
            first_action = plan.action;
        }
        if (options.compute_only || !plan.write) return {};
        Status put = target.put_manifest_once(plan.tag, *plan.write, hint);
        w.sent = true;
        w.took = std::max(w.took, std::chrono::duration_cast<milliseconds>(options.clock.now() - start));
        if (!put) return std::move(put).error().context("writing tag " + plan.tag);
        return put;
    });
    if (!done) return std::move(done).error();
    if (w.sent) report_from_first_read(plan, first_before, first_action);
    return w;
}

// Reads a written tag back (the first pause is already behind us) until it holds every entry of
// the plan, merging and writing again when a concurrent writer dropped one.
Status confirm_tag(store::Target& target, TagPlan& plan, const oci::Annotations& annotations, const WriteOptions& options) {
    const auto first_action = plan.action;
    const auto first_before = plan.before;
    for (int attempt = 1;; ++attempt) {
        auto state = read_tag(target, plan.tag);
        if (!state) return std::move(state).error();
        if (holds_all(state->content, plan.entries)) break;
        if (attempt >= options.max_attempts)
            return make_error(ErrorKind::transient, "tag " + plan.tag + ": a concurrent writer kept replacing the index (" +
                                                        std::to_string(attempt) + " attempts); run again to merge");
        log::warn("tag " + plan.tag + ": a concurrent writer replaced the index; merging again (attempt " +
                  std::to_string(attempt + 1) + ")");
        auto again = write_tag(target, plan, annotations, options);
        if (!again) return std::move(again).error();
        settle(options, again->took, true);
    }
    report_from_first_read(plan, first_before, first_action);
    return {};
}
}  // namespace

std::vector<std::optional<Status>> write_tags(store::Target& target, std::vector<TagPlan>& plans,
                                              const oci::Annotations& annotations, const WriteOptions& options) {
    std::vector<std::optional<Status>> out(plans.size());
    std::vector<std::size_t> written;
    milliseconds longest{0};
    for (std::size_t i = 0; i < plans.size(); ++i) {
        auto w = write_tag(target, plans[i], annotations, options);
        if (!w) {
            out[i] = std::move(w).error();
            break;
        }
        out[i] = Status{};
        if (w->sent) {
            longest = std::max(longest, w->took);
            written.push_back(i);
        }
    }
    if (written.empty() || options.max_attempts <= 1) return out;
    settle(options, longest, false);
    for (std::size_t i : written) out[i] = confirm_tag(target, plans[i], annotations, options);
    return out;
}

TagsRecorded record_tags(std::vector<TagPlan>& plans, const std::vector<std::optional<Status>>& outcomes,
                         const std::string& package, bool dry_run, report::Report& rep) {
    TagsRecorded done;
    for (std::size_t i = 0; i < plans.size(); ++i) {
        TagPlan& plan = plans[i];
        const auto& outcome = outcomes[i];
        if (!outcome) {
            plan.action = report::TagAction::skipped;
            plan.reason = "not written: an earlier tag write failed";
        } else if (!*outcome) {
            done.failed = true;
            plan.action = report::TagAction::failed;
            plan.reason = outcome->error().message;
            rep.errors.push_back(report::StepError::of("tag " + plan.tag, outcome->error()));
        } else {
            if (plan.kind == report::TagKind::primary) {
                done.primary_written = true;
                if (plan.after)
                    rep.index = report::IndexInfo{*plan.after, plan.after_size, package + "@" + plan.after->str()};
            }
            log::info(std::string(dry_run ? "would write " : "") + "tag " + plan.tag + ": " +
                      std::string(report::to_string(plan.action)) + (plan.after ? " -> " + plan.after->str() : ""));
        }
        rep.tags.push_back(to_report(plan));
    }
    return done;
}

report::TagResult to_report(const TagPlan& plan) {
    report::TagResult r;
    r.tag = plan.tag;
    r.kind = plan.kind;
    r.before = plan.before;
    r.after = plan.after;
    r.action = plan.action;
    r.blocked_by = plan.blocked_by;
    r.platforms = plan.blocked_platforms;
    r.reason = plan.reason;
    return r;
}

}  // namespace ocx::publish
