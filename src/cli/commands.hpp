#pragma once
// One function per command (one file each: cmd_<name>.cpp). `args` excludes the program name and
// the command word(s). Each returns the process exit code.

#include <string>
#include <vector>

namespace ocx::cli {

using Args = std::vector<std::string>;

int cmd_create(const Args& args);
int cmd_push(const Args& args);
int cmd_release(const Args& args);
int cmd_finalize(const Args& args);
int cmd_verify(const Args& args);
int cmd_install(const Args& args);
int cmd_env(const Args& args);
int cmd_exec(const Args& args);

}  // namespace ocx::cli
