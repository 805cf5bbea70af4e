#include "cli/run.hpp"

#include <cstdio>
#include <iostream>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/version.hpp"
#include "util/log.hpp"
#include "util/result.hpp"
#include "util/temp_dir.hpp"

namespace ocx::cli {

namespace {
constexpr std::string_view kUsage =
    "usage: ocx-release <command> [options]\n"
    "\n"
    "Publish multi-platform OCX packages to OCI registries.\n"
    "\n"
    "commands:\n"
    "  create PATH -i REPO:TAG -p PLATFORM   bundle a directory into a deterministic .tar.xz + sidecars\n"
    "  push [ARCHIVE...] -i REPO:TAG -p PLATFORM   push one platform and merge it into the tag's index\n"
    "  release MATRIX.json                   bundle, push and tag every platform of a release matrix\n"
    "  finalize MATRIX.json PART.json...     merge shard reports: write each tag once, full report\n"
    "  verify REPORT.json [--deep]           read a release back and check it matches its report\n"
    "  install REF [-p PLATFORM] -o DIR      install one platform of a package (consumer side)\n"
    "  env DIR                               print the environment an installed package declares\n"
    "  exec REF [-p PLATFORM] -- CMD...      run a command inside a package's environment\n"
    "\n"
    "`package create` and `package push` are accepted as OCX-style aliases.\n"
    "Run `ocx-release <command> --help` for a command's options.\n";

// The options every command has (-v/-vv, -q, --format), when written before the command word
// (`ocx-release -v push …`): they are taken off the front and handed to the command.
Args take_leading_common_options(Args& args) {
    Args taken;
    while (!args.empty()) {
        const std::string& a = args.front();
        const bool flag = a == "-v" || a == "-vv" || a == "--verbose" || a == "-q" || a == "--quiet" ||
                          a.rfind("--format=", 0) == 0;
        const bool with_value = a == "--format" && args.size() > 1;
        if (!flag && !with_value) break;
        taken.insert(taken.end(), args.begin(), args.begin() + (with_value ? 2 : 1));
        args.erase(args.begin(), args.begin() + (with_value ? 2 : 1));
    }
    return taken;
}
}  // namespace

int run(int argc, char** argv) {
    Args args(argv + 1, argv + argc);
    const Args leading = take_leading_common_options(args);
    if (!args.empty() && args[0] == "package") args.erase(args.begin());  // OCX spelling
    if (args.empty()) {
        std::cerr << kUsage;
        return exit_code(ErrorKind::usage);
    }
    std::string command = args[0];
    args.erase(args.begin());
    args.insert(args.begin(), leading.begin(), leading.end());
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << kUsage;
        return 0;
    }
    if (command == "--version" || command == "version") {
        std::cout << version_text();
        return 0;
    }
    // Temporary bundles and files are removed on SIGINT/SIGTERM. Not for exec, which replaces
    // this process with the user's command and must not hand it a blocked signal mask.
    if (command != "exec" && command != "env") install_cleanup_signal_handlers();
    try {
        if (command == "create") return cmd_create(args);
        if (command == "push") return cmd_push(args);
        if (command == "release") return cmd_release(args);
        if (command == "finalize") return cmd_finalize(args);
        if (command == "verify") return cmd_verify(args);
        if (command == "install") return cmd_install(args);
        if (command == "env") return cmd_env(args);
        if (command == "exec") return cmd_exec(args);
    } catch (const std::exception& e) {
        log::error(std::string("internal error: ") + e.what());
        return exit_code(ErrorKind::internal);
    }
    log::error("unknown command \"" + command + "\"; run `ocx-release --help` for the list");
    return exit_code(ErrorKind::usage);
}

}  // namespace ocx::cli
