#include "publish/tags.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "oci/media_types.hpp"
#include "publish/cascade.hpp"
#include "util/log.hpp"

namespace ocx::publish {

Result<TagState> read_tag(Target& target, const std::string& tag) {
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
        // A plain manifest at the tag is kept as an entry without platform (wire-format.md §3 step 1).
        state.content = oci::Descriptor{media_type.empty() ? std::string(oci::kImageManifest) : media_type, m.digest,
                                        m.bytes.size(), {}};
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
}  // namespace

Result<std::vector<TagPlan>> plan_tags(Target& target, const std::string& primary_tag,
                                       const std::vector<oci::IndexEntry>& entries, const TagOptions& options) {
    std::vector<TagPlan> plans;
    plans.push_back(TagPlan{primary_tag, report::TagKind::primary, entries, {}, {}, {}, {}, {}, {}, 0, {}});

    if (options.cascade) {
        auto version = cascade_version(primary_tag);
        if (!version) return std::move(version).error();
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
            // wire-format.md §5: without --new, a failing listing (404 included) aborts, so a typo in
            // the repository name cannot silently start a new package.
            return make_error(ErrorKind::not_found, "repository " + target.describe() +
                                                        " does not exist; use --new (-n) for the first push of a package");
        }
        CascadePlan cplan = plan_cascade(*version, tags);
        // Read each candidate blocker's index once, whatever the number of platforms.
        std::map<std::string, Result<std::set<std::string>>> held;
        HoldsPlatform holds_for;  // rebound per platform below
        std::vector<CascadeOutcome> outcomes;
        for (const auto& e : entries) {
            std::string key = e.platform ? e.platform->str() : std::string();
            auto holds = [&](const std::string& tag) -> Result<bool> {
                auto it = held.find(tag);
                if (it == held.end()) {
                    auto state = read_tag(target, tag);
                    Result<std::set<std::string>> platforms =
                        state ? Result<std::set<std::string>>(platforms_held(state->content))
                              : Result<std::set<std::string>>(std::move(state).error());
                    it = held.emplace(tag, std::move(platforms)).first;
                }
                if (!it->second) return it->second.error();
                return it->second->count(key) != 0;
            };
            outcomes.push_back(decide_cascade(cplan, holds, BlockerScan::all));
        }
        for (std::size_t level = 0; level < cplan.levels.size(); ++level) {
            TagPlan p;
            p.tag = cplan.levels[level].tag;
            p.kind = report::TagKind::cascade;
            for (std::size_t i = 0; i < entries.size(); ++i) {
                const auto& d = outcomes[i].levels[level];
                if (d.state == LevelState::written) {
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
        plans.push_back(TagPlan{alias, report::TagKind::alias, entries, {}, {}, {}, {}, {}, {}, 0, {}});
    }
    return plans;
}

Status compute_tag(Target& target, TagPlan& plan, const oci::Annotations& annotations) {
    auto state = read_tag(target, plan.tag);
    if (!state) return std::move(state).error();
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
    if (!merged.changed && state->stored) {
        plan.after = state->stored->digest;
        plan.after_size = state->stored->bytes.size();
        plan.action = report::TagAction::unchanged;
        return {};
    }
    Manifest m;
    m.media_type = std::string(oci::kImageIndex);
    m.bytes = merged.index.serialize();
    m.digest = Digest::of(m.bytes);
    plan.after = m.digest;
    plan.after_size = m.bytes.size();
    plan.action = plan.before ? report::TagAction::moved : report::TagAction::created;
    if (plan.before && *plan.before == m.digest) plan.action = report::TagAction::unchanged;
    else plan.write = std::move(m);
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

Status write_tag(Target& target, TagPlan& plan, const oci::Annotations& annotations, const WriteOptions& options) {
    if (plan.entries.empty()) return {};
    // Nothing to write on the first attempt: the tag already held our entries when compute_tag read
    // it, so no write of ours can have dropped another writer's entry; there is nothing to confirm.
    if (!plan.write) return {};
    const auto first_action = plan.action;
    const auto first_before = plan.before;
    thread_local std::mt19937 rng{std::random_device{}()};
    for (int attempt = 1;; ++attempt) {
        std::chrono::milliseconds put_time{0};
        if (plan.write) {
            const auto start = std::chrono::steady_clock::now();
            if (auto s = put_manifest_retrying(target, plan.tag, *plan.write, options.refused_put); !s)
                return std::move(s).error().context("writing tag " + plan.tag);
            put_time = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        }
        if (options.max_attempts <= 1) break;
        // Wait until a concurrent read-merge-write that started before our PUT has landed. A slow
        // registry makes everyone's read-merge-write slow: wait at least 3x what our PUT took.
        const auto settle = std::max(options.settle, plan.write ? put_time * 3 : std::chrono::milliseconds{0});
        if (settle.count() > 0) {
            // Jitter spreads concurrent writers apart so their read-backs do not line up.
            std::uniform_int_distribution<long> jitter(0, static_cast<long>(settle.count()));
            std::this_thread::sleep_for(settle + std::chrono::milliseconds(jitter(rng)));
        }
        auto state = read_tag(target, plan.tag);
        if (!state) return std::move(state).error();
        if (holds_all(state->content, plan.entries)) break;
        if (attempt >= options.max_attempts)
            return make_error(ErrorKind::transient, "tag " + plan.tag + ": a concurrent writer kept replacing the index (" +
                                                        std::to_string(attempt) + " attempts); run again to merge");
        log::warn("tag " + plan.tag + ": a concurrent writer replaced the index; merging again (attempt " +
                  std::to_string(attempt + 1) + ")");
        if (auto s = compute_tag(target, plan, annotations); !s) return s;
    }
    // Report the move as seen from before our first write.
    plan.before = first_before;
    if (first_action == report::TagAction::created || first_action == report::TagAction::moved) plan.action = first_action;
    return {};
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
