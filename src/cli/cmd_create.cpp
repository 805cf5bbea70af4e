// `ocx-release create` (docs/cli.md "Commands", docs/wire-format.md §6): a deterministic bundle plus its
// sidecars, with OCX `package create` flag names.
#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "bundle/bundle.hpp"
#include "bundle/check.hpp"
#include "bundle/file_names.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/dependency_pins.hpp"
#include "cli/target.hpp"
#include "metadata/metadata.hpp"
#include "oci/media_types.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"
#include "util/json.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace ocx::cli {

namespace {
std::string receipt_json(const std::string& platform, const std::string& identifier) {
    boost::json::object o;
    o["version"] = 1;
    o["platform"] = platform;
    o["identifier"] = identifier;
    return json::pretty(o);
}

/// The arguments create cannot do without, and -m only with -p; ErrorKind::usage naming what is missing.
Status check_required(const std::string& source, const std::string& identifier, const std::string& metadata_path,
                      const std::string& platform_text) {
    if (source.empty()) return make_error(ErrorKind::usage, "create: missing PATH (directory or file to bundle)");
    if (identifier.empty()) return make_error(ErrorKind::usage, "create: missing -i REPO:TAG");
    if (!metadata_path.empty() && platform_text.empty())
        return make_error(ErrorKind::usage, "create: -m requires -p (metadata belongs to one platform)");
    return {};
}

/// The metadata file of -m, validated; nullopt without -m.
/// Tag-only dependencies are pinned for this platform first (docs/cli.md "Dependency pins").
Result<std::optional<metadata::Metadata>> load_metadata(const std::string& metadata_path,
                                                        const std::optional<oci::Platform>& platform,
                                                        const TargetOptions& connection) {
    if (metadata_path.empty()) return std::optional<metadata::Metadata>{};
    auto text = read_file(metadata_path);
    if (!text) return std::move(text).error();
    if (!*text) return make_error(ErrorKind::not_found, metadata_path + ": metadata file not found");
    auto pinned = pin_dependencies(**text, *platform, connection, metadata_path);
    if (!pinned) return std::move(pinned).error();
    auto m = metadata::parse(*pinned, metadata_path);
    if (!m) return std::move(m).error();
    return std::optional<metadata::Metadata>(std::move(*m));
}

/// Where -o puts the bundle: a .tar.xz path as given, else the bundle name in that directory.
Result<fs::path> bundle_path(const std::string& output, const oci::Reference& ref,
                             const std::optional<oci::Platform>& platform) {
    if (!output.empty() && oci::layer_media_type(output)) {
        if (oci::layer_media_type(output) != oci::kLayerTarXz)
            return make_error(ErrorKind::usage, "-o " + output + ": create writes .tar.xz bundles");
        return fs::path(output);
    }
    return fs::path(output.empty() ? "." : output) / (bundle::bundle_stem(ref, platform ? &*platform : nullptr) + ".tar.xz");
}

/// ErrorKind::data for the first of `outputs` that exists (without -f).
Status refuse_existing(std::initializer_list<fs::path> outputs) {
    std::error_code ec;
    for (const auto& f : outputs)
        if (fs::exists(f, ec)) return make_error(ErrorKind::data, already_exists_message(f));
    return {};
}

/// bundle::create with its progress shown as one bundle task.
Result<bundle::BundleResult> create_with_progress(bundle::BundleOptions& opts) {
    progress::Task task(opts.output.filename().string(), progress::Phase::bundle);
    opts.progress = [&task](std::uint64_t in, std::uint64_t) { task.update(in); };
    return bundle::create(opts);
}

/// The --format json answer: path, digest, size, metadata (or null) and receipt.
std::string created_json(const fs::path& archive, const bundle::BundleResult& result, const fs::path* metadata_out,
                         const fs::path& receipt_out) {
    boost::json::object o;
    o["path"] = archive.string();
    o["digest"] = result.digest.str();
    o["size"] = result.size;
    o["metadata"] = metadata_out != nullptr ? boost::json::value(metadata_out->string()) : boost::json::value(nullptr);
    o["receipt"] = receipt_out.string();
    return json::pretty(o);
}

/// -p: a platform, or none when not given.
Result<std::optional<oci::Platform>> read_platform(const std::string& text) {
    if (text.empty()) return std::optional<oci::Platform>{};
    auto p = oci::Platform::parse(text);
    if (!p) return std::move(p).error().context("-p");
    return std::optional<oci::Platform>(*p);
}

/// The bundle's sidecars: the metadata (with -m), then the receipt.
Status write_sidecars(const fs::path& metadata_out, const fs::path& receipt_out,
                      const std::optional<metadata::Metadata>& meta, const std::optional<oci::Platform>& platform,
                      const oci::Reference& ref) {
    if (meta)
        if (auto s = write_file_atomic(metadata_out, metadata::to_pretty(*meta)); !s) return s;
    return write_file_atomic(receipt_out, receipt_json(platform ? platform->str() : "", ref.str()));
}
}  // namespace

int cmd_create(const Args& args) {
    CommonOptions common;
    std::string source, identifier, platform_text, metadata_path, output, level_text = "default";
    bool force = false;
    std::string jobs_text = "0";
    po::options_description desc("create options");
    desc.add_options()("identifier,i", po::value(&identifier)->value_name("REPO:TAG"),
                       "package reference REPO:TAG (names the bundle)")(
        "platform,p", po::value(&platform_text)->value_name("PLATFORM"),
        "platform: os/arch[/variant][+features] or any")("metadata,m", po::value(&metadata_path)->value_name("FILE"),
                                                         "metadata file to validate and write as the sidecar (needs -p)")(
        "output,o", po::value(&output)->value_name("PATH"), "output directory (name inferred) or .tar.xz file (default: .)")(
        "force,f", po::bool_switch(&force),
        "overwrite existing outputs")("level,l", po::value(&level_text)->value_name("LEVEL"),
                                      "compression: fast (xz -0), default (xz -3), best (xz -9)")(
        "jobs,j", po::value(&jobs_text)->value_name("N"),
        "compression threads, 0 = all cores (never changes the bytes)")("path", po::value(&source),
                                                                        "directory or file to bundle");
    std::string progress_mode = "auto";
    add_progress_option(desc, progress_mode);
    TargetOptions connection;  // for the registries dependency pins are read from
    add_connection_options(desc, connection);
    add_common_options(desc, common);
    po::positional_options_description pos;
    pos.add("path", 1);
    if (auto done = parse_or_help("create", args, desc, &pos, common)) return *done;
    ProgressScope progress_display;
    if (auto s = progress_display.start(progress_mode, common); !s) return fail(s.error());
    if (auto s = check_required(source, identifier, metadata_path, platform_text); !s) return fail(s.error());
    auto jobs = parse_count(jobs_text, "-j/--jobs");
    if (!jobs) return fail(jobs.error());
    auto level = bundle::parse_level(level_text);
    if (!level)
        return fail(make_error(ErrorKind::usage, "-l/--level: expected fast, default or best, got \"" + level_text + "\""));

    // create only names things: a bare "mytool:1.0.0" is fine without a registry (as in OCX).
    auto ref = oci::Reference::parse_name(identifier, std::getenv("OCX_DEFAULT_REGISTRY"));
    if (!ref) return fail(ref.error().context("-i"));
    if (ref->tag.empty()) return fail(make_error(ErrorKind::usage, "create: \"" + identifier + "\" has no tag (REPO:TAG)"));
    auto parsed_platform = read_platform(platform_text);
    if (!parsed_platform) return fail(parsed_platform.error());
    const std::optional<oci::Platform>& platform = *parsed_platform;

    // Everything is validated before anything is written.
    auto loaded = load_metadata(metadata_path, platform, connection);
    if (!loaded) return fail(loaded.error());
    const std::optional<metadata::Metadata>& meta = *loaded;
    auto archive_path = bundle_path(output, *ref, platform);
    if (!archive_path) return fail(archive_path.error());
    const fs::path archive = *archive_path;
    std::string stem(oci::archive_stem(archive.filename().string()));
    fs::path metadata_out = archive.parent_path() / (stem + "-metadata.json");
    fs::path receipt_out = archive.parent_path() / (stem + "-receipt.json");
    if (!force)
        if (auto s = refuse_existing({archive, metadata_out, receipt_out}); !s) return fail(s.error());

    bundle::BundleOptions opts;
    opts.source = source;
    opts.output = archive;
    opts.level = *level;
    opts.threads = *jobs;
    opts.overwrite = force;
    auto result = create_with_progress(opts);
    if (!result) return fail(result.error());
    bundle::remember_bundle(*result);

    if (auto s = write_sidecars(metadata_out, receipt_out, meta, platform, *ref); !s) return fail(s.error());

    log::info("created " + archive.string() + " (" + std::to_string(result->size) + " bytes, " + result->digest.str() + ")");
    if (common.format == Format::json)
        print_stdout(created_json(archive, *result, meta ? &metadata_out : nullptr, receipt_out));
    return 0;
}

}  // namespace ocx::cli
