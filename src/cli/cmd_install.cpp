// `ocx-release install REF [-p PLATFORM] -o DIR [--force]` (docs/cli.md "Commands"): one platform
// of a package, picked and installed the way OCX does (install/install.hpp).
#include <boost/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/limits.hpp"
#include "cli/target.hpp"
#include "install/host.hpp"
#include "install/install.hpp"
#include "util/json.hpp"
#include "util/log.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace ocx::cli {

int cmd_install(const Args& args) {
    CommonOptions common;
    TargetOptions target_options;
    LimitOptions limit_options;
    std::string reference, platform_text, output;
    bool force = false;
    po::options_description desc("install options");
    desc.add_options()("reference", po::value(&reference),
                       "REGISTRY/REPO[:TAG|@DIGEST] or oci:DIR[:TAG] (tag defaults to latest)")(
        "platform,p", po::value(&platform_text)->value_name("PLATFORM"),
        "platform to install: os/arch[/variant][+features] or any; its features stand for the host's "
        "(default: this host, with its libc)")("output,o", po::value(&output)->value_name("DIR"),
                                               "install directory: DIR/content and DIR/metadata.json")(
        "force,f", po::bool_switch(&force), "replace the package already installed in a non-empty DIR");
    add_limit_options(desc, limit_options);
    add_connection_options(desc, target_options);
    add_common_options(desc, common);
    po::positional_options_description pos;
    pos.add("reference", 1);
    if (auto done = parse_or_help("install", args, desc, &pos, common)) return *done;
    if (reference.empty()) return fail(make_error(ErrorKind::usage, "install: missing REF (the package to install)"));
    if (output.empty()) return fail(make_error(ErrorKind::usage, "install: missing -o DIR"));

    auto ref = parse_reference(reference);
    if (!ref) return fail(ref.error());
    auto required = install::required_platform(platform_text);
    if (!required) return fail(required.error());
    auto limits = unpack_limits(limit_options);
    if (!limits) return fail(limits.error());
    auto target = open_target(*ref, target_options);
    if (!target) return fail(target.error());

    const std::string at = ref->digest ? ref->digest->str() : ref->tag.empty() ? std::string("latest") : ref->tag;
    const std::string name = ref->repository_str() + (ref->digest ? "@" : ":") + at;
    auto resolved = install::resolve(**target, at, *required);
    if (!resolved) return fail(resolved.error());
    const std::string platform = resolved->platform ? resolved->platform->str() : std::string("no index");
    log::info("installing " + name + " (" + platform + ", " + resolved->digest.str() + ") into " + output);
    auto installed = install::install(**target, *resolved, output,
                                      force ? install::Overwrite::replace : install::Overwrite::refuse, *limits);
    if (!installed) return fail(installed.error());

    std::error_code ec;
    const fs::path dir = fs::absolute(output, ec).lexically_normal();
    if (common.format == Format::json) {
        boost::json::object o;
        o["reference"] = ref->str();
        if (resolved->platform)
            o["platform"] = resolved->platform->str();
        else
            o["platform"] = nullptr;
        o["manifest"] = installed->manifest.str();
        o["config"] = installed->config.str();
        o["dir"] = dir.string();
        o["content"] = install::content_dir(dir).string();
        o["layers"] = installed->layers;
        o["entries"] = installed->extracted.entries;
        o["bytes_downloaded"] = installed->bytes_downloaded;
        print_stdout(json::pretty(o));
    }
    log::info("installed " + std::to_string(installed->extracted.entries) + " entries from " +
              std::to_string(installed->layers) + " layer(s), " + std::to_string(installed->bytes_downloaded) +
              " bytes downloaded");
    return 0;
}

}  // namespace ocx::cli
