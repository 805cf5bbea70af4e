#include "publish/inputs.hpp"

#include <map>

#include "bundle/bundle.hpp"
#include "metadata/metadata.hpp"
#include "oci/media_types.hpp"
#include "publish/naming.hpp"

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

}  // namespace

std::vector<PlatformInput> load_inputs(const plan::Matrix& matrix, json::Diagnostics& diag, InputChecks checks) {
    std::vector<PlatformInput> inputs;
    struct Loaded {
        bool ok = false;
        std::string compact, pretty;
    };
    std::map<fs::path, Loaded> cache;  // a metadata file shared by platforms is read once
    std::error_code ec;
    for (const auto& spec : matrix.platforms) {
        PlatformInput in;
        in.spec = &spec;
        if (spec.content && checks == InputChecks::all) {
            auto scanned = bundle::scan(*spec.content);
            if (!scanned) add_lines(diag, spec.json_path + "/content", scanned.error().message);
        }
        if (spec.archive && checks == InputChecks::all && oci::layer_media_type(spec.archive->filename().string())) {
            if (!fs::is_regular_file(*spec.archive, ec))
                diag.add(spec.json_path + "/archive", "no such file: " + spec.archive->string());
        }
        std::optional<fs::path> meta = spec.metadata;
        if (!meta && spec.archive) {
            fs::path side = sidecar_path(*spec.archive);
            if (fs::exists(side, ec)) meta = side;
        }
        if (!meta) {
            diag.add(spec.json_path, spec.archive ? "no metadata: set \"metadata\" or put " + sidecar_path(*spec.archive).string() +
                                                        " next to the archive"
                                                  : "no metadata: set \"metadata\" here or at the top level");
        } else {
            in.metadata_file = *meta;
            auto [it, inserted] = cache.try_emplace(*meta);
            if (inserted) {
                auto loaded = metadata::load(*meta);
                if (!loaded) {
                    add_lines(diag, spec.json_path + (spec.metadata ? "/metadata" : ""), loaded.error().message);
                } else {
                    it->second = {true, metadata::to_compact(*loaded), metadata::to_pretty(*loaded)};
                }
            }
            if (it->second.ok) {
                in.config = it->second.compact;
                in.metadata_pretty = it->second.pretty;
            }
        }
        inputs.push_back(std::move(in));
    }
    if (matrix.output_dir && fs::exists(*matrix.output_dir, ec) && !fs::is_directory(*matrix.output_dir, ec))
        diag.add("/output_dir", matrix.output_dir->string() + " exists and is not a directory");
    return inputs;
}

}  // namespace ocx::publish
