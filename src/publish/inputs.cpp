#include "publish/inputs.hpp"

#include <map>

#include "bundle/bundle.hpp"
#include "bundle/file_names.hpp"
#include "bundle/member_rules.hpp"
#include "metadata/metadata.hpp"
#include "oci/media_types.hpp"
#include "publish/gate.hpp"

namespace ocx::publish {

namespace fs = std::filesystem;

namespace {
// Splits a multi-line diagnostics error into separate problems under `path`.
void add_lines(json::Diagnostics& diag, const std::string& path, const std::string& message) {
    std::size_t start = 0;
    while (start <= message.size()) {
        auto nl = message.find('\n', start);
        std::string line = message.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        if (!line.empty()) diag.add(path, line);
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
}

// The trees and archives of a platform's "layers": a tree that cannot be bundled or an archive
// that is not there is a problem at the entry's JSON path. Returns the trees' entries as one
// listing, placed, for the package gate; nullopt when a layer cannot be listed here (a prebuilt
// archive only by a walk, a digest reference not at all: the release looks those up later).
std::optional<std::vector<bundle::Entry>> check_layers(const plan::Matrix& matrix, const plan::PlatformSpec& spec,
                                                       json::Diagnostics& diag) {
    std::error_code ec;
    std::vector<bundle::Entry> listing;
    bool listable = true;
    auto add_tree = [&](const fs::path& tree, const std::optional<unsigned>& strip, const std::optional<std::string>& prefix,
                        const std::string& path) {
        auto scanned = bundle::scan(tree);
        if (!scanned) return add_lines(diag, path, scanned.error().message);
        for (auto& e : bundle::placed_names(std::move(*scanned), strip.value_or(0), prefix)) listing.push_back(std::move(e));
    };
    for (const auto& l : spec.layers) {
        if (l.kind == plan::PlatformLayer::Kind::content) {
            add_tree(l.content, l.ref.strip, l.ref.prefix, l.json_path);
        } else if (l.kind == plan::PlatformLayer::Kind::shared) {
            if (const auto* shared = plan::find_shared_layer(matrix, l.shared))
                add_tree(shared->content, shared->strip, shared->prefix, l.json_path);
        } else {
            listable = false;
            if (l.ref.kind == oci::LayerRef::Kind::file && !fs::is_regular_file(l.ref.path, ec))
                diag.add(l.json_path, "no such file: " + l.ref.path.string());
        }
    }
    if (!listable) return std::nullopt;
    return listing;
}

// The package gate (gate.hpp) for one platform: its content tree (with the trees of its layers,
// placed, when it has layers: one tree once installed) or its archive. Where a layer cannot be
// listed here, declared binaries are not looked up: they may be in that layer.
void gate_platform(const plan::Matrix& matrix, const plan::PlatformSpec& spec,
                   std::optional<std::vector<bundle::Entry>> tree, bool archive_present,
                   const std::optional<std::vector<bundle::Entry>>& layers, const metadata::Metadata* declared,
                   const bundle::UnpackLimits& limits, json::Diagnostics& diag) {
    const bool all_listed = spec.layers.empty() || layers.has_value();
    if (tree && all_listed) {
        if (layers) tree->insert(tree->end(), layers->begin(), layers->end());
        for (const auto& problem : gate_tree(*tree, declared, spec.platform)) diag.add(spec.json_path + "/content", problem);
    }
    // (An oci: layout's directory names no package: only a registry package is compared.)
    const std::string name = matrix.package.is_layout() ? std::string{} : package_name(matrix.package.repository);
    if (archive_present)
        for (const auto& problem :
             gate_archive(*spec.archive, spec.platform, name, spec.layers.empty() ? declared : nullptr, limits))
            diag.add(spec.json_path + "/archive", problem);
}

}  // namespace

std::vector<PlatformInput> load_inputs(const plan::Matrix& matrix, json::Diagnostics& diag, const InputScope& scope) {
    std::vector<PlatformInput> inputs;
    struct Loaded {
        std::optional<metadata::Metadata> meta;
        std::string compact, pretty;
    };
    std::map<fs::path, Loaded> cache;  // a metadata file shared by platforms is read once
    std::error_code ec;
    for (const auto& spec : matrix.platforms) {
        PlatformInput in;
        in.spec = &spec;
        in.needed = scope.checks == InputChecks::all && (!scope.shard || spec.platform.str() == *scope.shard);
        std::optional<std::vector<bundle::Entry>> tree;
        bool archive_present = false;
        if (spec.content && in.needed) {
            auto scanned = bundle::scan(*spec.content);
            if (!scanned)
                add_lines(diag, spec.json_path + "/content", scanned.error().message);
            else
                tree = std::move(*scanned);
        }
        std::optional<std::vector<bundle::Entry>> layers;  // the layers' trees, placed (check_layers)
        if (in.needed && !spec.layers.empty()) layers = check_layers(matrix, spec, diag);
        if (spec.archive && in.needed && oci::layer_media_type(spec.archive->filename().string())) {
            archive_present = fs::is_regular_file(*spec.archive, ec);
            if (!archive_present) diag.add(spec.json_path + "/archive", "no such file: " + spec.archive->string());
        }
        std::optional<fs::path> meta = spec.metadata;
        if (!meta && spec.archive) {
            fs::path side = bundle::sidecar_path(*spec.archive);
            if (fs::exists(side, ec)) meta = side;
        }
        if (!in.needed && (!meta || !fs::exists(*meta, ec))) {
            // Another runner's build (a shard's sibling, or every build for finalize): its files
            // may be absent here.
            inputs.push_back(std::move(in));
            continue;
        }
        if (!meta) {
            diag.add(spec.json_path, spec.archive ? "no metadata: set \"metadata\" or put " +
                                                        bundle::sidecar_path(*spec.archive).string() + " next to the archive"
                                                  : "no metadata: set \"metadata\" here or at the top level");
        } else {
            in.metadata_file = *meta;
            auto [it, inserted] = cache.try_emplace(*meta);
            if (inserted) {
                auto loaded = metadata::load(*meta);
                if (!loaded) {
                    add_lines(diag, spec.json_path + (spec.metadata ? "/metadata" : ""), loaded.error().message);
                } else {
                    it->second = {*loaded, metadata::to_compact(*loaded), metadata::to_pretty(*loaded)};
                }
            }
            if (it->second.meta) {
                in.config = it->second.compact;
                in.metadata_pretty = it->second.pretty;
                in.strip_components = static_cast<unsigned>(it->second.meta->strip_components.value_or(0));
            }
        }
        // The package gate (gate.hpp): what would make the published package unusable.
        const metadata::Metadata* declared = nullptr;
        if (meta)
            if (auto it = cache.find(*meta); it != cache.end() && it->second.meta) declared = &*it->second.meta;
        gate_platform(matrix, spec, std::move(tree), archive_present, layers, declared, scope.limits, diag);
        inputs.push_back(std::move(in));
    }
    if (matrix.output_dir && fs::exists(*matrix.output_dir, ec) && !fs::is_directory(*matrix.output_dir, ec))
        diag.add("/output_dir", matrix.output_dir->string() + " exists and is not a directory");
    return inputs;
}

}  // namespace ocx::publish
