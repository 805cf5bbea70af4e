// The binaries rule stated in binaries.hpp. The PATH directories come from resolve_env (env.hpp)
// with a placeholder install path, so a template resolves exactly as a consumer's would.
#include "metadata/binaries.hpp"

#include <algorithm>
#include <filesystem>

#include "metadata/env.hpp"

namespace ocx::metadata {

namespace fs = std::filesystem;

namespace {
// Stands for the content root while PATH values are resolved; only paths under it are kept.
const fs::path kRoot{"/ocx-content-root"};

std::string join_path(const std::string& dir, const std::string& name) { return dir == "." ? name : dir + "/" + name; }

std::string listed(const std::vector<std::string>& dirs) {
    if (dirs.empty()) return "none inside the package";
    std::string out;
    for (const auto& d : dirs) out += (out.empty() ? "" : ", ") + d;
    return out;
}
}  // namespace

std::vector<std::string> binary_dirs(const Metadata& meta) {
    std::vector<std::string> out;
    bool declared = false;
    for (std::size_t i = 0; i < meta.env.size(); ++i) {
        if (meta.env[i].key != "PATH" || meta.env[i].type != EnvVar::Type::path) continue;
        declared = true;
        Metadata only = meta;  // entry i alone visible, the others still resolvable
        for (std::size_t j = 0; j < only.env.size(); ++j)
            only.env[j].visibility = j == i ? EnvVar::Visibility::public_ : EnvVar::Visibility::private_;
        auto changes = resolve_env(only, kRoot, {}, Surface::consumer);
        if (!changes) continue;  // needs a dependency installed, or cannot resolve: not a directory of ours
        for (const auto& c : *changes) {
            if (c.key != "PATH") continue;
            std::size_t start = 0;
            while (start <= c.value.size()) {
                std::size_t colon = c.value.find(':', start);
                if (colon == std::string::npos) colon = c.value.size();
                const fs::path dir = fs::path(c.value.substr(start, colon - start)).lexically_normal();
                const fs::path rel = dir.lexically_relative(kRoot);
                if (!dir.empty() && !rel.empty() && *rel.begin() != "..") {
                    std::string r = rel.generic_string();
                    while (r.size() > 1 && r.back() == '/') r.pop_back();
                    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
                }
                start = colon + 1;
            }
        }
    }
    if (!declared) out.push_back("bin");
    return out;
}

BinaryRule binary_rule(std::string_view platform) {
    return platform.substr(0, 8) == "windows/" ? BinaryRule::windows_exe : BinaryRule::unix_exec;
}

std::vector<std::string> binary_problems(const Metadata& meta, BinaryRule rule, const FileLookup& lookup) {
    std::vector<std::string> problems;
    if (!meta.binaries) return problems;
    const std::vector<std::string> dirs = binary_dirs(meta);
    for (const auto& name : *meta.binaries) {
        std::vector<std::string> names{name};
        if (rule == BinaryRule::windows_exe) names.insert(names.begin(), name + ".exe");
        std::string not_executable;
        bool found = false;
        for (const auto& d : dirs) {
            for (const auto& n : names) {
                const std::string path = join_path(d, n);
                const FileState state = lookup(path);
                if (state == FileState::executable || (state == FileState::plain && rule == BinaryRule::windows_exe)) {
                    found = true;
                    break;
                }
                if (state != FileState::absent && not_executable.empty()) not_executable = path;
            }
            if (found) break;
        }
        if (found) continue;
        if (!not_executable.empty())
            problems.push_back("binary \"" + name + "\" (" + not_executable + ") is not " +
                               (rule == BinaryRule::windows_exe ? "a regular file" : "an executable file"));
        else if (rule == BinaryRule::windows_exe)
            problems.push_back("binary \"" + name + "\" is declared but neither " + name + ".exe nor " + name +
                               " is in the package's PATH (" + listed(dirs) + ")");
        else
            problems.push_back("binary \"" + name + "\" is declared but not in the package's PATH (" + listed(dirs) + ")");
    }
    return problems;
}

}  // namespace ocx::metadata
