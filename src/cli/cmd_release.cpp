// `ocx-release release` (docs/cli.md "What release does"): the batch job, dry runs and shards.
#include <filesystem>
#include <thread>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/dependency_pins.hpp"
#include "cli/limits.hpp"
#include "cli/matrix_input.hpp"
#include "cli/output.hpp"
#include "cli/supply_chain.hpp"
#include "cli/target.hpp"
#include "metadata/metadata.hpp"
#include "publish/describe.hpp"
#include "publish/release.hpp"
#include "util/log.hpp"
#include "util/temp_dir.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace ocx::cli {

namespace {
report::Report validation_report(const std::string& package, const std::string& tag, bool dry_run, const Error& e,
                                 std::string step = "validate") {
    report::Report r;
    r.status = report::Status::failed;
    r.dry_run = dry_run;
    r.package = package;
    r.tag = tag;
    r.errors.push_back(report::StepError::of(std::move(step), e));
    return r;
}

// Every platform's dependency pins, before anything is bundled or written (docs/cli.md "Dependency pins").
Status check_release_pins(const std::vector<publish::PlatformInput>& inputs, const TargetOptions& options) {
    PinCheck pins(options);
    for (const auto& input : inputs) {
        if (input.config.empty()) continue;
        auto meta = metadata::parse(input.config, input.metadata_file.string());
        if (!meta) return std::move(meta).error();
        if (auto s = pins.check(*meta, input.metadata_file.string()); !s) return s;
    }
    return {};
}

// After a published release: the description artifact; a failure fails the report.
void write_description(store::Target* target, const publish::BuiltDescription& built, bool dry_run,
                       report::Report& rep) {
    if (dry_run) {
        if (rep.status == report::Status::planned)
            log::info("would write tag " + std::string(publish::kDescriptionTag) + " -> " + built.manifest.digest.str());
        return;
    }
    if (target == nullptr || rep.status != report::Status::published) return;
    if (auto s = publish::push_description(*target, built); !s) {
        rep.errors.push_back({"describe", std::string(to_string(s.error().kind)), s.error().message});
        rep.status = report::Status::failed;
        return;
    }
    log::info("wrote tag " + std::string(publish::kDescriptionTag) + " -> " + built.manifest.digest.str());
}
}  // namespace

int cmd_release(const Args& args) {
    CommonOptions common;
    TargetOptions target_options;
    LimitOptions limit_options;
    ReportOutputs outputs;
    std::string matrix_path, tag, package, shard;
    bool dry_run = false, offline = false, replace = false;
    std::string jobs_text = "0";
    po::options_description desc("release options");
    desc.add_options()
        ("matrix", po::value(&matrix_path), "release matrix (JSON)")
        ("dry-run", po::bool_switch(&dry_run), "bundle and read the target, write nothing; report the plan")
        ("offline", po::bool_switch(&offline), "with --dry-run: do not read the target either")
        ("report", po::value(&outputs.report_path)->value_name("FILE"), "write the report to FILE (- for stdout)")
        ("tag", po::value(&tag)->value_name("TAG"), "override the matrix's tag (e.g. from docker/metadata-action)")
        ("package", po::value(&package)->value_name("REF"), "override the matrix's package (REGISTRY/REPO or oci:DIR)")
        ("replace", po::bool_switch(&replace), "allow replacing platforms already published in the tag with new content")
        ("jobs", po::value(&jobs_text)->value_name("N"), "platforms bundled/pushed at once (default: cores, at least 2)")
        ("shard", po::value(&shard)->value_name("PLATFORM"), "publish only this platform's content, no tags (CI matrix leg; needs --report)")
        ("gitlab-dotenv", po::value(&outputs.gitlab_dotenv)->value_name("FILE"), "write OCX_RELEASE_* keys for artifacts:reports:dotenv");
    add_limit_options(desc, limit_options);
    SignOptions sign_options;
    add_sign_options(desc, sign_options);
    add_target_options(desc, target_options);
    std::string progress_mode = "auto";
    add_progress_option(desc, progress_mode);
    add_common_options(desc, common);
    po::positional_options_description pos;
    pos.add("matrix", 1);
    if (auto s = parse_args(args, desc, &pos, common); !s) return fail(s.error());
    if (common.help) {
        print_help("release", desc, &pos);
        return 0;
    }
    ProgressScope progress_display;
    if (auto s = progress_display.start(progress_mode, common); !s) return fail(s.error());
    outputs.json_stdout = common.format == Format::json;
    if (!outputs.gitlab_dotenv.empty())
        if (auto s = report::check_dotenv_value("OCX_RELEASE_REPORT", outputs.report_path); !s)
            return fail(std::move(s).error().context("--report"));
    if (matrix_path.empty()) return fail(make_error(ErrorKind::usage, "release: missing MATRIX.json"));
    if (offline && !dry_run) return fail(make_error(ErrorKind::usage, "--offline needs --dry-run (a release must read the target)"));
    MatrixLoad load;
    auto limits = unpack_limits(limit_options);
    if (!limits) return fail(limits.error());
    load.scope.limits = *limits;
    if (!tag.empty()) load.tag = tag;
    if (!package.empty()) load.package = package;
    load.replace = replace;
    if (!shard.empty()) {
        // A shard's part report is what finalize needs: without it the shard's work is lost.
        if (outputs.report_path.empty())
            return fail(make_error(ErrorKind::usage, "--shard needs --report FILE (the part report finalize reads)"));
        auto p = oci::Platform::parse(shard);
        if (!p) return fail(p.error().context("--shard"));
        load.scope.shard = p->str();
    }

    auto loaded = load_matrix(matrix_path, load);
    if (!loaded) {
        // The problems go to stderr once (fail); the report file records them for the pipeline.
        if (!outputs.report_path.empty() || !outputs.gitlab_dotenv.empty())
            (void)write_report(validation_report("", tag, dry_run, loaded.error()), outputs);
        return fail(loaded.error());
    }
    const auto& matrix = (*loaded)->matrix;

    auto supply = load_supply_chain(sign_options, matrix.provenance && !load.scope.shard);
    if (!supply) return fail(supply.error());

    publish::ReleaseOptions options;
    options.supply = (*supply)->chain;
    options.dry_run = dry_run;
    options.offline = offline;
    auto jobs = parse_count(jobs_text, "--jobs");
    if (!jobs) return fail(jobs.error());
    options.jobs = *jobs;
    options.mount_from = target_options.mount_from;
    options.write.settle = publish::kReadBackPause;
    options.limits = load.scope.limits;
    if (load.scope.shard) {
        if (plan::find_platform(matrix, *load.scope.shard) == nullptr)
            return fail(make_error(ErrorKind::usage, "--shard " + shard + ": not a platform of " + matrix_path));
        options.shard = load.scope.shard;
    }

    // Fail fast (docs/cli.md "Fail fast"): the registry answers and takes the credentials before
    // anything is compressed. Dry runs check read access only: they write nothing.
    std::unique_ptr<store::Target> target;
    if (!offline) {
        auto t = open_target(matrix.package, target_options);
        if (!t) return fail(t.error());
        target = std::move(*t);
        if (auto s = target->check_access(dry_run ? store::Target::Access::read : store::Target::Access::push); !s) {
            if (!outputs.report_path.empty() || !outputs.gitlab_dotenv.empty())
                (void)write_report(validation_report(matrix.package.repository_str(), matrix.tag, dry_run, s.error(),
                                                     "check target"),
                                   outputs);
            return fail(s.error());
        }
        if (auto s = check_release_pins((*loaded)->inputs, target_options); !s) {
            if (!outputs.report_path.empty() || !outputs.gitlab_dotenv.empty())
                (void)write_report(validation_report(matrix.package.repository_str(), matrix.tag, dry_run, s.error(),
                                                     "check dependencies"),
                                   outputs);
            return fail(s.error());
        }
    }

    // Bundles go to output_dir, or to a temporary directory removed at the end.
    std::optional<TempDir> temp;
    if (matrix.output_dir) {
        options.bundle_dir = *matrix.output_dir;
        std::error_code ec;
        fs::create_directories(options.bundle_dir, ec);
        if (ec) return fail(make_error(ErrorKind::io, options.bundle_dir.string() + ": " + ec.message()));
    } else {
        auto t = TempDir::create("ocx-release-bundles-");
        if (!t) return fail(t.error());
        temp = std::move(*t);
        options.bundle_dir = temp->path();
    }

    // The "describe" block: its files are read before anything is written, the artifact is
    // written after the release (docs/cli.md "describe"); shards leave it to finalize's caller.
    std::optional<publish::BuiltDescription> description;
    if (matrix.describe && !load.scope.shard) {
        auto d = publish::read_description(*matrix.describe);
        if (!d) return fail(std::move(d).error().context("/describe"));
        description = publish::build_description(*d);
    }

    report::Report rep = publish::run_release(target.get(), matrix, (*loaded)->inputs, options);
    if (description) write_description(target.get(), *description, dry_run, rep);
    if (temp) {
        // The bundles go with the temporary directory: the report does not point at them.
        for (auto& p : rep.platforms)
            for (auto& a : p.archives)
                if (a.created) a.path.clear();
    }
    if (auto s = emit_report(rep, outputs); !s) return fail(s.error());
    if (options.shard && (rep.status == report::Status::published || rep.status == report::Status::planned))
        log::info("shard " + *options.shard + ": content " + (dry_run ? "would be published" : "published") +
                  ", no release tag written (finalize writes the tags from the part reports)");
    return report::exit_code_for(rep);
}

}  // namespace ocx::cli
