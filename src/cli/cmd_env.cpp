// `ocx-release env DIR [--format json]` (docs/cli.md "Commands"): the environment an installed
// package declares for its users (metadata/env.hpp, consumer surface), applied to this process's
// environment, with ${installPath} = DIR/content. Text output is `export KEY='value'` lines for
// `eval "$(ocx-release env DIR)"`; only variables the package changes are printed.
#include <boost/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "install/environment.hpp"
#include "install/install.hpp"
#include "util/json.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace ocx::cli {

int cmd_env(const Args& args) {
    CommonOptions common;
    std::string dir_text;
    po::options_description desc("env options");
    desc.add_options()("dir", po::value(&dir_text), "install directory written by `ocx-release install -o DIR`");
    add_common_options(desc, common);
    po::positional_options_description pos;
    pos.add("dir", 1);
    if (auto done = parse_or_help("env", args, desc, &pos, common)) return *done;
    if (dir_text.empty()) return fail(make_error(ErrorKind::usage, "env: missing DIR (an install directory)"));

    std::error_code ec;
    const fs::path dir = fs::absolute(dir_text, ec).lexically_normal();
    auto changes = install::package_environment(dir, install::process_environment());
    if (!changes) return fail(changes.error());

    if (common.format == Format::json) {
        boost::json::object o;
        o["install_path"] = install::content_dir(dir).string();
        boost::json::array env;
        for (const auto& c : *changes) env.push_back(boost::json::object{{"key", c.key}, {"value", c.value}});
        o["env"] = std::move(env);
        print_stdout(json::pretty(o));
    } else {
        print_stdout(metadata::format_exports(*changes));
    }
    return 0;
}

}  // namespace ocx::cli
