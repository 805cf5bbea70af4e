// `verify --deep` (docs/cli.md "Commands"): every platform of a report is installed for real into
// a temporary directory (install/install.hpp: every digest and size checked, archives extracted
// with the same refusals as `install`), then:
//  * the config must be valid published metadata and byte-identical to its canonical compact
//    form (metadata::to_compact), as `create`/`push` write it (docs/wire-format.md §4);
//  * every declared `binaries` name must be where metadata/binaries.hpp says: a regular file in
//    one of the package's PATH directories, with an execute bit except on windows/* platforms
//    (where NAME.exe counts too); symlinks are followed (they cannot leave the package).
// Install refusals (bad data, missing blobs) become problems; transport and I/O errors end the run.
#include "cli/deep_verify.hpp"

#include <sys/stat.h>

#include "install/install.hpp"
#include "metadata/binaries.hpp"
#include "util/log.hpp"
#include "util/temp_dir.hpp"

namespace ocx::cli {

namespace fs = std::filesystem;

namespace {

// What is at `relative` under `content`, following symlinks (install refused any that leave it).
metadata::FileState file_state(const fs::path& content, const std::string& relative) {
    struct stat st {};
    if (::stat((content / relative).c_str(), &st) != 0) return metadata::FileState::absent;
    if (!S_ISREG(st.st_mode)) return metadata::FileState::other;
    return (st.st_mode & 0111) != 0 ? metadata::FileState::executable : metadata::FileState::plain;
}

}  // namespace

Result<publish::VerifyResult> deep_verify(store::Target& target, const report::Report& report,
                                          const bundle::UnpackLimits& limits) {
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
        auto installed = install::install(target, resolved, dir, install::Overwrite::refuse, limits);
        if (!installed) {
            const ErrorKind kind = installed.error().kind;
            if (kind != ErrorKind::data && kind != ErrorKind::not_found) return std::move(installed).error();
            out.problems.push_back({"", p.platform, "", "", what + ": install failed: " + installed.error().message});
            continue;
        }

        ++out.checks;
        if (metadata::to_compact(installed->metadata) != installed->config_bytes)
            out.problems.push_back({"", p.platform, metadata::to_compact(installed->metadata), installed->config_bytes,
                                    what + ": config " + installed->config.str() +
                                        " is valid metadata but not in the canonical published form (" +
                                        metadata::to_compact(installed->metadata) + ")"});

        if (!installed->metadata.binaries) continue;
        const fs::path content = install::content_dir(dir);
        out.checks += installed->metadata.binaries->size();
        const auto problems = metadata::binary_problems(installed->metadata, metadata::binary_rule(p.platform),
                                                        [&](const std::string& rel) { return file_state(content, rel); });
        for (const auto& problem : problems) out.problems.push_back({"", p.platform, "", "", what + ": " + problem});
    }
    return out;
}

}  // namespace ocx::cli
