// Platform selection in an image index (see select.hpp; docs/wire-format.md §3 for the platform object).
#include "install/select.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "oci/media_types.hpp"

namespace ocx::install {

bool is_compatible(const oci::Platform& required, const oci::Platform& offered) {
    if (offered.is_any()) return true;
    if (required.is_any()) return false;
    if (required.os != offered.os || required.architecture != offered.architecture) return false;
    if (!offered.variant.empty() && offered.variant != required.variant) return false;
    return std::all_of(offered.features.begin(), offered.features.end(), [&](const std::string& f) {
        return std::find(required.features.begin(), required.features.end(), f) != required.features.end();
    });
}

Score score(const oci::Platform& offered) {
    if (offered.is_any()) return {false, false, 0};
    return {true, !offered.variant.empty(), offered.features.size()};
}

bool is_candidate(const oci::IndexEntry& entry) {
    if (!entry.platform) return false;
    if (entry.platform->os == "unknown" && entry.platform->architecture == "unknown") return false;
    return entry.media_type != oci::kImageIndex && entry.media_type != oci::kDockerManifestList;
}

Result<std::size_t> select_entry(const oci::ImageIndex& index, const oci::Platform& required) {
    std::vector<std::size_t> best;
    Score best_score{};
    std::vector<std::string> offered;
    for (std::size_t i = 0; i < index.manifests.size(); ++i) {
        const oci::IndexEntry& entry = index.manifests[i];
        if (!is_candidate(entry)) continue;
        offered.push_back(entry.platform->str());
        if (!is_compatible(required, *entry.platform)) continue;
        Score s = score(*entry.platform);
        if (best.empty() || s > best_score) {
            // Not `best = {i}`: GCC 13/14 warn -Warray-bounds on that initializer-list assignment
            // in optimized builds (a false positive in std::vector's inlined copy).
            best.clear();
            best.push_back(i);
            best_score = s;
        } else if (s == best_score) {
            best.push_back(i);
        }
    }
    if (best.size() == 1) return best.front();
    if (best.empty()) {
        std::string has = offered.empty() ? std::string("no platform entries") : "only ";
        for (std::size_t i = 0; i < offered.size(); ++i) has += (i == 0 ? "" : ", ") + offered[i];
        return make_error(ErrorKind::not_found, "no manifest for " + required.str() + " in the index; it has " + has);
    }
    std::string tied;
    for (std::size_t i = 0; i < best.size(); ++i) {
        const oci::IndexEntry& entry = index.manifests[best[i]];
        tied += (i == 0 ? "" : ", ") + entry.platform->str() + " (" + entry.digest.str() + ")";
    }
    return make_error(ErrorKind::data, "ambiguous: " + std::to_string(best.size()) + " manifests match " + required.str() +
                                           " equally well: " + tied + "; choose one with -p PLATFORM");
}

}  // namespace ocx::install
