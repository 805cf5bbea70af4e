// `ocx-release exec REF [-p PLATFORM] -- CMD...` (docs/cli.md "Commands"): install the package into
// the cache (install/cache.hpp; reused by manifest digest, so a second run reads only the tag),
// put its environment over this process's (as `env` prints it) and execvp CMD, which then
// exits with its own code. A CMD that cannot be found exits 127, one that cannot be run 126,
// as in POSIX shells and env(1).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/limits.hpp"
#include "cli/target.hpp"
#include "install/cache.hpp"
#include "install/environment.hpp"
#include "install/host.hpp"
#include "util/log.hpp"

namespace po = boost::program_options;

namespace ocx::cli {

int cmd_exec(const Args& all_args) {
    // Everything after the first `--` is the command, untouched by option parsing.
    Args args, command;
    bool separated = false;
    for (const auto& a : all_args) {
        if (!separated && a == "--")
            separated = true;
        else
            (separated ? command : args).push_back(a);
    }
    CommonOptions common;
    TargetOptions target_options;
    LimitOptions limit_options;
    std::string reference, platform_text;
    po::options_description desc("exec options");
    desc.add_options()("reference", po::value(&reference),
                       "REGISTRY/REPO[:TAG|@DIGEST] or oci:DIR[:TAG] (tag defaults to latest)")(
        "platform,p", po::value(&platform_text)->value_name("PLATFORM"),
        "platform to run: os/arch[/variant][+features] or any (default: this host, with its libc)");
    add_limit_options(desc, limit_options);
    add_connection_options(desc, target_options);
    add_common_options(desc, common);
    po::positional_options_description pos;
    pos.add("reference", 1);
    if (auto done = parse_or_help("exec", args, desc, &pos, common)) return *done;
    if (reference.empty()) return fail(make_error(ErrorKind::usage, "exec: missing REF (the package to run in)"));
    if (command.empty()) return fail(make_error(ErrorKind::usage, "exec: missing `-- CMD [ARG...]` (the command to run)"));

    auto ref = parse_reference(reference);
    if (!ref) return fail(ref.error());
    auto required = install::required_platform(platform_text);
    if (!required) return fail(required.error());
    auto limits = unpack_limits(limit_options);
    if (!limits) return fail(limits.error());
    auto root = install::cache_root();
    if (!root) return fail(root.error());
    auto target = open_target(*ref, target_options);
    if (!target) return fail(target.error());

    const std::string at = ref->digest ? ref->digest->str() : ref->tag.empty() ? std::string("latest") : ref->tag;
    const std::string name = ref->repository_str() + (ref->digest ? "@" : ":") + at;
    auto resolved = install::resolve(**target, at, *required);
    if (!resolved) return fail(resolved.error());
    auto cached = install::ensure_cached(**target, *resolved, *root, *limits);
    if (!cached) return fail(cached.error());
    target->reset();  // no connection or descriptor of ours survives into CMD
    log::verbose((cached->reused ? "using cached " : "installed ") + name + " (" + resolved->digest.str() + ") at " +
                 cached->dir.string());

    auto changes = install::package_environment(cached->dir, install::process_environment());
    if (!changes) return fail(changes.error());
    for (const auto& c : *changes)
        if (::setenv(c.key.c_str(), c.value.c_str(), 1) != 0)
            return fail(make_error(ErrorKind::io, "exec: cannot set " + c.key + ": " + std::strerror(errno)));

    std::vector<char*> argv;
    for (auto& a : command) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    std::fflush(stderr);
    ::execvp(argv[0], argv.data());
    const int err = errno;
    log::error("exec: " + command[0] + ": " + (err == ENOENT ? std::string("command not found") : std::strerror(err)));
    return err == ENOENT ? 127 : 126;
}

}  // namespace ocx::cli
