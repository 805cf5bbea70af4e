// expected_rolling and find_drift as stated in rolling.hpp.
#include "publish/rolling.hpp"

#include <algorithm>
#include <set>

#include "plan/cascade.hpp"

namespace ocx::publish {

ExpectedRolling expected_rolling(const std::vector<PublishedVersion>& versions) {
    std::vector<std::string> version_tags;
    std::map<std::string, std::set<std::string>> platforms_by_tag;
    for (const auto& v : versions) {
        version_tags.push_back(v.index.tag);
        auto& held = platforms_by_tag[v.index.tag];
        for (const auto& [platform, entry] : v.index.platforms) held.insert(platform);
    }
    // Ascending within each track, so a higher version's entry replaces a lower one's.
    std::vector<const PublishedVersion*> order;
    order.reserve(versions.size());
    for (const auto& v : versions) order.push_back(&v);
    std::stable_sort(order.begin(), order.end(), [](const PublishedVersion* a, const PublishedVersion* b) {
        if (a->version.variant != b->version.variant) return a->version.variant < b->version.variant;
        return a->version < b->version;
    });
    ExpectedRolling out;
    for (const PublishedVersion* v : order) {
        const plan::CascadePlan levels = plan::plan_cascade(v->version, version_tags);
        for (const auto& [platform, entry] : v->index.platforms) {
            const plan::CascadeOutcome outcome = plan::decide_cascade(levels, platform, platforms_by_tag);
            for (const auto& level : outcome.levels) {
                if (level.state != plan::LevelState::written || is_version_tag(level.tag)) continue;
                out[level.tag][platform] = {v->index.tag, entry};
            }
        }
    }
    return out;
}

std::vector<Drift> find_drift(const Inventory& inv) {
    const ExpectedRolling expected = expected_rolling(inv.versions);
    std::map<std::string, const TagEntries*> found;
    for (const auto& r : inv.rolling) found[r.tag] = &r;
    std::set<std::string> tags;
    for (const auto& [tag, platforms] : expected) tags.insert(tag);
    for (const auto& [tag, entries] : found) tags.insert(tag);

    std::set<std::pair<std::string, Digest>> published;  // (platform, manifest) of every version
    for (const auto& v : inv.versions)
        for (const auto& [platform, entry] : v.index.platforms) published.emplace(platform, entry.digest);

    std::vector<Drift> out;
    static const std::map<std::string, ExpectedEntry> kNone;
    static const std::map<std::string, oci::IndexEntry> kEmpty;
    for (const auto& tag : tags) {
        const auto e = expected.find(tag);
        const auto& want = e == expected.end() ? kNone : e->second;
        const auto f = found.find(tag);
        const auto& have = f == found.end() ? kEmpty : f->second->platforms;
        std::set<std::string> platforms;
        for (const auto& [p, x] : want) platforms.insert(p);
        for (const auto& [p, x] : have) platforms.insert(p);
        for (const auto& p : platforms) {
            const auto w = want.find(p);
            const auto h = have.find(p);
            Drift d{tag, p, std::nullopt, std::nullopt, {}};
            if (h != have.end()) d.found = h->second.digest;
            if (w != want.end()) {
                d.expected = w->second.entry.digest;
                d.version = w->second.version;
            }
            // An entry no version's cascade brings here now, but that a version holds, is history:
            // it came when nothing blocked that version yet (1.2.3 moved `latest` before 2.0.0-rc1
            // was pushed, and the pre-release blocks it now). Only an entry no version holds is judged.
            if (!d.expected && d.found && published.count({p, *d.found}) != 0) continue;
            if (d.found != d.expected) out.push_back(std::move(d));
        }
    }
    return out;
}

}  // namespace ocx::publish
