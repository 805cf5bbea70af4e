// `verify --deep` (release.md "Commands"): every platform of a report is installed for real into
// a temporary directory (install/install.hpp: every digest and size checked, archives extracted
// with the same refusals as `install`), then:
//  * the config must be valid published metadata and byte-identical to its canonical compact
//    form (metadata::to_compact), as `create`/`push` write it (wire-format.md §4);
//  * every declared `binaries` name must be a regular file with an execute bit (symlinks followed;
//    they cannot leave the package) in one of the package's PATH directories. Those are the
//    values of its env entries with key PATH and type path, each resolved on its own with
//    ${installPath} = the content directory and split at ':', keeping only directories inside the
//    content (an entry that needs a dependency installed is skipped). A package that declares
//    no PATH entry is looked up in content/bin.
// Install refusals (bad data, missing blobs) become problems; transport and I/O errors end the run.
#include "cli/deep_verify.hpp"

#include <sys/stat.h>

#include "install/install.hpp"
#include "metadata/env.hpp"
#include "util/log.hpp"
#include "util/temp_dir.hpp"

namespace ocx::cli {

namespace fs = std::filesystem;

namespace {

// The PATH directories the package puts inside `content` (see the file comment).
std::vector<fs::path> path_dirs(const metadata::Metadata& meta, const fs::path& content) {
    using metadata::EnvVar;
    std::vector<fs::path> out;
    bool declared = false;
    for (std::size_t i = 0; i < meta.env.size(); ++i) {
        if (meta.env[i].key != "PATH" || meta.env[i].type != EnvVar::Type::path) continue;
        declared = true;
        metadata::Metadata only = meta;  // entry i alone visible, the others still resolvable
        for (std::size_t j = 0; j < only.env.size(); ++j)
            only.env[j].visibility = j == i ? EnvVar::Visibility::public_ : EnvVar::Visibility::private_;
        auto changes = metadata::resolve_env(only, content, {}, metadata::Surface::consumer);
        if (!changes) {
            log::verbose("verify --deep: PATH entry /env/" + std::to_string(i) + " skipped: " + changes.error().message);
            continue;
        }
        for (const auto& c : *changes) {
            if (c.key != "PATH") continue;
            std::size_t start = 0;
            while (start <= c.value.size()) {
                std::size_t colon = c.value.find(':', start);
                if (colon == std::string::npos) colon = c.value.size();
                fs::path dir = fs::path(c.value.substr(start, colon - start)).lexically_normal();
                fs::path rel = dir.lexically_relative(content);
                if (!dir.empty() && !rel.empty() && *rel.begin() != "..") out.push_back(dir);
                start = colon + 1;
            }
        }
    }
    if (!declared) out.push_back(content / "bin");
    return out;
}

std::string relative_list(const std::vector<fs::path>& dirs, const fs::path& content) {
    if (dirs.empty()) return "none inside the package";
    std::string out;
    for (const auto& d : dirs) out += (out.empty() ? "" : ", ") + d.lexically_relative(content).generic_string();
    return out;
}

}  // namespace

Result<publish::VerifyResult> deep_verify(publish::Target& target, const report::Report& report) {
    publish::VerifyResult out;
    for (const auto& p : report.platforms) {
        if (p.manifest.digest.empty()) continue;  // never pushed: the structural check says so
        const std::string what = "platform " + p.platform;
        auto tmp = TempDir::create("ocx-release-verify-");
        if (!tmp) return std::move(tmp).error();
        const fs::path dir = tmp->path() / "package";
        install::Resolved resolved{p.manifest.digest, p.manifest.size == 0 ? std::nullopt : std::optional(p.manifest.size),
                                   std::nullopt};
        log::verbose("verify --deep: installing " + what + " (" + p.manifest.digest.str() + ")");
        ++out.checks;
        auto installed = install::install(target, resolved, dir, install::Overwrite::refuse);
        if (!installed) {
            const ErrorKind kind = installed.error().kind;
            if (kind != ErrorKind::data && kind != ErrorKind::not_found) return std::move(installed).error();
            out.problems.push_back(what + ": install failed: " + installed.error().message);
            continue;
        }

        ++out.checks;
        if (metadata::to_compact(installed->metadata) != installed->config_bytes)
            out.problems.push_back(what + ": config " + installed->config.str() +
                                   " is valid metadata but not in the canonical published form (" +
                                   metadata::to_compact(installed->metadata) + ")");

        if (!installed->metadata.binaries) continue;
        const fs::path content = install::content_dir(dir);
        const std::vector<fs::path> dirs = path_dirs(installed->metadata, content);
        for (const auto& name : *installed->metadata.binaries) {
            ++out.checks;
            std::string not_executable;
            bool found = false;
            for (const auto& d : dirs) {
                struct stat st {};
                const fs::path file = d / name;
                if (::stat(file.c_str(), &st) != 0) continue;
                if (S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0) {
                    found = true;
                    break;
                }
                if (not_executable.empty()) not_executable = file.lexically_relative(content).generic_string();
            }
            if (found) continue;
            if (!not_executable.empty())
                out.problems.push_back(what + ": binary \"" + name + "\" (" + not_executable +
                                       ") is not an executable file");
            else
                out.problems.push_back(what + ": binary \"" + name + "\" is declared but not in the package's PATH (" +
                                       relative_list(dirs, content) + ")");
        }
    }
    return out;
}

}  // namespace ocx::cli
