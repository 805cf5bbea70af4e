#include "publish/shared_layers.hpp"

#include <set>

#include "bundle/bundle.hpp"
#include "bundle/check.hpp"
#include "bundle/file_names.hpp"
#include "oci/media_types.hpp"
#include "util/log.hpp"
#include "util/units.hpp"

namespace ocx::publish {

namespace {
Result<Layer> bundle_shared(const plan::Matrix& matrix, const ReleaseOptions& options, const plan::SharedLayerSpec& spec) {
    const std::string what = "shared layer \"" + spec.name + "\"";
    const auto out = options.bundle_dir /
                     (bundle::bundle_stem(matrix.package.with_tag(matrix.tag), nullptr) + "-" + spec.name + ".tar.xz");
    bundle::BundleOptions bo;
    bo.source = spec.content;
    bo.output = out;
    bo.level = matrix.level;
    bo.threads = matrix.threads;
    bo.overwrite = true;  // deterministic: the same inputs give the same bytes
    auto made = bundle::create(bo);
    if (!made) return std::move(made).error().context(what);
    if (auto s = bundle::check_totals(options.limits, made->size, made->entries, made->input_bytes); !s)
        return std::move(s).error().context(what);
    bundle::remember_bundle(*made);
    oci::Annotations annotations;
    if (spec.strip) annotations[std::string(oci::kAnnotationStripComponents)] = std::to_string(*spec.strip);
    if (spec.prefix) annotations[std::string(oci::kAnnotationPrefix)] = *spec.prefix;
    log::info("[" + spec.name + "] bundled shared layer " + out.filename().string() + " (" + human_bytes(made->size) + ", " +
              made->digest.str() + ")");
    return Layer{
        out, made->digest, made->size, std::string(oci::kLayerTarXz), std::move(annotations), Layer::Origin::present, {},
        {}};
}

Status push_shared(store::Target& target, const std::string& name, const Layer& layer) {
    auto present = target.blob_exists(layer.digest);
    if (!present) return std::move(present).error();
    if (*present) {
        log::info("[" + name + "] shared layer " + layer.digest.str() + " already present");
        return {};
    }
    auto sent = target.upload_blob(store::BlobSource{layer.digest, layer.size, layer.path, {}, {}, {}});
    if (!sent) return std::move(sent).error();
    log::info("[" + name + "] uploaded shared layer " + layer.digest.str() + " (" + human_bytes(*sent) + ")");
    return {};
}
}  // namespace

Result<std::map<std::string, Layer>> prepare_shared_layers(store::Target* target, const plan::Matrix& matrix,
                                                           const ReleaseOptions& options) {
    std::set<std::string> named;
    for (const auto& p : matrix.platforms)
        if (!options.shard || p.platform.str() == *options.shard)
            named.insert(p.shared_layers.begin(), p.shared_layers.end());
    std::map<std::string, Layer> out;
    for (const auto& spec : matrix.shared_layers) {
        if (named.count(spec.name) == 0) continue;
        auto layer = bundle_shared(matrix, options, spec);
        if (!layer) return std::move(layer).error();
        if (!options.dry_run && target != nullptr)
            if (auto s = push_shared(*target, spec.name, *layer); !s)
                return std::move(s).error().context("shared layer \"" + spec.name + "\"");
        out.emplace(spec.name, std::move(*layer));
    }
    return out;
}

}  // namespace ocx::publish
