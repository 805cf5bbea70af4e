#pragma once

namespace ocx::cli {

/// Entry point: parses the command line, runs one command, returns the process exit code.
int run(int argc, char** argv);

}  // namespace ocx::cli
