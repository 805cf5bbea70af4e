// read_inventory as stated in inventory.hpp: one tag listing, then one GET per version and
// rolling tag (read_tag, so indexes are parsed exactly as the tag writes parse them).
#include "publish/inventory.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "oci/reference.hpp"
#include "plan/cascade.hpp"
#include "publish/tags.hpp"

namespace ocx::publish {

bool is_version_tag(std::string_view tag) {
    auto v = plan::parse_version(tag);
    return v && v->patch;
}

std::vector<std::string> rolling_tags_of(const std::vector<std::string>& tags) {
    std::set<std::string> out;
    for (const auto& tag : tags) {
        auto v = plan::parse_version(tag);
        if (!v || !v->patch) continue;
        for (auto& target : plan::cascade_targets(*v))
            if (!is_version_tag(target)) out.insert(std::move(target));
    }
    return {out.begin(), out.end()};
}

bool rolling_before(const std::string& a, const std::string& b) {
    // (track, 0 for a version level / 1 for the track tag, the level) compared in that order.
    const auto key = [](const std::string& tag) {
        if (auto v = plan::parse_version(tag)) return std::tuple(v->variant, 0, *v);
        return std::tuple(tag == "latest" ? std::string() : tag, 1, plan::Version{});
    };
    const auto ka = key(a), kb = key(b);
    if (std::get<0>(ka) != std::get<0>(kb)) return std::get<0>(ka) < std::get<0>(kb);
    if (std::get<1>(ka) != std::get<1>(kb)) return std::get<1>(ka) < std::get<1>(kb);
    if (std::get<2>(ka) < std::get<2>(kb)) return true;
    if (std::get<2>(kb) < std::get<2>(ka)) return false;
    return a < b;
}

namespace {
Result<TagEntries> read_entries(store::Target& target, const std::string& tag) {
    auto state = read_tag(target, tag);
    if (!state) return std::move(state).error();
    TagEntries out;
    out.tag = tag;
    if (state->stored) out.digest = state->stored->digest;
    if (const auto* idx = std::get_if<oci::ImageIndex>(&state->content))
        for (const auto& e : idx->manifests)
            if (e.platform) out.platforms.emplace(e.platform->str(), e);
    return out;
}

// Newest first: the default track, then the variant tracks by name; descending inside a track.
bool newer_first(const PublishedVersion& a, const PublishedVersion& b) {
    if (a.version.variant != b.version.variant) return a.version.variant < b.version.variant;
    return a.version > b.version;
}
}  // namespace

Result<Inventory> read_inventory(store::Target& target) {
    auto listed = target.list_tags();
    if (!listed) return std::move(listed).error().context("listing tags of " + target.describe());
    if (!*listed) return make_error(ErrorKind::not_found, "repository " + target.describe() + " does not exist");
    const std::vector<std::string>& tags = **listed;
    const std::vector<std::string> rolling = rolling_tags_of(tags);
    Inventory inv;
    std::set<std::string> seen;
    for (const auto& tag : tags) {
        if (!seen.insert(tag).second) continue;
        if (!oci::reserved_tag_reason(tag).empty()) continue;
        // A name no registry may hold as a tag is never read, only listed (escaped when shown).
        if (auto valid = oci::normalize_tag(tag); !valid || *valid != tag) {
            inv.other.push_back(tag);
            continue;
        }
        const bool is_rolling = std::binary_search(rolling.begin(), rolling.end(), tag);
        auto v = plan::parse_version(tag);
        if (!is_rolling && !(v && v->patch)) {
            inv.other.push_back(tag);
            continue;
        }
        auto entries = read_entries(target, tag);
        if (!entries) return std::move(entries).error();
        if (is_rolling)
            inv.rolling.push_back(std::move(*entries));
        else
            inv.versions.push_back({std::move(*v), std::move(*entries)});
    }
    std::stable_sort(inv.versions.begin(), inv.versions.end(), newer_first);
    std::stable_sort(inv.rolling.begin(), inv.rolling.end(),
                     [](const TagEntries& a, const TagEntries& b) { return rolling_before(a.tag, b.tag); });
    std::sort(inv.other.begin(), inv.other.end());
    return inv;
}

}  // namespace ocx::publish
