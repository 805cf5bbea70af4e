#include "bundle/file_names.hpp"

#include "oci/media_types.hpp"

namespace ocx::bundle {

std::string bundle_stem(const oci::Reference& ref, const oci::Platform* platform, WithFeatures features) {
    std::string repo = ref.repository;
    if (ref.is_layout()) {
        // oci:DIR — the directory's last component names the package.
        while (repo.size() > 1 && repo.back() == '/') repo.pop_back();
    }
    if (auto slash = repo.rfind('/'); slash != std::string::npos) repo = repo.substr(slash + 1);
    std::string stem = repo + "-" + ref.tag;
    if (platform == nullptr) return stem;
    if (platform->is_any()) return stem + "-any";
    stem += "-" + platform->os + "-" + platform->architecture;
    if (!platform->variant.empty()) stem += "-" + platform->variant;
    if (features == WithFeatures::yes)
        for (const auto& f : platform->features) stem += "-" + f;
    return stem;
}

std::filesystem::path sidecar_path(const std::filesystem::path& archive) {
    return archive.parent_path() / (std::string(oci::archive_stem(archive.filename().string())) + "-metadata.json");
}

}  // namespace ocx::bundle
