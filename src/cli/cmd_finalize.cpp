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
#include "util/files.hpp"
#include "oci/media_types.hpp"
#include "publish/release.hpp"
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
    if (!*m) return make_error(ErrorKind::not_found, "manifest " + p.manifest.digest.str() + " of " + p.platform +
                                                         " is not in " + target.describe() + " (did its shard finish?)");
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

int cmd_finalize(const Args& args) {
    CommonOptions common;
    TargetOptions target_options;
    ReportOutputs outputs;
    std::vector<std::string> files;
    std::string tag, package;
    bool dry_run = false, replace = false;
    po::options_description desc("finalize options");
    desc.add_options()
        ("files", po::value(&files)->composing(), "MATRIX.json then the shards' part reports")
        ("report", po::value(&outputs.report_path)->value_name("FILE"), "write the full report to FILE (- for stdout)")
        ("tag", po::value(&tag)->value_name("TAG"), "the tag override the shards used")
        ("package", po::value(&package)->value_name("REF"), "the package override the shards used (REGISTRY/REPO or oci:DIR)")
        ("replace", po::bool_switch(&replace), "allow replacing platforms already published in the tag with new content")
        ("dry-run", po::bool_switch(&dry_run), "check the parts and plan the tags, write nothing")
        ("gitlab-dotenv", po::value(&outputs.gitlab_dotenv)->value_name("FILE"), "write OCX_RELEASE_* keys for artifacts:reports:dotenv");
    SignOptions sign_options;
    add_sign_options(desc, sign_options);
    add_target_options(desc, target_options);
    std::string progress_mode = "auto";
    add_progress_option(desc, progress_mode);
    add_common_options(desc, common);
    po::positional_options_description pos;
    pos.add("files", -1);
    if (auto s = parse_args(args, desc, &pos, common); !s) return fail(s.error());
    if (common.help) {
        print_help("finalize", desc, &pos);
        return 0;
    }
    ProgressScope progress_display;
    if (auto s = progress_display.start(progress_mode, common); !s) return fail(s.error());
    outputs.json_stdout = common.format == Format::json;
    if (!outputs.gitlab_dotenv.empty())
        if (auto s = report::check_dotenv_value("OCX_RELEASE_REPORT", outputs.report_path); !s)
            return fail(std::move(s).error().context("--report"));
    if (files.size() < 2) return fail(make_error(ErrorKind::usage, "finalize: expected MATRIX.json and at least one PART.json"));

    // Parts first: with build_timestamp the shards' tag carries their build time, not ours.
    std::map<std::string, report::PlatformResult> by_platform;
    std::vector<report::Attachment> part_attachments;  // the shards' SBOMs and platform signatures
    std::string parts_tag, parts_package;
    for (std::size_t i = 1; i < files.size(); ++i) {
        auto text = read_file(files[i]);
        if (!text) return fail(text.error());
        if (!*text) return fail(make_error(ErrorKind::not_found, files[i] + ": no such part report"));
        auto part = report::parse(**text, files[i]);
        if (!part) return fail(part.error());
        if (part->status != report::Status::published)
            return fail(make_error(ErrorKind::data, files[i] + ": shard status is " + std::string(report::to_string(part->status)) +
                                                        ", not published"));
        if (!parts_tag.empty() && part->tag != parts_tag)
            return fail(make_error(ErrorKind::data, files[i] + ": tag " + part->tag + " differs from the other parts' " + parts_tag));
        if (!parts_package.empty() && part->package != parts_package)
            return fail(make_error(ErrorKind::data, files[i] + ": package " + part->package + " differs from the other parts' " +
                                                        parts_package));
        parts_tag = part->tag;
        parts_package = part->package;
        for (auto& a : part->attachments) part_attachments.push_back(std::move(a));
        for (auto& p : part->platforms) {
            if (by_platform.count(p.platform) != 0)
                return fail(make_error(ErrorKind::data, files[i] + ": platform " + p.platform + " appears in two parts"));
            by_platform[p.platform] = std::move(p);
        }
    }
    if (!tag.empty()) {
        auto t = oci::normalize_tag(tag);
        if (!t) return fail(t.error().context("--tag"));
        if (parts_tag != *t && parts_tag.rfind(*t + "_", 0) != 0)
            return fail(make_error(ErrorKind::data, "--tag " + tag + " does not match the parts' tag " + parts_tag));
    }
    // The shards' tag is final: a build timestamp in it is the shards' time, not ours.
    MatrixLoad load;
    load.tag = parts_tag;
    load.tag_is_final = true;
    if (!package.empty()) load.package = package;
    load.replace = replace;
    load.scope.checks = publish::InputChecks::metadata_only;
    auto loaded = load_matrix(files[0], load);
    if (!loaded) return fail(loaded.error());
    auto& matrix = (*loaded)->matrix;
    // (An oci: layout's path is spelled as each run resolved it, so only registry packages compare.)
    if (!matrix.package.is_layout() && parts_package != matrix.package.repository_str())
        return fail(make_error(ErrorKind::data, "the parts were published to " + parts_package + ", not " +
                                                    matrix.package.repository_str() + " (" +
                                                    (package.empty() ? files[0] : "--package") +
                                                    "); give finalize the --package the shards used"));

    auto supply = load_supply_chain(sign_options, matrix.provenance);
    if (!supply) return fail(supply.error());
    auto target = open_target(matrix.package, target_options);
    if (!target) return fail(target.error());
    if (auto s = (*target)->check_access(dry_run ? store::Target::Access::read : store::Target::Access::push); !s)
        return fail(s.error());

    report::Report rep;
    rep.dry_run = dry_run;
    rep.package = matrix.package.repository_str();
    rep.tag = matrix.tag;
    std::vector<oci::IndexEntry> entries;
    for (const auto& in : (*loaded)->inputs) {
        std::string name = in.spec->platform.str();
        auto it = by_platform.find(name);
        if (it == by_platform.end())
            return fail(make_error(ErrorKind::data, "no part report for platform " + name + " of " + files[0]));
        if (auto s = check_part(**target, it->second, in.config); !s) return fail(s.error());
        oci::IndexEntry e;
        e.media_type = std::string(oci::kImageManifest);
        e.digest = it->second.manifest.digest;
        e.size = it->second.manifest.size;
        e.platform = in.spec->platform;
        entries.push_back(std::move(e));
        rep.platforms.push_back(it->second);
        by_platform.erase(it);
    }
    if (!by_platform.empty())
        return fail(make_error(ErrorKind::data, "part report for " + by_platform.begin()->first + ", which is not in " + files[0]));

    publish::WriteOptions write;
    write.settle = publish::kReadBackPause;
    rep.attachments = std::move(part_attachments);
    // --sign-platforms: platforms whose shard did not sign them are signed here (before the tags).
    if ((*supply)->chain.sign_platforms) {
        std::vector<publish::PlatformSubject> unsigned_platforms;
        for (const auto& p : rep.platforms)
            if (std::none_of(rep.attachments.begin(), rep.attachments.end(), [&](const report::Attachment& a) {
                    return a.kind == "signature" && a.subject == p.manifest.digest;
                }))
                unsigned_platforms.push_back({p.platform, p.manifest.digest, p.manifest.size, std::nullopt});
        if (!publish::attach_platforms(target->get(), unsigned_platforms, (*supply)->chain, write, dry_run, rep)) {
            rep.status = report::Status::failed;
            if (auto s = emit_report(rep, outputs); !s) return fail(s.error());
            return report::exit_code_for(rep);
        }
    }
    publish::write_release_tags(target->get(), matrix, entries, dry_run, false, write, rep);
    // The index's signature and provenance (docs/cli.md "Supply chain"): only finalize knows the index.
    if (rep.status == report::Status::published || rep.status == report::Status::planned)
        if (!publish::attach_index(target->get(), (*supply)->chain, matrix.provenance, matrix.tag, write, dry_run, rep))
            rep.status = dry_run ? report::Status::failed : report::Status::partial;
    if (auto s = emit_report(rep, outputs); !s) return fail(s.error());
    return report::exit_code_for(rep);
}

}  // namespace ocx::cli
