#include "publish/inputs.hpp"

#include <map>

#include "bundle/bundle.hpp"
#include "bundle/file_names.hpp"
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
// that is not there is a problem at the entry's JSON path. Digest references are looked up in
// the target by the release (publish/platform_layers.hpp).
void check_layers(const plan::PlatformSpec& spec, json::Diagnostics& diag) {
    std::error_code ec;
    for (const auto& l : spec.layers) {
        if (l.kind == plan::PlatformLayer::Kind::content) {
            if (auto scanned = bundle::scan(l.content); !scanned) add_lines(diag, l.json_path, scanned.error().message);
        } else if (l.kind == plan::PlatformLayer::Kind::reference && l.ref.kind == oci::LayerRef::Kind::file) {
            if (!fs::is_regular_file(l.ref.path, ec)) diag.add(l.json_path, "no such file: " + l.ref.path.string());
        }
    }
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
        if (in.needed) check_layers(spec, diag);
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
            }
        }
        // The package gate (gate.hpp): what would make the published package unusable.
        const metadata::Metadata* declared = nullptr;
        if (meta)
            if (auto it = cache.find(*meta); it != cache.end() && it->second.meta) declared = &*it->second.meta;
        if (tree)
            for (const auto& problem : gate_tree(*tree, declared, spec.platform))
                diag.add(spec.json_path + "/content", problem);
        // (An oci: layout's directory names no package: only a registry package is compared.)
        const std::string name = matrix.package.is_layout() ? std::string{} : package_name(matrix.package.repository);
        if (archive_present)
            for (const auto& problem : gate_archive(*spec.archive, spec.platform, name, declared, scope.limits))
                diag.add(spec.json_path + "/archive", problem);
        inputs.push_back(std::move(in));
    }
    if (matrix.output_dir && fs::exists(*matrix.output_dir, ec) && !fs::is_directory(*matrix.output_dir, ec))
        diag.add("/output_dir", matrix.output_dir->string() + " exists and is not a directory");
    return inputs;
}

}  // namespace ocx::publish
