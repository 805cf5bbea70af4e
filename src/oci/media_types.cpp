#include "oci/media_types.hpp"

#include <array>
#include <utility>

namespace ocx::oci {

namespace {
struct Extension {
    std::string_view suffix;
    std::string_view media_type;
};
constexpr std::array<Extension, 7> kExtensions{{
    {".tar.xz", kLayerTarXz},
    {".txz", kLayerTarXz},
    {".tar.gz", kLayerTarGzip},
    {".tgz", kLayerTarGzip},
    {".tar.zst", kLayerTarZstd},
    {".tzst", kLayerTarZstd},
    {".tar.zstd", kLayerTarZstd},
}};

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
}  // namespace

std::optional<std::string_view> layer_media_type(std::string_view file_name) {
    for (const auto& e : kExtensions)
        if (ends_with(file_name, e.suffix)) return e.media_type;
    return std::nullopt;
}

std::string archive_extensions() {
    std::string out;
    for (const auto& e : kExtensions) {
        if (!out.empty()) out += ", ";
        out += e.suffix;
    }
    return out;
}

std::string_view archive_stem(std::string_view file_name) {
    if (auto slash = file_name.find_last_of('/'); slash != std::string_view::npos) file_name = file_name.substr(slash + 1);
    for (const auto& e : kExtensions)
        if (ends_with(file_name, e.suffix)) return file_name.substr(0, file_name.size() - e.suffix.size());
    return file_name;
}

}  // namespace ocx::oci
