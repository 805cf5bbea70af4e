// Package environment for `env` and `exec` (see environment.hpp; docs/wire-format.md §4 `env[]`).
#include "install/environment.hpp"

#include "install/install.hpp"

extern char** environ;

namespace ocx::install {

std::map<std::string, std::string> process_environment() {
    std::map<std::string, std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        auto eq = entry.find('=');
        if (eq != std::string_view::npos) out.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return out;
}

Result<std::vector<metadata::EnvChange>> package_environment(const std::filesystem::path& dir,
                                                             const std::map<std::string, std::string>& base) {
    auto meta = load_installed(dir);
    if (!meta) return std::move(meta).error();
    return metadata::resolve_env(*meta, content_dir(dir), base, metadata::Surface::consumer);
}

}  // namespace ocx::install
