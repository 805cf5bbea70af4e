#pragma once
// The command table: one row per command (name, summary, usage, handler, examples). Dispatch in
// run.cpp, the top-level `--help`, each command's `--help` and "did you mean" for a mistyped
// command all read it, so a command is added in exactly one place (commands.cpp) plus its
// cmd_<name>.cpp. `args` excludes the program name and the command word(s); a handler returns
// the process exit code.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ocx::cli {

using Args = std::vector<std::string>;

int cmd_create(const Args& args);
int cmd_push(const Args& args);
/// `package push`: push with OCX's --format json report (report/ocx_push.hpp).
int cmd_package_push(const Args& args);
int cmd_release(const Args& args);
int cmd_finalize(const Args& args);
int cmd_verify(const Args& args);
int cmd_install(const Args& args);
int cmd_env(const Args& args);
int cmd_exec(const Args& args);
int cmd_ls(const Args& args);
int cmd_cascade(const Args& args);
int cmd_copy(const Args& args);
int cmd_describe(const Args& args);

/// Whether a command runs with the cleanup signal handlers (temporary files removed on
/// SIGINT/SIGTERM). Not for exec, which replaces this process with the user's command and must
/// not hand it a blocked signal mask, nor env, which only reads.
enum class SignalCleanup { install, none };

struct Command {
    std::string_view name;
    std::string_view summary;  // one line, lower case, no period: "bundle, push and tag …"
    std::string_view usage;    // after "ocx-release ": "release MATRIX.json [options]"
    int (*handler)(const Args&);
    std::string_view examples;  // lines of "  $ ocx-release …", each ending in '\n'
    SignalCleanup cleanup = SignalCleanup::install;
};

/// Every command, in the order the top-level help lists them.
std::span<const Command> command_table();

/// The row named `name`; nullptr when there is none.
const Command* find_command(std::string_view name);

/// The top-level help: usage, every command with its summary, global flags, where to read on.
std::string top_level_help();

/// "unknown command \"relase\"; did you mean \"release\"? …" (without a suggestion when none is close).
std::string unknown_command_message(std::string_view name);

}  // namespace ocx::cli
