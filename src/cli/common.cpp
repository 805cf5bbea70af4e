#include "cli/common.hpp"

#include <cctype>
#include <cstdio>
#include <iostream>
#include <set>
#include <sstream>

#include "util/json.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace po = boost::program_options;

namespace ocx::cli {

void add_common_options(po::options_description& desc, CommonOptions& common) {
    desc.add_options()("format",
                       po::value<std::string>()->default_value("text")->value_name("FORMAT")->notifier(
                           [&common](const std::string& f) { common.format = f == "json" ? Format::json : Format::text; }),
                       "output format on stdout: text or json")("verbose,v", po::bool_switch(),
                                                                "more detail on stderr (-vv for wire detail)")(
        "quiet,q", po::bool_switch(&common.quiet), "only errors on stderr")("help,h", po::bool_switch(&common.help),
                                                                            "show this help");
}

namespace {
// "; did you mean --tag?" when a flag of `desc` is close to the unknown `given` ("--tga"), else "".
std::string did_you_mean(const std::string& given, const po::options_description& desc) {
    std::vector<std::string> flags;
    for (const auto& option : desc.options())
        if (!option->long_name().empty()) flags.push_back("--" + option->long_name());
    const std::vector<std::string_view> candidates(flags.begin(), flags.end());
    const std::string word = given.substr(0, given.find('='));
    const std::string near = json::closest(word, candidates);
    return near.empty() ? std::string() : "; did you mean " + near + "?";
}
}  // namespace

Status parse_args(const Args& args, const po::options_description& desc,
                  const po::positional_options_description* positional, CommonOptions& common, po::variables_map* vm_out) {
    po::variables_map vm;
    try {
        // -v may be repeated (-vv): count them before program_options folds them into one switch.
        for (const auto& a : args) {
            if (a == "--verbose")
                ++common.verbosity;
            else if (a.size() > 1 && a[0] == '-' && a[1] != '-' && a.find_first_not_of('v', 1) == std::string::npos)
                common.verbosity += static_cast<int>(a.size() - 1);
        }
        Args filtered;
        for (const auto& a : args) {
            if (a.size() > 2 && a[0] == '-' && a[1] == 'v' && a.find_first_not_of('v', 1) == std::string::npos)
                filtered.push_back("-v");
            else
                filtered.push_back(a);
        }
        auto parser = po::command_line_parser(filtered).options(desc);
        if (positional != nullptr) parser.positional(*positional);
        po::store(parser.run(), vm);
        if (vm.count("format") != 0) {
            const auto& f = vm["format"].as<std::string>();
            if (f != "text" && f != "json")
                return make_error(ErrorKind::usage, "--format: expected text or json, got \"" + f + "\"");
        }
        po::notify(vm);
    } catch (const po::unknown_option& e) {
        return make_error(ErrorKind::usage, e.what() + did_you_mean(e.get_option_name(), desc));
    } catch (const po::error& e) {
        return make_error(ErrorKind::usage, e.what());
    }
    if (common.quiet)
        log::set_level(log::Level::quiet);
    else if (common.verbosity >= 2)
        log::set_level(log::Level::debug);
    else if (common.verbosity == 1)
        log::set_level(log::Level::verbose);
    if (vm_out != nullptr) *vm_out = std::move(vm);
    return {};
}

void print_help(std::string_view command, const po::options_description& desc,
                const po::positional_options_description* positional) {
    std::set<std::string> positional_names;
    if (positional != nullptr)
        for (unsigned i = 0; i < std::min(positional->max_total_count(), 16u); ++i)
            positional_names.insert(positional->name_for_position(i));
    po::options_description visible(std::string(command) + " options", 100, 50);
    for (const auto& option : desc.options())
        if (positional_names.count(option->long_name()) == 0) visible.add(option);
    const Command* row = find_command(command);
    if (row != nullptr) {
        std::string summary(row->summary);
        if (!summary.empty()) summary[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(summary[0])));
        std::cout << "usage: ocx-release " << row->usage << "\n\n" << summary << ".\n\n";
    }
    // program_options pads wrapped descriptions with trailing spaces: print without them.
    std::ostringstream options;
    options << visible;
    std::istringstream lines(options.str());
    for (std::string line; std::getline(lines, line);) {
        while (!line.empty() && line.back() == ' ') line.pop_back();
        std::cout << line << '\n';
    }
    if (row != nullptr && !row->examples.empty()) std::cout << "\nexamples:\n" << row->examples;
    std::cout << std::flush;
}

Result<unsigned> parse_count(const std::string& text, std::string_view flag, unsigned max) {
    std::size_t pos = 0;
    long long n = -1;
    try {
        n = std::stoll(text, &pos);
    } catch (const std::exception&) {
        pos = 0;
    }
    if (pos != text.size() || text.empty() || n < 0 || n > static_cast<long long>(max))
        return make_error(ErrorKind::usage, std::string(flag) + ": expected a whole number from 0 to " +
                                                std::to_string(max) + ", got \"" + text + "\"");
    return static_cast<unsigned>(n);
}

void add_progress_option(po::options_description& desc, std::string& mode) {
    desc.add_options()("progress", po::value(&mode)->default_value("auto")->value_name("MODE"),
                       "progress on stderr: auto, tty (a live line), plain (CI logs: a line at least every 10 s) "
                       "or none");
}

ProgressScope::~ProgressScope() {
    if (started_) progress::stop();
}

Status ProgressScope::start(const std::string& mode, const CommonOptions& common) {
    auto m = progress::mode_for_flag(mode);
    if (!m) return std::move(m).error();
    progress::start(common.quiet ? progress::Mode::none : *m);
    started_ = true;
    return {};
}

std::optional<int> parse_or_help(std::string_view command, const Args& args, const po::options_description& desc,
                                 const po::positional_options_description* positional, CommonOptions& common,
                                 po::variables_map* vm_out) {
    if (auto s = parse_args(args, desc, positional, common, vm_out); !s) return fail(s.error());
    if (!common.help) return std::nullopt;
    print_help(command, desc, positional);
    return 0;
}

int fail(const Error& error) {
    log::error(error.message);
    return exit_code(error.kind);
}

void print_stdout(std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

}  // namespace ocx::cli
