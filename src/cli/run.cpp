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
// The options every command has (-v/-vv, -q, --format), when written before the command word
// (`ocx-release -v push …`): they are taken off the front and handed to the command.
Args take_leading_common_options(Args& args) {
    Args taken;
    while (!args.empty()) {
        const std::string& a = args.front();
        const bool flag =
            a == "-v" || a == "-vv" || a == "--verbose" || a == "-q" || a == "--quiet" || a.rfind("--format=", 0) == 0;
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
    const bool ocx_spelling = !args.empty() && args[0] == "package";
    if (ocx_spelling) args.erase(args.begin());  // OCX spelling
    if (args.empty()) {
        std::cerr << top_level_help();
        return exit_code(ErrorKind::usage);
    }
    std::string command = args[0];
    args.erase(args.begin());
    args.insert(args.begin(), leading.begin(), leading.end());
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << top_level_help();
        return 0;
    }
    if (command == "--version" || command == "version") {
        std::cout << version_text();
        return 0;
    }
    const Command* row = find_command(command);
    if (row == nullptr) {
        log::error(unknown_command_message(command));
        return exit_code(ErrorKind::usage);
    }
    // Temporary bundles and files are removed on SIGINT/SIGTERM (see SignalCleanup).
    if (row->cleanup == SignalCleanup::install) install_cleanup_signal_handlers();
    try {
        // `package push` prints OCX's push JSON (docs/cli.md "OCX's push report").
        return (ocx_spelling && row->handler == cmd_push ? cmd_package_push : row->handler)(args);
    } catch (const std::exception& e) {
        log::error(std::string("internal error: ") + e.what());
        return exit_code(ErrorKind::internal);
    }
}

}  // namespace ocx::cli
