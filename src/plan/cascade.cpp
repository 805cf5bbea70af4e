// Rolling tags (docs/wire-format.md §5): targets, candidate blockers and the per-platform decision.
// The rules are stated in cascade.hpp; the order they rely on is in version.hpp. Same algebra as
// OCX 0.5.8 (levels from the parent chain, blockers in the open interval between two levels, the
// track tag blocked by anything above the last level), with the decision kept free of I/O.

#include "plan/cascade.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace ocx::plan {
namespace {

constexpr std::string_view kGrammar = "[VARIANT-]MAJOR[.MINOR[.PATCH[-PRE][_BUILD]]]";

/// The rolling versions `v` moves (most specific first), and whether the track tag follows.
struct Chain {
    std::vector<Version> rolling;
    bool track = false;
};

Chain chain_of(const Version& v) {
    Chain chain;
    if (v.is_prerelease()) {
        // A pre-release never rolls past its own pre-release tag, and never to the track tag.
        if (v.has_build()) chain.rolling.push_back(*parent(v));
        return chain;
    }
    for (auto p = parent(v); p; p = parent(*p)) chain.rolling.push_back(*p);
    chain.track = true;
    return chain;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

}  // namespace

Result<Version> cascade_version(std::string_view tag) {
    if (auto v = parse_version(tag)) return *v;
    return make_error(ErrorKind::data,
                      "cannot cascade \"" + std::string{tag} + "\": not a version tag (" + std::string{kGrammar} + ")");
}

namespace {
// "1.4.0-rc.1" -> 1.4.0 (and "slim-1.4.0-rc.1" -> slim-1.4.0): the release a pre-release that the
// grammar refuses belongs to, read SemVer's way (everything after the '-' that follows X.Y.Z is
// the pre-release). nullopt when no such split exists.
std::optional<Version> semver_release(std::string_view tag) {
    for (std::size_t dash = tag.find('-'); dash != std::string_view::npos; dash = tag.find('-', dash + 1)) {
        if (dash + 1 == tag.size()) break;
        auto head = parse_version(tag.substr(0, dash));
        if (head && head->patch && !head->is_prerelease() && !head->has_build()) return head;
    }
    return std::nullopt;
}

// The version a tag names once a leading "v" is dropped, if it names one.
std::optional<std::string> without_v(std::string_view tag) {
    if (tag.size() < 2 || (tag[0] != 'v' && tag[0] != 'V')) return std::nullopt;
    std::string_view rest = tag.substr(1);
    if (parse_version(rest) || semver_release(rest)) return std::string{rest};
    return std::nullopt;
}
}  // namespace

Result<CascadeStart> cascade_start(std::string_view tag) {
    CascadeStart start;
    const std::string quoted = "\"" + std::string{tag} + "\"";
    if (auto v = parse_version(tag)) {
        start.version = *v;
        if (v->is_prerelease()) {
            Version release = *v;
            release.pre.clear();
            release.build.clear();
            const std::vector<std::string> moved = cascade_targets(*v);
            for (auto& t : cascade_targets(release))
                if (std::find(moved.begin(), moved.end(), t) == moved.end()) start.skipped.push_back(std::move(t));
            start.reason = quoted + " is a pre-release: OCX never cascades a pre-release";
        }
        return start;
    }
    if (auto fixed = without_v(tag))
        return make_error(ErrorKind::data, "tag " + quoted +
                                               " is not an OCX version (OCX versions have no \"v\"): use --tag " + *fixed +
                                               ", or ${GITHUB_REF_NAME#v} in a GitHub workflow");
    if (auto release = semver_release(tag)) {
        start.skipped = cascade_targets(*release);
        start.reason = quoted + " is a pre-release, and not an OCX version at all (a dotted pre-release is not in " +
                       std::string{kGrammar} + "): OCX never cascades a pre-release; only " + quoted + " is written";
        return start;
    }
    if (tag != "latest") start.skipped.push_back("latest");
    start.reason = quoted + " is not an OCX version (" + std::string{kGrammar} + "): no rolling tag moves; only " + quoted +
                   " is written";
    return start;
}

std::string track_tag(const Version& v) { return v.variant.empty() ? std::string{"latest"} : v.variant; }

std::vector<std::string> cascade_targets(const Version& v) {
    const Chain chain = chain_of(v);
    std::vector<std::string> tags;
    for (const auto& r : chain.rolling) tags.push_back(to_tag(r));
    if (chain.track) tags.push_back(track_tag(v));
    return tags;
}

CascadePlan plan_cascade(const Version& pushed, const std::vector<std::string>& existing_tags) {
    // Versions of the pushed track, ascending; each tag once, kept as spelled (it is what the caller GETs).
    std::vector<std::pair<Version, std::string>> track;
    std::set<std::string_view> seen;
    for (const auto& tag : existing_tags) {
        auto v = parse_version(tag);
        if (!v || !same_track(*v, pushed) || !seen.insert(tag).second) continue;
        track.emplace_back(std::move(*v), tag);
    }
    std::stable_sort(track.begin(), track.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    const auto between = [&](const Version& low, const std::optional<Version>& high) {
        std::vector<std::string> out;
        for (const auto& [v, tag] : track) {
            if (v > low && (!high || v < *high)) out.push_back(tag);
        }
        return out;
    };

    CascadePlan plan{pushed, {}};
    const Chain chain = chain_of(pushed);
    const Version* previous = &pushed;
    for (const auto& level : chain.rolling) {
        plan.levels.push_back({to_tag(level), LevelKind::rolling, between(*previous, level)});
        previous = &level;
    }
    if (chain.track) plan.levels.push_back({track_tag(pushed), LevelKind::track, between(*previous, std::nullopt)});
    return plan;
}

std::vector<std::string> tags_to_inspect(const CascadePlan& plan) {
    std::vector<std::string> out;
    for (const auto& level : plan.levels) {
        for (const auto& tag : level.candidates) {
            if (std::find(out.begin(), out.end(), tag) == out.end()) out.push_back(tag);
        }
    }
    return out;
}

std::string_view to_string(LevelState state) {
    switch (state) {
        case LevelState::written: return "written";
        case LevelState::blocked: return "blocked";
        case LevelState::unverified: return "unverified";
        case LevelState::skipped: return "skipped";
    }
    return "unknown";
}

std::vector<std::string> CascadeOutcome::written_tags() const {
    std::vector<std::string> out;
    for (const auto& level : levels) {
        if (level.state == LevelState::written) out.push_back(level.tag);
    }
    return out;
}

bool CascadeOutcome::complete() const {
    return std::all_of(levels.begin(), levels.end(), [](const LevelDecision& l) { return l.state == LevelState::written; });
}

CascadeOutcome decide_cascade(const CascadePlan& plan, const HoldsPlatform& holds, BlockerScan scan) {
    CascadeOutcome outcome;
    std::string stopped_at;  // the level that stopped the cascade, "" while it runs
    std::string previous = to_tag(plan.pushed);
    for (const auto& level : plan.levels) {
        LevelDecision d{level.tag, level.kind, LevelState::written, {}, {}};
        if (!stopped_at.empty()) {
            d.state = LevelState::skipped;
            d.reason = "cascade stopped at " + stopped_at;
        } else {
            for (const auto& candidate : level.candidates) {
                auto held = holds(candidate);
                if (!held) {
                    // A blocker already found decides the level; otherwise it cannot be decided.
                    if (d.blocked_by.empty()) {
                        d.state = LevelState::unverified;
                        d.reason = "could not check " + candidate + ": " + held.error().message;
                    }
                    break;
                }
                if (*held) {
                    d.state = LevelState::blocked;
                    d.blocked_by.push_back(candidate);
                    if (scan == BlockerScan::first) break;
                }
            }
            if (d.state == LevelState::blocked) {
                d.reason = "blocked by " + join(d.blocked_by) + " (newer than " + previous + " and holding this platform)";
            }
            if (d.state != LevelState::written) stopped_at = level.tag;
        }
        previous = level.tag;
        outcome.levels.push_back(std::move(d));
    }
    return outcome;
}

CascadeOutcome decide_cascade(const CascadePlan& plan, const std::string& platform,
                              const std::map<std::string, std::set<std::string>>& platforms_by_tag, BlockerScan scan) {
    const HoldsPlatform holds = [&](const std::string& tag) -> Result<bool> {
        const auto it = platforms_by_tag.find(tag);
        if (it == platforms_by_tag.end()) return make_error(ErrorKind::internal, "index of " + tag + " was not read");
        return it->second.count(platform) > 0;
    };
    return decide_cascade(plan, holds, scan);
}

}  // namespace ocx::plan
