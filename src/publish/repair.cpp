// cascade_repair as stated in repair.hpp.
#include "publish/repair.hpp"

#include <algorithm>
#include <map>

#include "publish/inventory.hpp"
#include "publish/rolling.hpp"
#include "util/log.hpp"

namespace ocx::publish {

namespace {
std::string digest_or_none(const std::optional<Digest>& d) { return d ? d->str() : std::string("none"); }

// "linux/amd64: sha256:… -> sha256:… (1.3.0)"
std::string describe(const Drift& d) {
    return d.platform + ": " + (d.found ? d.found->str() : std::string("no entry")) + " -> " + digest_or_none(d.expected) +
           (d.version.empty() ? std::string() : " (" + d.version + ")");
}

std::string sentence(const Drift& d) {
    std::string out =
        "rolling tag " + d.tag + ": " + d.platform + " is " + (d.found ? d.found->str() : std::string("missing"));
    if (d.expected) return out + ", the published versions imply " + d.expected->str() + " (" + d.version + ")";
    return out +
           ", which no published version's cascade brings here; repair never removes an entry (remove it by "
           "hand, or push that version again)";
}

void finish_status(report::Report& rep) {
    const bool wrote = std::any_of(rep.tags.begin(), rep.tags.end(), [](const report::TagResult& t) {
        return t.action == report::TagAction::created || t.action == report::TagAction::moved;
    });
    if (rep.errors.empty())
        rep.status = rep.dry_run ? report::Status::planned : report::Status::published;
    else
        rep.status = wrote && !rep.dry_run ? report::Status::partial : report::Status::failed;
}
}  // namespace

report::Report cascade_repair(store::Target& target, const std::string& package, RepairMode mode,
                              const WriteOptions& write) {
    report::Report rep;
    rep.package = package;
    rep.dry_run = mode != RepairMode::repair;
    auto inv = read_inventory(target);
    if (!inv) {
        rep.errors.push_back({"read " + package, std::string(to_string(inv.error().kind)), inv.error().message});
        finish_status(rep);
        return rep;
    }
    const std::vector<Drift> drift = find_drift(*inv);
    const ExpectedRolling expected = expected_rolling(inv->versions);

    // One plan per tag and source version; the platforms no version brings are reported apart.
    std::vector<std::string> tags;
    std::map<std::string, std::map<std::string, std::vector<const Drift*>>> by_tag;  // tag -> version -> drift
    for (const auto& d : drift) {
        if (std::find(tags.begin(), tags.end(), d.tag) == tags.end()) tags.push_back(d.tag);
        by_tag[d.tag][d.version].push_back(&d);
        if (mode == RepairMode::check || !d.expected)
            rep.errors.push_back({"tag " + d.tag, std::string(to_string(ErrorKind::data)), sentence(d)});
    }
    std::stable_sort(tags.begin(), tags.end(), rolling_before);
    std::vector<TagPlan> plans;
    std::vector<std::vector<const Drift*>> plan_drift;
    for (const auto& tag : tags) {
        for (const auto& [version, items] : by_tag[tag]) {
            if (version.empty()) continue;
            TagPlan p;
            p.tag = tag;
            p.kind = report::TagKind::cascade;
            p.cascade_of = version;
            for (const Drift* d : items) p.entries.push_back(expected.at(tag).at(d->platform).entry);
            plans.push_back(std::move(p));
            plan_drift.push_back(items);
        }
    }
    WriteOptions options = write;
    options.compute_only = mode != RepairMode::repair;
    const auto outcomes = write_tags(target, plans, {}, options);
    record_tags(plans, outcomes, package, rep.dry_run, rep);
    const std::size_t first = rep.tags.size() - plans.size();
    for (std::size_t i = 0; i < plans.size(); ++i) {
        auto& line = rep.tags[first + i];
        if (line.action == report::TagAction::blocked || line.action == report::TagAction::failed) continue;
        line.platforms.clear();
        line.reason.clear();
        for (const Drift* d : plan_drift[i]) {
            line.platforms.push_back(d->platform);
            line.reason += (line.reason.empty() ? "" : "; ") + describe(*d);
        }
    }
    // Tags with nothing to merge (every difference is an entry no version brings): one line each.
    for (const auto& tag : tags) {
        const auto& groups = by_tag[tag];
        if (groups.size() != 1 || groups.begin()->first != "") continue;
        report::TagResult line;
        line.tag = tag;
        line.kind = report::TagKind::cascade;
        line.action = report::TagAction::skipped;
        for (const auto& r : inv->rolling)
            if (r.tag == tag) line.before = line.after = r.digest;
        for (const Drift* d : groups.begin()->second) {
            line.platforms.push_back(d->platform);
            line.reason += (line.reason.empty() ? "" : "; ") + describe(*d);
        }
        rep.tags.push_back(std::move(line));
    }
    if (drift.empty()) log::info(package + ": every rolling tag holds what the published versions imply");
    finish_status(rep);
    return rep;
}

}  // namespace ocx::publish
