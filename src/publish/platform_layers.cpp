#include "publish/platform_layers.hpp"

#include "bundle/check.hpp"
#include "bundle/member_rules.hpp"
#include "oci/media_types.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"
#include "util/units.hpp"

namespace ocx::publish {

Result<PreparedLayer> bundle_layer(const std::filesystem::path& source, const std::filesystem::path& out,
                                   const oci::LayerRef& placement, const LayerBundling& how, const std::string& who) {
    bundle::BundleOptions bo;
    bo.source = source;
    bo.output = out;
    bo.level = how.level;
    bo.threads = how.threads;
    bo.file_digests = how.file_digests;
    bo.overwrite = true;  // deterministic: the same inputs give the same bytes
    if (how.on_bytes) bo.progress = [&how](std::uint64_t in, std::uint64_t) { how.on_bytes(in); };
    auto made = bundle::create(bo);
    if (!made) return std::move(made).error().context(who);
    // What install will accept: a tree of zeros bundles to little and unpacks to much.
    if (auto s = bundle::check_totals(how.limits, made->size, made->entries, made->input_bytes); !s)
        return std::move(s).error().context(who);
    bundle::remember_bundle(*made);
    PreparedLayer prepared{Layer{out,
                                 made->digest,
                                 made->size,
                                 std::string(oci::kLayerTarXz),
                                 oci::layer_annotations(placement),
                                 Layer::Origin::file,
                                 {},
                                 {}},
                           true, placed_files(std::move(made->files), placement)};
    return prepared;
}

Result<PreparedLayer> reference_layer(store::Target* target, const plan::PlatformLayer& entry, std::string_view mount_from,
                                      bool dry_run) {
    const std::string& text = entry.ref.text;
    if (target == nullptr)
        return make_error(ErrorKind::usage,
                          entry.json_path + ": layer \"" + escape_text(text) +
                              "\" is a digest reference: its size is in the registry, which --offline does not read");
    auto layer = layer_from_registry(*target, entry.ref, mount_from, dry_run ? Mounting::refused : Mounting::allowed);
    if (!layer) return std::move(layer).error().context(entry.json_path);
    log::info(entry.json_path + ": layer " + layer->digest.str() + " (" + human_bytes(layer->size) + ") " +
              (layer->origin == Layer::Origin::mounted ? "mounted" : "present") + " in " + target->describe());
    return PreparedLayer{std::move(*layer), false, {}};
}

std::vector<bundle::FileHash> placed_files(std::vector<bundle::FileHash> files, const oci::LayerRef& placement) {
    return bundle::placed_names(std::move(files), placement.strip.value_or(0), placement.prefix);
}

}  // namespace ocx::publish
