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
void write_description(store::Target* target, const publish::BuiltDescription& built, bool dry_run, report::Report& rep) {
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

namespace {
// The command line of release, as given.
struct ReleaseArgs {
    CommonOptions common;
    TargetOptions target_options;
    LimitOptions limit_options;
    SignOptions sign_options;
    ReportOutputs outputs;
    std::string matrix_path, tag, package, shard;
    bool dry_run = false, offline = false, replace = false;
    std::string jobs_text = "0";
    std::string progress_mode = "auto";
};

void add_release_options(po::options_description& desc, ReleaseArgs& a) {
    desc.add_options()("matrix", po::value(&a.matrix_path), "release matrix (JSON)")(
        "dry-run", po::bool_switch(&a.dry_run),
        "bundle and read the target, write nothing; report the plan")("offline", po::bool_switch(&a.offline),
                                                                      "with --dry-run: do not read the target either")(
        "report", po::value(&a.outputs.report_path)->value_name("FILE"),
        "write the report to FILE (- for stdout)")("tag", po::value(&a.tag)->value_name("TAG"),
                                                   "override the matrix's tag (e.g. from docker/metadata-action)")(
        "package", po::value(&a.package)->value_name("REF"), "override the matrix's package (REGISTRY/REPO or oci:DIR)")(
        "replace", po::bool_switch(&a.replace), "allow replacing platforms already published in the tag with new content")(
        "jobs", po::value(&a.jobs_text)->value_name("N"), "platforms bundled/pushed at once (default: cores, at least 2)")(
        "shard", po::value(&a.shard)->value_name("PLATFORM"),
        "publish only this platform's content, no tags (CI matrix leg; needs --report)")(
        "gitlab-dotenv", po::value(&a.outputs.gitlab_dotenv)->value_name("FILE"),
        "write OCX_RELEASE_* keys for artifacts:reports:dotenv");
    add_limit_options(desc, a.limit_options);
    add_sign_options(desc, a.sign_options);
    add_target_options(desc, a.target_options);
    add_progress_option(desc, a.progress_mode);
    add_common_options(desc, a.common);
}

// The checks on the flags alone, then how the matrix is to be loaded (limits, overrides, shard).
Result<MatrixLoad> read_matrix_load(const ReleaseArgs& a) {
    if (!a.outputs.gitlab_dotenv.empty())
        if (auto s = report::check_dotenv_value("OCX_RELEASE_REPORT", a.outputs.report_path); !s)
            return std::move(s).error().context("--report");
    if (a.matrix_path.empty()) return make_error(ErrorKind::usage, "release: missing MATRIX.json");
    if (a.offline && !a.dry_run)
        return make_error(ErrorKind::usage, "--offline needs --dry-run (a release must read the target)");
    MatrixLoad load;
    auto limits = unpack_limits(a.limit_options);
    if (!limits) return limits.error();
    load.scope.limits = *limits;
    if (!a.tag.empty()) load.tag = a.tag;
    if (!a.package.empty()) load.package = a.package;
    load.replace = a.replace;
    if (!a.shard.empty()) {
        // A shard's part report is what finalize needs: without it the shard's work is lost.
        if (a.outputs.report_path.empty())
            return make_error(ErrorKind::usage, "--shard needs --report FILE (the part report finalize reads)");
        auto p = oci::Platform::parse(a.shard);
        if (!p) return p.error().context("--shard");
        load.scope.shard = p->str();
    }
    return load;
}

// The release options from the flags and the loaded matrix (the shard must be one of its platforms).
Status fill_release_options(const ReleaseArgs& a, const MatrixLoad& load, const plan::Matrix& matrix,
                            publish::ReleaseOptions& options) {
    options.dry_run = a.dry_run;
    options.offline = a.offline;
    auto jobs = parse_count(a.jobs_text, "--jobs");
    if (!jobs) return jobs.error();
    options.jobs = *jobs;
    options.mount_from = a.target_options.mount_from;
    options.write.settle = publish::kReadBackPause;
    options.limits = load.scope.limits;
    if (load.scope.shard) {
        if (plan::find_platform(matrix, *load.scope.shard) == nullptr)
            return make_error(ErrorKind::usage, "--shard " + a.shard + ": not a platform of " + a.matrix_path);
        options.shard = load.scope.shard;
    }
    return {};
}

// A failure before anything is written: the report file records it for the pipeline (when one
// is asked for), stderr gets the error once.
int fail_before_release(const ReleaseArgs& a, const plan::Matrix& matrix, const std::string& step, const Error& e) {
    if (!a.outputs.report_path.empty() || !a.outputs.gitlab_dotenv.empty())
        (void)write_report(validation_report(matrix.package.repository_str(), matrix.tag, a.dry_run, e, step), a.outputs);
    return fail(e);
}

// Fail fast (docs/cli.md "Fail fast"): the registry answers and takes the credentials before
// anything is compressed. Dry runs check read access only: they write nothing. 0 when all is in
// place, else the exit code of the failure (recorded in the report file when one is asked for).
int check_release_target(const ReleaseArgs& a, const LoadedMatrix& loaded, store::Target& target) {
    if (auto s = target.check_access(a.dry_run ? store::Target::Access::read : store::Target::Access::push); !s)
        return fail_before_release(a, loaded.matrix, "check target", s.error());
    if (auto s = check_release_pins(loaded.inputs, a.target_options); !s)
        return fail_before_release(a, loaded.matrix, "check dependencies", s.error());
    return 0;
}

// Bundles go to output_dir, or to a temporary directory removed at the end.
Status prepare_bundle_dir(const plan::Matrix& matrix, std::optional<TempDir>& temp, publish::ReleaseOptions& options) {
    if (matrix.output_dir) {
        options.bundle_dir = *matrix.output_dir;
        std::error_code ec;
        fs::create_directories(options.bundle_dir, ec);
        if (ec) return make_error(ErrorKind::io, options.bundle_dir.string() + ": " + ec.message());
        return {};
    }
    auto t = TempDir::create("ocx-release-bundles-");
    if (!t) return t.error();
    temp = std::move(*t);
    options.bundle_dir = temp->path();
    return {};
}

// The "describe" block: its files are read before anything is written, the artifact is
// written after the release (docs/cli.md "describe"); shards leave it to finalize's caller.
Result<std::optional<publish::BuiltDescription>> read_release_description(const plan::Matrix& matrix,
                                                                          const MatrixLoad& load) {
    std::optional<publish::BuiltDescription> description;
    if (matrix.describe && !load.scope.shard) {
        auto d = publish::read_description(*matrix.describe);
        if (!d) return std::move(d).error().context("/describe");
        description = publish::build_description(*d);
    }
    return description;
}

// The report written and the shard's note; the exit code.
int finish_release(const ReleaseArgs& a, const publish::ReleaseOptions& options, bool temp_bundles, report::Report& rep) {
    if (temp_bundles) {
        // The bundles go with the temporary directory: the report does not point at them.
        for (auto& p : rep.platforms)
            for (auto& archive : p.archives)
                if (archive.created) archive.path.clear();
    }
    if (auto s = emit_report(rep, a.outputs); !s) return fail(s.error());
    if (options.shard && (rep.status == report::Status::published || rep.status == report::Status::planned))
        log::info("shard " + *options.shard + ": content " + (a.dry_run ? "would be published" : "published") +
                  ", no release tag written (finalize writes the tags from the part reports)");
    return report::exit_code_for(rep);
}

// From the parsed flags to the exit code.
int release_main(ReleaseArgs& a) {
    auto load = read_matrix_load(a);
    if (!load) return fail(load.error());
    auto loaded = load_matrix(a.matrix_path, *load);
    if (!loaded) {
        // The problems go to stderr once (fail); the report file records them for the pipeline.
        if (!a.outputs.report_path.empty() || !a.outputs.gitlab_dotenv.empty())
            (void)write_report(validation_report("", a.tag, a.dry_run, loaded.error()), a.outputs);
        return fail(loaded.error());
    }
    const auto& matrix = (*loaded)->matrix;

    auto supply = load_supply_chain(a.sign_options, matrix.provenance && !load->scope.shard);
    if (!supply) return fail(supply.error());
    publish::ReleaseOptions options;
    options.supply = (*supply)->chain;
    if (auto s = fill_release_options(a, *load, matrix, options); !s) return fail(s.error());

    std::unique_ptr<store::Target> target;
    if (!a.offline) {
        auto t = open_target(matrix.package, a.target_options);
        if (!t) return fail(t.error());
        target = std::move(*t);
        if (int exit = check_release_target(a, **loaded, *target); exit != 0) return exit;
    }
    std::optional<TempDir> temp;
    if (auto s = prepare_bundle_dir(matrix, temp, options); !s) return fail(s.error());
    auto description = read_release_description(matrix, *load);
    if (!description) return fail(description.error());

    report::Report rep = publish::run_release(target.get(), matrix, (*loaded)->inputs, options);
    if (*description) write_description(target.get(), **description, a.dry_run, rep);
    return finish_release(a, options, temp.has_value(), rep);
}
}  // namespace

int cmd_release(const Args& args) {
    ReleaseArgs a;
    po::options_description desc("release options");
    add_release_options(desc, a);
    po::positional_options_description pos;
    pos.add("matrix", 1);
    if (auto done = parse_or_help("release", args, desc, &pos, a.common)) return *done;
    ProgressScope progress_display;
    if (auto s = progress_display.start(a.progress_mode, a.common); !s) return fail(s.error());
    a.outputs.json_stdout = a.common.format == Format::json;
    return release_main(a);
}

}  // namespace ocx::cli
