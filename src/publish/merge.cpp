// Index merge at a tag (docs/wire-format.md §3, "Merging a platform into an existing tag"); the steps are
// listed in merge.hpp. Step 4 (no rewrite when nothing changes) is the improvement over OCX, which
// always moves the entry to the end and so changes the index digest on every re-run.

#include "publish/merge.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "oci/media_types.hpp"

namespace ocx::publish {
namespace {

/// A plain manifest found at the tag, as an index entry without platform (step 1). Its descriptor
/// annotations, if the caller has any, travel as the entry's foreign fields.
oci::IndexEntry entry_for_manifest(const oci::Descriptor& d) {
    oci::IndexEntry e{d.media_type, d.digest, d.size, std::nullopt, {}};
    if (!d.annotations.empty()) {
        boost::json::object annotations;
        for (const auto& [key, value] : d.annotations) annotations[key] = value;
        boost::json::object extra;
        extra["annotations"] = std::move(annotations);
        e.extra_json = boost::json::serialize(extra);
    }
    return e;
}

/// Step 1: the index to merge into.
oci::ImageIndex starting_index(const TagContent& existing) {
    if (const auto* index = std::get_if<oci::ImageIndex>(&existing)) return *index;
    oci::ImageIndex index;
    if (const auto* manifest = std::get_if<oci::Descriptor>(&existing))
        index.manifests.push_back(entry_for_manifest(*manifest));
    return index;
}

/// Whether `existing` is in the new entry's slot: the same platform object when the new entry has
/// one (entries without platform, e.g. attestations, never are); an equal entry when it has none.
bool same_slot(const oci::IndexEntry& existing, const oci::IndexEntry& entry) {
    if (!entry.platform) return existing == entry;
    return existing.platform && *existing.platform == *entry.platform;
}

/// Steps 2–4 on an index, in place.
void merge_into(oci::ImageIndex& index, const oci::IndexEntry& entry, const oci::Annotations& annotations) {
    oci::ImageIndex merged = index;
    if (!merged.artifact_type) merged.artifact_type = std::string{oci::kPackageArtifact};
    for (const auto& [key, value] : annotations) merged.annotations.insert_or_assign(key, value);

    const auto matches = std::count_if(index.manifests.begin(), index.manifests.end(),
                                       [&](const oci::IndexEntry& e) { return same_slot(e, entry); });
    const bool entry_in_place =
        matches == 1 && std::find(index.manifests.begin(), index.manifests.end(), entry) != index.manifests.end();
    if (entry_in_place && merged == index) return;  // step 4: nothing would change, the entry keeps its place

    std::erase_if(merged.manifests, [&](const oci::IndexEntry& e) { return same_slot(e, entry); });
    merged.manifests.push_back(entry);
    index = std::move(merged);
}

}  // namespace

MergeResult merge_platform(const TagContent& existing, const oci::IndexEntry& entry, const oci::Annotations& annotations) {
    return merge_platforms(existing, {entry}, annotations);
}

MergeResult merge_platforms(const TagContent& existing, const std::vector<oci::IndexEntry>& entries,
                            const oci::Annotations& annotations) {
    MergeResult result{starting_index(existing), false};
    if (entries.empty()) return result;
    for (const auto& entry : entries) merge_into(result.index, entry, annotations);
    // A missing tag or a plain manifest is always (re)written as an index; an existing index only
    // when the merges changed it overall.
    const auto* before = std::get_if<oci::ImageIndex>(&existing);
    result.changed = before == nullptr || !(result.index == *before);
    return result;
}

}  // namespace ocx::publish
