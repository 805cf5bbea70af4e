#include "publish/shared_layers.hpp"

#include <set>

#include "bundle/file_names.hpp"
#include "util/log.hpp"
#include "util/units.hpp"

namespace ocx::publish {

namespace {
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

Result<std::map<std::string, PreparedLayer>> prepare_shared_layers(const plan::Matrix& matrix,
                                                                   const ReleaseOptions& options) {
    std::set<std::string> named, listed;  // named by a platform of this run; and by one with a generated SBOM
    for (const auto& p : matrix.platforms) {
        if (options.shard && p.platform.str() != *options.shard) continue;
        for (const auto& l : p.layers) {
            if (l.kind != plan::PlatformLayer::Kind::shared) continue;
            named.insert(l.shared);
            if (p.sbom && !p.sbom_file) listed.insert(l.shared);
        }
    }
    std::map<std::string, PreparedLayer> out;
    for (const auto& spec : matrix.shared_layers) {
        if (named.count(spec.name) == 0) continue;
        const std::string what = "shared layer \"" + spec.name + "\"";
        const auto file = options.bundle_dir / (plan::shared_layer_stem(matrix, spec.name) + ".tar.xz");
        oci::LayerRef placement;
        placement.strip = spec.strip;
        placement.prefix = spec.prefix;
        LayerBundling how{matrix.level, matrix.threads, options.limits, listed.count(spec.name) != 0, {}};
        auto layer = bundle_layer(spec.content, file, placement, how, what);
        if (!layer) return std::move(layer).error();
        log::info("[" + spec.name + "] bundled shared layer " + file.filename().string() + " (" +
                  human_bytes(layer->layer.size) + ", " + layer->layer.digest.str() + ")");
        layer->layer.origin = Layer::Origin::present;
        out.emplace(spec.name, std::move(*layer));
    }
    return out;
}

SharedUploads::SharedUploads(const std::map<std::string, PreparedLayer>& layers) {
    for (const auto& [name, prepared] : layers) {
        auto upload = std::make_unique<Upload>();
        upload->layer = prepared.layer;
        uploads_.emplace(name, std::move(upload));
    }
}

Status SharedUploads::ensure(store::Target& target, const std::string& name) {
    Upload& upload = *uploads_.at(name);
    std::lock_guard lock(upload.mutex);
    if (upload.done) return {};
    if (auto s = push_shared(target, name, upload.layer); !s)
        return std::move(s).error().context("shared layer \"" + name + "\"");
    upload.done = true;
    return {};
}

}  // namespace ocx::publish
