// `ocx-release finalize MATRIX.json PART.json…` (docs/cli.md "Commands"): after CI matrix legs
// each ran `release --shard`, check every part against the matrix and the registry, then write
// each tag once with all platforms and emit the full report.
#include <algorithm>
#include <map>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/matrix_input.hpp"
#include "cli/output.hpp"
#include "cli/supply_chain.hpp"
#include "cli/target.hpp"
#include "oci/media_types.hpp"
#include "publish/release.hpp"
#include "util/files.hpp"
#include "util/log.hpp"

namespace po = boost::program_options;

namespace ocx::cli {

namespace {
// Checks one shard's platform against the registry: its manifest is there, hashes to the
// reported digest, and carries the matrix's metadata as config. The finalize runner may hold no
// build at all: when the platform's metadata is not here (a prebuilt archive's sidecar), the
// config is checked against the part report instead.
Status check_part(store::Target& target, const report::PlatformResult& p, const std::string& expected_config) {
    auto m = target.get_manifest(p.manifest.digest.str());
    if (!m) return std::move(m).error();
    if (!*m)
        return make_error(ErrorKind::not_found, "manifest " + p.manifest.digest.str() + " of " + p.platform + " is not in " +
                                                    target.describe() + " (did its shard finish?)");
    if (Digest::of((*m)->bytes) != p.manifest.digest || (*m)->bytes.size() != p.manifest.size)
        return make_error(ErrorKind::data, "manifest of " + p.platform + " does not match its part report");
    auto manifest = oci::ImageManifest::parse((*m)->bytes);
    if (!manifest) return std::move(manifest).error();
    if (expected_config.empty()) {
        if (manifest->config.digest != p.config.digest)
            return make_error(ErrorKind::data, p.platform + ": the pushed config " + manifest->config.digest.str() +
                                                   " is not the part report's " + p.config.digest.str());
    } else if (manifest->config.digest != Digest::of(expected_config)) {
        return make_error(ErrorKind::data, p.platform + ": the pushed config " + manifest->config.digest.str() +
                                               " is not the matrix's metadata (" + Digest::of(expected_config).str() +
                                               "); was the shard run from another commit?");
    }
    for (const auto& layer : manifest->layers) {
        auto present = target.blob_exists(layer.digest);
        if (!present) return std::move(present).error();
        if (!*present) return make_error(ErrorKind::not_found, p.platform + ": layer " + layer.digest.str() + " is missing");
    }
    return {};
}
}  // namespace

namespace {
// The command line of finalize, as given.
struct FinalizeArgs {
    CommonOptions common;
    TargetOptions target_options;
    SignOptions sign_options;
    ReportOutputs outputs;
    std::vector<std::string> files;
    std::string tag, package;
    bool dry_run = false, replace = false;
    std::string progress_mode = "auto";
};

void add_finalize_options(po::options_description& desc, FinalizeArgs& a) {
    desc.add_options()("files", po::value(&a.files)->composing(),
                       "MATRIX.json then the shards' part reports")("report",
                                                                    po::value(&a.outputs.report_path)->value_name("FILE"),
                                                                    "write the full report to FILE (- for stdout)")(
        "tag", po::value(&a.tag)->value_name("TAG"),
        "the tag override the shards used")("package", po::value(&a.package)->value_name("REF"),
                                            "the package override the shards used (REGISTRY/REPO or oci:DIR)")(
        "replace", po::bool_switch(&a.replace), "allow replacing platforms already published in the tag with new content")(
        "dry-run", po::bool_switch(&a.dry_run),
        "check the parts and plan the tags, write nothing")("gitlab-dotenv",
                                                            po::value(&a.outputs.gitlab_dotenv)->value_name("FILE"),
                                                            "write OCX_RELEASE_* keys for artifacts:reports:dotenv");
    add_sign_options(desc, a.sign_options);
    add_target_options(desc, a.target_options);
    add_progress_option(desc, a.progress_mode);
    add_common_options(desc, a.common);
}

// The shards' part reports, merged: one entry per platform, one tag, one package.
struct Parts {
    std::map<std::string, report::PlatformResult> by_platform;
    std::vector<report::Attachment> attachments;  // the shards' SBOMs and platform signatures
    std::string tag, package;
};

// Adds one part report to the others: published, with the same tag and package, no platform twice.
Status add_part(const std::string& file, Parts& parts) {
    auto text = read_file(file);
    if (!text) return text.error();
    if (!*text) return make_error(ErrorKind::not_found, file + ": no such part report");
    auto part = report::parse(**text, file);
    if (!part) return part.error();
    if (part->status != report::Status::published)
        return make_error(ErrorKind::data,
                          file + ": shard status is " + std::string(report::to_string(part->status)) + ", not published");
    if (!parts.tag.empty() && part->tag != parts.tag)
        return make_error(ErrorKind::data, file + ": tag " + part->tag + " differs from the other parts' " + parts.tag);
    if (!parts.package.empty() && part->package != parts.package)
        return make_error(ErrorKind::data,
                          file + ": package " + part->package + " differs from the other parts' " + parts.package);
    parts.tag = part->tag;
    parts.package = part->package;
    for (auto& a : part->attachments) parts.attachments.push_back(std::move(a));
    for (auto& p : part->platforms) {
        if (parts.by_platform.count(p.platform) != 0)
            return make_error(ErrorKind::data, file + ": platform " + p.platform + " appears in two parts");
        parts.by_platform[p.platform] = std::move(p);
    }
    return {};
}

// Parts first: with build_timestamp the shards' tag carries their build time, not ours.
Result<Parts> read_parts(const FinalizeArgs& a) {
    Parts parts;
    for (std::size_t i = 1; i < a.files.size(); ++i)
        if (Status s = add_part(a.files[i], parts); !s) return std::move(s).error();
    if (!a.tag.empty()) {
        auto t = oci::normalize_tag(a.tag);
        if (!t) return t.error().context("--tag");
        if (parts.tag != *t && parts.tag.rfind(*t + "_", 0) != 0)
            return make_error(ErrorKind::data, "--tag " + a.tag + " does not match the parts' tag " + parts.tag);
    }
    return parts;
}

// The matrix, with the shards' tag as final (a build timestamp in it is the shards' time, not
// ours), published to the package the parts name.
Result<std::unique_ptr<LoadedMatrix>> load_finalize_matrix(const FinalizeArgs& a, const Parts& parts) {
    MatrixLoad load;
    load.tag = parts.tag;
    load.tag_is_final = true;
    if (!a.package.empty()) load.package = a.package;
    load.replace = a.replace;
    load.scope.checks = publish::InputChecks::metadata_only;
    auto loaded = load_matrix(a.files[0], load);
    if (!loaded) return loaded.error();
    const auto& matrix = (*loaded)->matrix;
    // (An oci: layout's path is spelled as each run resolved it, so only registry packages compare.)
    if (!matrix.package.is_layout() && parts.package != matrix.package.repository_str())
        return make_error(ErrorKind::data, "the parts were published to " + parts.package + ", not " +
                                               matrix.package.repository_str() + " (" +
                                               (a.package.empty() ? a.files[0] : "--package") +
                                               "); give finalize the --package the shards used");
    return loaded;
}

// Every platform of the matrix has its part, checked in the registry, and no part is left over:
// the index entries, in the matrix's order, and the platforms in the report.
Result<std::vector<oci::IndexEntry>> match_parts(store::Target& target, const LoadedMatrix& loaded, Parts& parts,
                                                 const std::string& matrix_file, report::Report& rep) {
    std::vector<oci::IndexEntry> entries;
    for (const auto& in : loaded.inputs) {
        std::string name = in.spec->platform.str();
        auto it = parts.by_platform.find(name);
        if (it == parts.by_platform.end())
            return make_error(ErrorKind::data, "no part report for platform " + name + " of " + matrix_file);
        if (auto s = check_part(target, it->second, in.config); !s) return s.error();
        oci::IndexEntry e;
        e.media_type = std::string(oci::kImageManifest);
        e.digest = it->second.manifest.digest;
        e.size = it->second.manifest.size;
        e.platform = in.spec->platform;
        entries.push_back(std::move(e));
        rep.platforms.push_back(it->second);
        parts.by_platform.erase(it);
    }
    if (!parts.by_platform.empty())
        return make_error(ErrorKind::data,
                          "part report for " + parts.by_platform.begin()->first + ", which is not in " + matrix_file);
    return entries;
}

// --sign-platforms: platforms whose shard did not sign them are signed here (before the tags).
bool sign_unsigned_platforms(store::Target* target, const LoadedSupplyChain& supply, const publish::WriteOptions& write,
                             bool dry_run, report::Report& rep) {
    std::vector<publish::PlatformSubject> unsigned_platforms;
    for (const auto& p : rep.platforms)
        if (std::none_of(rep.attachments.begin(), rep.attachments.end(), [&](const report::Attachment& a) {
                return a.kind == "signature" && a.subject == p.manifest.digest;
            }))
            unsigned_platforms.push_back({p.platform, p.manifest.digest, p.manifest.size, std::nullopt});
    return publish::attach_platforms(target, unsigned_platforms, supply.chain, write, dry_run, rep);
}

// The tags, written once with all platforms, then the index's attachments; the report; the exit code.
int write_finalized(store::Target* target, const FinalizeArgs& a, const LoadedSupplyChain& supply,
                    const plan::Matrix& matrix, const std::vector<oci::IndexEntry>& entries, report::Report& rep) {
    publish::WriteOptions write;
    write.settle = publish::kReadBackPause;
    if (supply.chain.sign_platforms && !sign_unsigned_platforms(target, supply, write, a.dry_run, rep)) {
        rep.status = report::Status::failed;
        if (auto s = emit_report(rep, a.outputs); !s) return fail(s.error());
        return report::exit_code_for(rep);
    }
    publish::write_release_tags(target, matrix, entries, a.dry_run, false, write, rep);
    // The index's signature and provenance (docs/cli.md "Supply chain"): only finalize knows the index.
    if (rep.status == report::Status::published || rep.status == report::Status::planned)
        if (!publish::attach_index(target, supply.chain, matrix.provenance, matrix.tag, write, a.dry_run, rep))
            rep.status = a.dry_run ? report::Status::failed : report::Status::partial;
    if (auto s = emit_report(rep, a.outputs); !s) return fail(s.error());
    return report::exit_code_for(rep);
}

// From the parsed flags to the exit code.
int finalize_main(const FinalizeArgs& a) {
    if (!a.outputs.gitlab_dotenv.empty())
        if (auto s = report::check_dotenv_value("OCX_RELEASE_REPORT", a.outputs.report_path); !s)
            return fail(std::move(s).error().context("--report"));
    if (a.files.size() < 2)
        return fail(make_error(ErrorKind::usage, "finalize: expected MATRIX.json and at least one PART.json"));
    auto parts = read_parts(a);
    if (!parts) return fail(parts.error());
    auto loaded = load_finalize_matrix(a, *parts);
    if (!loaded) return fail(loaded.error());
    const auto& matrix = (*loaded)->matrix;

    auto supply = load_supply_chain(a.sign_options, matrix.provenance);
    if (!supply) return fail(supply.error());
    auto target = open_target(matrix.package, a.target_options);
    if (!target) return fail(target.error());
    if (auto s = (*target)->check_access(a.dry_run ? store::Target::Access::read : store::Target::Access::push); !s)
        return fail(s.error());

    report::Report rep;
    rep.dry_run = a.dry_run;
    rep.package = matrix.package.repository_str();
    rep.tag = matrix.tag;
    auto entries = match_parts(**target, **loaded, *parts, a.files[0], rep);
    if (!entries) return fail(entries.error());
    rep.attachments = std::move(parts->attachments);
    return write_finalized(target->get(), a, **supply, matrix, *entries, rep);
}
}  // namespace

int cmd_finalize(const Args& args) {
    FinalizeArgs a;
    po::options_description desc("finalize options");
    add_finalize_options(desc, a);
    po::positional_options_description pos;
    pos.add("files", -1);
    if (auto done = parse_or_help("finalize", args, desc, &pos, a.common)) return *done;
    ProgressScope progress_display;
    if (auto s = progress_display.start(a.progress_mode, a.common); !s) return fail(s.error());
    a.outputs.json_stdout = a.common.format == Format::json;
    return finalize_main(a);
}

}  // namespace ocx::cli
