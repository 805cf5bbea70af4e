// `ocx-release describe REPO --readme F [--logo F] [--title T] [--description D] [--keywords a,b]`
// (docs/cli.md "describe"): writes the package's description artifact, the `__ocx.desc` tag OCX's
// catalog reads (publish/describe.hpp).
#include <boost/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/target.hpp"
#include "publish/describe.hpp"
#include "util/json.hpp"
#include "util/log.hpp"

namespace po = boost::program_options;

namespace ocx::cli {

int cmd_describe(const Args& args) {
    CommonOptions common;
    TargetOptions target_options;
    std::string repository, readme_path, logo_path, title, description, keywords;
    po::options_description desc("describe options");
    desc.add_options()("repository", po::value(&repository),
                       "package repository REGISTRY/REPO or oci:DIR (no tag)")("readme",
                                                                               po::value(&readme_path)->value_name("FILE"),
                                                                               "README in Markdown (required)")(
        "logo", po::value(&logo_path)->value_name("FILE"),
        "logo, .png or .svg")("title", po::value(&title)->value_name("TEXT"),
                              "package title")("description", po::value(&description)->value_name("TEXT"),
                                               "one-line description")("keywords", po::value(&keywords)->value_name("A,B"),
                                                                       "keywords, comma-separated");
    add_connection_options(desc, target_options);
    add_common_options(desc, common);
    po::positional_options_description pos;
    pos.add("repository", 1);
    po::variables_map vm;
    if (auto done = parse_or_help("describe", args, desc, &pos, common, &vm)) return *done;
    if (repository.empty()) return fail(make_error(ErrorKind::usage, "describe: missing REPO (REGISTRY/REPO or oci:DIR)"));
    if (readme_path.empty()) return fail(make_error(ErrorKind::usage, "describe: missing --readme FILE"));
    auto ref = parse_reference(repository);
    if (!ref) return fail(ref.error());
    if (!ref->tag.empty() || ref->digest)
        return fail(make_error(ErrorKind::usage, "describe: give the repository only (\"" + ref->repository_str() +
                                                     "\"); the description has its own tag"));

    plan::DescribeSpec spec;
    spec.readme = readme_path;
    if (!logo_path.empty()) spec.logo = logo_path;
    if (vm.count("title") != 0) spec.title = title;
    if (vm.count("description") != 0) spec.description = description;
    spec.keywords = publish::split_keywords(keywords);
    auto d = publish::read_description(spec);
    if (!d) return fail(d.error());
    const auto built = publish::build_description(*d);
    auto target = open_target(*ref, target_options);
    if (!target) return fail(target.error());
    if (auto s = (*target)->check_access(store::Target::Access::push); !s) return fail(s.error());
    if (auto s = publish::push_description(**target, built); !s) return fail(s.error());
    log::info("described " + ref->repository_str() + ": " + std::string(publish::kDescriptionTag) + " -> " +
              built.manifest.digest.str());
    if (common.format == Format::json) {
        boost::json::object o;
        o["repository"] = ref->repository_str();
        o["tag"] = publish::kDescriptionTag;
        o["digest"] = built.manifest.digest.str();
        o["size"] = built.manifest.bytes.size();
        print_stdout(json::pretty(o));
    }
    return 0;
}

}  // namespace ocx::cli
