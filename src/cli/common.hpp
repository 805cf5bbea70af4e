#pragma once
// Options every command accepts (docs/cli.md: --format json, -v/--verbose, --quiet, --help) and the
// shared way of turning an Error into stderr text + exit code.

#include <boost/program_options.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "cli/commands.hpp"
#include "util/result.hpp"

namespace ocx::cli {

enum class Format { text, json };

struct CommonOptions {
    Format format = Format::text;
    int verbosity = 0;  // count of -v
    bool quiet = false;
    bool help = false;
};

/// Adds --format, -v/--verbose (repeatable), -q/--quiet, -h/--help to `desc`, bound to `common`.
void add_common_options(boost::program_options::options_description& desc, CommonOptions& common);

/// Parses `args` against `desc` (+ positional), storing into bound variables. Usage errors come
/// back as ErrorKind::usage naming the flag ("did you mean --tag?" for an unknown one). Applies
/// the log level from `common` on success.
Status parse_args(const Args& args, const boost::program_options::options_description& desc,
                  const boost::program_options::positional_options_description* positional, CommonOptions& common,
                  boost::program_options::variables_map* vm_out = nullptr);

/// Prints a command's help to stdout (help is asked-for output): "usage: ocx-release …" and the
/// summary from the command table, the options of `desc` except the positional arguments named in
/// `positional` (they are in the usage line, not flags to list), then the table's examples.
void print_help(std::string_view command, const boost::program_options::options_description& desc,
                const boost::program_options::positional_options_description* positional);

/// Every command's start: parse_args, then --help. The exit code when the command ends here (a
/// usage error reported, or the help printed), else nullopt and the command goes on.
std::optional<int> parse_or_help(std::string_view command, const Args& args,
                                 const boost::program_options::options_description& desc,
                                 const boost::program_options::positional_options_description* positional,
                                 CommonOptions& common, boost::program_options::variables_map* vm_out = nullptr);

/// A count flag (--jobs, -j): a whole number from 0 to `max`, else a usage error naming the flag.
/// (program_options reads "-1" into an unsigned as 4294967295, so counts are parsed here.)
Result<unsigned> parse_count(const std::string& text, std::string_view flag, unsigned max = 1024);

/// Adds --progress auto|tty|plain|none (util/progress.hpp), bound to `mode`.
void add_progress_option(boost::program_options::options_description& desc, std::string& mode);

/// The progress display for the lifetime of a command: started from --progress (-q: none),
/// stopped when destroyed.
class ProgressScope {
public:
    ProgressScope() = default;
    ~ProgressScope();
    ProgressScope(const ProgressScope&) = delete;
    ProgressScope& operator=(const ProgressScope&) = delete;
    /// Starts the display; a usage error for an unknown mode.
    Status start(const std::string& mode, const CommonOptions& common);

private:
    bool started_ = false;
};

/// Logs the error (redacted) and returns its exit code.
int fail(const Error& error);

/// Writes text to stdout and flushes (machine output).
void print_stdout(std::string_view text);

}  // namespace ocx::cli
