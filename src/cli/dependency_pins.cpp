#include "cli/dependency_pins.hpp"

#include "install/select.hpp"
#include "metadata/identifier.hpp"
#include "metadata/pins.hpp"
#include "oci/descriptor.hpp"
#include "oci/media_types.hpp"
#include "oci/reference.hpp"
#include "util/escape.hpp"

namespace ocx::cli {

namespace {
Result<std::unique_ptr<store::Target>> open_repository(const metadata::DependencyIdentifier& id,
                                                       const TargetOptions& options) {
    auto ref = oci::Reference::parse(id.location(), nullptr);
    if (!ref) return std::move(ref).error();
    return open_target(*ref, options);
}

bool is_index(const std::string& media_type) {
    return media_type == oci::kImageIndex || media_type == oci::kDockerManifestList;
}

std::string quote_text(std::string_view text) { return "\"" + escape_text(text) + "\""; }

// The digest of the platform manifest `id.tag` offers for `platform`.
Result<Digest> resolve(const metadata::DependencyIdentifier& id, const std::string& text, const oci::Platform& platform,
                       const TargetOptions& options) {
    auto target = open_repository(id, options);
    if (!target) return std::move(target).error();
    auto found = (*target)->get_manifest(id.tag);
    if (!found) return std::move(found).error();
    if (!*found)
        return make_error(ErrorKind::not_found,
                          "dependency " + quote_text(text) + ": no tag " + quote_text(id.tag) + " in " + id.location());
    const auto& m = **found;
    const std::string media_type = m.media_type.empty() ? oci::sniff_media_type(m.bytes) : m.media_type;
    if (!is_index(media_type)) return Digest::of(m.bytes);  // one manifest: the tag is the platform manifest
    auto index = oci::ImageIndex::parse(m.bytes);
    if (!index) return std::move(index).error().context("dependency " + quote_text(text));
    auto at = install::select_entry(*index, platform);
    if (!at) return std::move(at).error().context("dependency " + quote_text(text) + " for " + platform.str());
    return index->manifests[*at].digest;
}
}  // namespace

Result<std::string> pin_dependencies(std::string_view metadata_text, const oci::Platform& platform,
                                     const TargetOptions& options, std::string_view source) {
    const auto ids = metadata::dependency_identifiers(metadata_text);
    if (platform.is_any() && !ids.pinned.empty())
        return make_error(ErrorKind::data, std::string(source) + ": dependency " + quote_text(ids.pinned.front()) +
                                               " is pinned by hand; with -p any name it by tag and create pins the "
                                               "`any` manifest it offers");
    if (ids.unpinned.empty()) return std::string(metadata_text);
    std::map<std::string, std::string> pins;
    for (const auto& text : ids.unpinned) {
        auto id = metadata::parse_unpinned_identifier(text);
        if (!id) return std::move(id).error().context(source);
        auto digest = resolve(*id, text, platform, options);
        if (!digest) return std::move(digest).error().context(source);
        pins[text] = id->location() + ":" + id->tag + "@" + digest->str();
    }
    return metadata::with_pins(metadata_text, pins);
}

Status PinCheck::check(const metadata::Metadata& meta, std::string_view source) {
    for (const auto& dep : meta.dependencies) {
        if (!checked_.insert(dep.identifier).second) continue;
        auto id = metadata::parse_dependency_identifier(dep.identifier);
        if (!id) return std::move(id).error().context(source);
        auto target = open_repository(*id, options_);
        if (!target) return std::move(target).error().context(source);
        auto found = (*target)->get_manifest(id->digest.str());
        if (!found)
            return std::move(found).error().context(std::string(source) + ": dependency " + quote_text(dep.identifier));
        if (!*found)
            return make_error(ErrorKind::not_found, std::string(source) + ": dependency " + quote_text(dep.identifier) +
                                                        ": no manifest " + id->digest.str() + " in " + id->location());
        const auto& m = **found;
        const std::string media_type = m.media_type.empty() ? oci::sniff_media_type(m.bytes) : m.media_type;
        if (is_index(media_type))
            return make_error(ErrorKind::data, std::string(source) + ": dependency " + quote_text(dep.identifier) +
                                                   " pins an image index, not a platform manifest; pin the manifest of "
                                                   "one platform (create -m resolves a tag for its platform)");
    }
    return {};
}

}  // namespace ocx::cli
