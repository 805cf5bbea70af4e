#include "cli/common.hpp"

#include <cstdio>
#include <iostream>

#include "util/log.hpp"

namespace po = boost::program_options;

namespace ocx::cli {

void add_common_options(po::options_description& desc, CommonOptions& common) {
    desc.add_options()
        ("format", po::value<std::string>()->default_value("text")->notifier([&common](const std::string& f) {
             common.format = f == "json" ? Format::json : Format::text;
         }), "output format on stdout: text or json")
        ("verbose,v", po::bool_switch(), "more detail on stderr (-vv for wire detail)")
        ("quiet,q", po::bool_switch(&common.quiet), "only errors on stderr")
        ("help,h", po::bool_switch(&common.help), "show this help");
}

Status parse_args(const Args& args, const po::options_description& desc,
                  const po::positional_options_description* positional, CommonOptions& common,
                  po::variables_map* vm_out) {
    po::variables_map vm;
    try {
        // -v may be repeated (-vv): count them before program_options folds them into one switch.
        for (const auto& a : args) {
            if (a == "--verbose") ++common.verbosity;
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

void print_help(std::string_view usage, const po::options_description& desc) {
    std::cout << "usage: " << usage << "\n\n" << desc << std::flush;
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
        return make_error(ErrorKind::usage, std::string(flag) + ": expected a whole number from 0 to " + std::to_string(max) +
                                                ", got \"" + text + "\"");
    return static_cast<unsigned>(n);
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
