#include "report/ocx_push.hpp"

#include <algorithm>

#include <boost/json.hpp>

namespace ocx::report {

namespace bj = boost::json;

namespace {
bool written(TagAction a) { return a == TagAction::created || a == TagAction::moved || a == TagAction::unchanged; }

std::vector<std::string> cascade_tags(const Report& report) {
    std::vector<std::string> out;
    for (const auto& t : report.tags)
        if (t.kind == TagKind::cascade && written(t.action)) out.push_back(t.tag);
    return out;
}
}  // namespace

std::string to_ocx_push_json(const Report& report, const std::string& identifier, const BlobCounts& layers) {
    bj::object o;
    o["identifier"] = identifier;
    o["status"] = "pushed";
    std::string index;
    for (const auto& t : report.tags)
        if (t.kind == TagKind::primary && t.after) index = t.after->str();
    o["manifest_digest"] = index;
    bj::array cascade;
    for (const auto& tag : cascade_tags(report)) cascade.emplace_back(tag);
    o["cascade_tags_written"] = std::move(cascade);
    bj::array canonical;
    for (const auto& p : report.platforms)
        if (!p.canonical_tag.empty()) canonical.emplace_back(p.canonical_tag);
    o["canonical_tags_written"] = std::move(canonical);
    bj::object counts;
    counts["mounted"] = layers.mounted;
    counts["uploaded"] = layers.uploaded;
    counts["verified"] = layers.skipped;
    o["layers"] = std::move(counts);
    return bj::serialize(o) + "\n";
}

std::string announce_line(const Report& report) {
    std::vector<std::string> tags{report.tag};
    for (auto& tag : cascade_tags(report))
        if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(std::move(tag));
    std::string line;
    for (const auto& tag : tags) line += (line.empty() ? "" : ",") + tag;
    return line + "\n";
}

}  // namespace ocx::report
