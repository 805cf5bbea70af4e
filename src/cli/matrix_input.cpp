#include "cli/matrix_input.hpp"

#include <cstdlib>

#include "util/files.hpp"

namespace ocx::cli {

Result<std::unique_ptr<LoadedMatrix>> load_matrix(const std::string& path, const MatrixLoad& load) {
    auto text = read_file(path);
    if (!text) return std::move(text).error();
    if (!*text) return make_error(ErrorKind::not_found, path + ": no such matrix file");
    plan::MatrixOverrides overrides;
    overrides.tag = load.tag;
    overrides.package = load.package;
    overrides.replace = load.replace;
    overrides.tag_is_final = load.tag_is_final;
    overrides.default_registry = std::getenv("OCX_DEFAULT_REGISTRY");
    json::Diagnostics diag;
    auto loaded = std::make_unique<LoadedMatrix>();
    loaded->matrix = plan::parse_matrix(**text, path, overrides, diag);
    // File checks only make sense for platforms that parsed; they still run when other keys are
    // wrong, so one run shows every problem.
    loaded->inputs = publish::load_inputs(loaded->matrix, diag, load.scope);
    if (!diag.empty()) return diag.to_error(path);
    return loaded;
}

}  // namespace ocx::cli
