// `ocx-release push` (docs/cli.md "Commands"): one platform with OCX `package push` semantics.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "bundle/check.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/dependency_pins.hpp"
#include "cli/limits.hpp"
#include "cli/supply_chain.hpp"
#include "attest/sbom.hpp"
#include "util/files.hpp"
#include "util/json.hpp"
#include "cli/target.hpp"
#include "metadata/metadata.hpp"
#include "oci/media_types.hpp"
#include "plan/cascade.hpp"
#include "bundle/file_names.hpp"
#include "oci/layer_ref.hpp"
#include "publish/push.hpp"
#include "report/ocx_push.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace ocx::cli {

namespace {
// Our report (docs/cli.md "Report (output)") or, for the `package push` spelling, OCX's.
enum class PushReportShape { ours, ocx };

Result<oci::Annotations> parse_annotations(const std::vector<std::string>& items) {
    oci::Annotations out;
    for (const auto& item : items) {
        auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0)
            return make_error(ErrorKind::usage, "--annotation \"" + item + "\": expected KEY=VALUE");
        out[item.substr(0, eq)] = item.substr(eq + 1);
    }
    return out;
}

// push --sbom (docs/cli.md "Supply chain"): "auto" generates the SBOM from the archives' regular
// files (hashed while the archive check reads them), anything else is a file attached as is.
Result<std::string> push_sbom(const std::string& choice, const std::vector<std::string>& archives,
                              const oci::Reference& ref, const oci::Platform& platform, const bundle::UnpackLimits& limits) {
    if (choice != "auto") {
        auto text = read_file(choice);
        if (!text) return std::move(text).error().context("--sbom");
        if (!*text) return make_error(ErrorKind::usage, "--sbom " + choice + ": no such file");
        if (auto doc = json::parse(**text, choice); !doc) return std::move(doc).error().context("--sbom");
        return std::move(**text);
    }
    std::vector<attest::SbomFile> files;
    for (const auto& a : archives) {
        std::vector<bundle::FileHash> listed;
        const auto media_type = oci::layer_media_type(a);
        if (!media_type) return make_error(ErrorKind::usage, a + ": not a supported archive");
        auto check = bundle::check_archive(a, *media_type, limits, nullptr, {}, &listed);
        if (!check) return std::move(check).error();
        for (auto& f : listed) files.push_back({std::move(f.name), f.digest});
    }
    return attest::cyclonedx_sbom({ref.repository_str(), ref.tag, platform.str()}, std::move(files));
}
}  // namespace

namespace {
// Layer arguments in order (docs/cli.md "Layer references"): archives are checked now; digest
// references are looked up in the target later (resolve_references), before anything is written.
struct LayerArgs {
    std::vector<oci::LayerRef> refs;
    std::vector<std::optional<publish::Layer>> layers;  // set for files
};

Result<LayerArgs> read_layer_args(const std::vector<std::string>& args, const bundle::UnpackLimits& limits) {
    LayerArgs out;
    std::size_t files = 0;
    for (const auto& a : args) {
        auto ref = oci::parse_layer_ref(a);
        if (!ref) return std::move(ref).error();
        if (ref->kind == oci::LayerRef::Kind::file) ++files;
        out.refs.push_back(std::move(*ref));
    }
    // Several archives are one tree to install: checked together, as it extracts them.
    std::optional<bundle::LayerSet> set;
    if (files > 1) {
        set.emplace();
        for (const auto& r : out.refs) {
            if (r.kind != oci::LayerRef::Kind::file) continue;
            std::error_code size_ec;
            const auto size = fs::file_size(r.path, size_ec);
            set->compressed += size_ec ? 0 : size;  // a missing archive is reported below
        }
    }
    for (const auto& r : out.refs) {
        if (r.kind != oci::LayerRef::Kind::file) {
            out.layers.emplace_back();
            continue;
        }
        auto layer = publish::layer_from_archive(r.path, limits, set ? &*set : nullptr, publish::CheckTiming::beside_upload);
        if (!layer) return std::move(layer).error();
        layer->annotations = oci::layer_annotations(r);
        layer->mount_from = r.from;
        out.layers.emplace_back(std::move(*layer));
    }
    if (set)
        if (Status s = bundle::finish_layers(*set); !s) return std::move(s).error();
    return out;
}

// The digest references, HEADed (or mounted) in the target: a missing one stops the push (79).
Result<std::vector<publish::Layer>> resolve_references(store::Target& target, LayerArgs& args,
                                                       const std::string& mount_from) {
    std::vector<publish::Layer> layers;
    for (std::size_t i = 0; i < args.refs.size(); ++i) {
        if (args.layers[i]) {
            layers.push_back(std::move(*args.layers[i]));
            continue;
        }
        auto layer = publish::layer_from_registry(target, args.refs[i], mount_from);
        if (!layer) return std::move(layer).error();
        layers.push_back(std::move(*layer));
    }
    return layers;
}

Status append_announce(const std::string& path, const std::string& line) {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    if (out) out << line;
    if (out) out.flush();
    if (!out) return make_error(ErrorKind::io, "--announce-file " + path + ": cannot append: " + std::strerror(errno));
    return {};
}

int push_main(const Args& args, PushReportShape shape) {
    CommonOptions common;
    TargetOptions target_options;
    LimitOptions limit_options;
    std::string identifier, platform_text, metadata_path;
    std::string announce_file;
    std::vector<std::string> positional_args, annotation_items, aliases;
    bool is_new = false, cascade = false, no_canonical = false;
    po::options_description desc("push options");
    desc.add_options()
        ("identifier,i", po::value(&identifier)->value_name("REF"), "package reference REGISTRY/REPO:TAG or oci:DIR:TAG")
        ("platform,p", po::value(&platform_text)->value_name("PLATFORM"), "platform of the archive: os/arch[/variant][+features] or any")
        ("metadata,m", po::value(&metadata_path)->value_name("FILE"), "metadata file (default: <archive stem>-metadata.json next to the first archive)")
        ("new,n", po::bool_switch(&is_new), "first push of a package: a missing repository counts as no tags")
        ("cascade,c", po::bool_switch(&cascade), "also move rolling tags (1.2, 1, latest) by OCX's cascade rules")
        ("annotation", po::value(&annotation_items)->composing()->value_name("KEY=VALUE"), "index annotation KEY=VALUE (repeatable)")
        ("alias", po::value(&aliases)->composing()->value_name("TAG"), "extra tag to re-point (repeatable)")
        ("no-canonical-tag", po::bool_switch(&no_canonical), "do not tag the manifest as sha256.<hex>")
        ("announce-file", po::value(&announce_file)->value_name("FILE"), "after success, append a line: the tag and the cascade tags, comma-joined")
        ("archives", po::value(&positional_args)->composing(), "layers, base first: ARCHIVE or sha256:<hex>.<ext>, each with an optional :strip=N,prefix=P,from=REPO");
    std::string sbom_choice;
    desc.add_options()("sbom", po::value(&sbom_choice)->value_name("FILE|auto"),
                       "attach an SBOM to the platform manifest: a CycloneDX file, or auto (generated from the archives)");
    SignOptions sign_options;
    add_sign_options(desc, sign_options);
    add_limit_options(desc, limit_options);
    add_target_options(desc, target_options);
    std::string progress_mode = "auto";
    add_progress_option(desc, progress_mode);
    add_common_options(desc, common);
    po::positional_options_description pos;
    pos.add("archives", -1);
    if (auto s = parse_args(args, desc, &pos, common); !s) return fail(s.error());
    if (common.help) {
        print_help("push", desc, &pos);
        return 0;
    }
    ProgressScope progress_display;
    if (auto s = progress_display.start(progress_mode, common); !s) return fail(s.error());
    // OCX's form: the identifier is the first positional argument when -i is absent.
    if (identifier.empty() && !positional_args.empty() && !oci::looks_like_layer(positional_args.front())) {
        identifier = positional_args.front();
        positional_args.erase(positional_args.begin());
    }
    if (identifier.empty()) return fail(make_error(ErrorKind::usage, "push: missing -i REPO:TAG (the package identifier)"));
    if (platform_text.empty()) return fail(make_error(ErrorKind::usage, "push: missing -p PLATFORM"));
    if (positional_args.empty() && metadata_path.empty())
        return fail(make_error(ErrorKind::usage,
                               "push: no layer given (archives or sha256:<hex>.<ext>); a config-only artifact needs -m FILE"));

    auto ref = parse_reference(identifier);
    if (!ref) return fail(ref.error());
    if (ref->tag.empty()) return fail(make_error(ErrorKind::usage, "push: \"" + identifier + "\" has no tag (REPO:TAG)"));
    if (auto reserved = oci::check_not_reserved(ref->tag); !reserved) return fail(reserved.error().context("-i"));
    auto platform = oci::Platform::parse(platform_text);
    if (!platform) return fail(platform.error().context("-p"));
    auto annotations = parse_annotations(annotation_items);
    if (!annotations) return fail(annotations.error());
    std::vector<std::string> alias_tags;
    for (const auto& a : aliases) {
        auto t = oci::normalize_tag(a);
        if (!t) return fail(t.error().context("--alias"));
        if (auto reserved = oci::check_not_reserved(*t); !reserved) return fail(reserved.error().context("--alias"));
        alias_tags.push_back(*t);
    }

    auto limits = unpack_limits(limit_options);
    if (!limits) return fail(limits.error());
    auto supply = load_supply_chain(sign_options, false);
    if (!supply) return fail(supply.error());
    std::optional<std::string> sbom;
    if (!sbom_choice.empty()) {
        auto made = push_sbom(sbom_choice, positional_args, *ref, *platform, *limits);
        if (!made) return fail(made.error());
        sbom = std::move(*made);
    }
    publish::PlatformContent content;
    content.platform = *platform;
    auto layer_args = read_layer_args(positional_args, *limits);
    if (!layer_args) return fail(layer_args.error());
    if (metadata_path.empty() && layer_args->refs.front().kind != oci::LayerRef::Kind::file)  // refs: not empty without -m
        return fail(make_error(ErrorKind::usage, "push: the first layer is a digest reference: pass -m FILE (the metadata)"));
    fs::path meta_file = metadata_path.empty() ? bundle::sidecar_path(layer_args->refs.front().path) : fs::path(metadata_path);
    std::error_code ec;
    if (metadata_path.empty() && !fs::exists(meta_file, ec))
        return fail(make_error(ErrorKind::data, "no metadata for " + layer_args->refs.front().path.string() +
                                                    ": pass -m FILE or put " + meta_file.string() + " next to it"));
    auto meta = metadata::load(meta_file);
    if (!meta) return fail(meta.error());
    content.config = metadata::to_compact(*meta);

    // A failure before anything is pushed: a failed report (--format json) and the error. OCX's
    // report exists only for a push that happened: `package push` prints nothing then.
    auto fail_early = [&](const std::string& step, const Error& e) {
        report::Report rep;
        rep.package = ref->repository_str();
        rep.tag = ref->tag;
        rep.errors.push_back(report::StepError::of(step, e));
        if (common.format == Format::json && shape == PushReportShape::ours) print_stdout(report::to_json(rep));
        return fail(e);
    };
    // A tag that cannot cascade is refused before the registry is contacted at all.
    if (cascade)
        if (auto v = plan::cascade_start(ref->tag); !v) return fail_early("plan tags", v.error());

    auto target = open_target(*ref, target_options);
    if (!target) return fail(target.error());
    // Fail fast: an unreachable registry or refused credentials before any upload.
    if (auto s = (*target)->check_access(store::Target::Access::push); !s)
        return fail_early("check target", s.error());
    // Every digest reference is in place (or mounted) before the first upload or tag write.
    auto layers = resolve_references(**target, *layer_args, target_options.mount_from);
    if (!layers) return fail_early("resolve layers", layers.error());
    content.layers = std::move(*layers);
    // Every dependency pin names a platform manifest (docs/cli.md "Dependency pins").
    PinCheck pins(target_options);
    if (auto s = pins.check(*meta, meta_file.string()); !s) return fail_early("check dependencies", s.error());

    publish::PushOptions options;
    options.tag = ref->tag;
    options.cascade = cascade;
    options.new_repository = is_new;
    options.canonical_tag = !no_canonical;
    options.annotations = std::move(*annotations);
    options.aliases = std::move(alias_tags);
    options.mount_from = target_options.mount_from;
    report::BlobCounts layer_counts;
    options.layer_counts = &layer_counts;
    options.write.settle = publish::kReadBackPause;
    std::uint64_t layer_bytes = 0;
    for (const auto& l : content.layers) layer_bytes += l.size;
    report::Report rep = [&] {
        progress::Task task(content.platform.str(), progress::Phase::upload, layer_bytes);
        options.on_bytes = [&task](std::uint64_t sent) { task.update(sent); };
        return publish::push_platform(**target, ref->repository_str(), content, options);
    }();
    // The platform's SBOM and signature once it is published (a failure leaves status partial).
    if (rep.status == report::Status::published && !rep.platforms.empty() &&
        (sbom || (*supply)->chain.sign_platforms)) {
        const auto& pushed = rep.platforms.front();
        const publish::PlatformSubject subject{pushed.platform, pushed.manifest.digest, pushed.manifest.size, sbom};
        if (!publish::attach_platforms(target->get(), {subject}, (*supply)->chain, options.write, false, rep))
            rep.status = report::Status::partial;
    }

    const bool published = rep.status == report::Status::published;
    if (common.format == Format::json && shape == PushReportShape::ocx) {
        if (published) print_stdout(report::to_ocx_push_json(rep, ref->repository_str() + ":" + ref->tag, layer_counts));
    } else if (common.format == Format::json) {
        print_stdout(report::to_json(rep));
    }
    for (const auto& e : rep.errors) log::error(e.step + ": " + e.message);
    if (published && !announce_file.empty())
        if (Status s = append_announce(announce_file, report::announce_line(rep)); !s) return fail(s.error());
    return report::exit_code_for(rep);
}
}  // namespace

int cmd_push(const Args& args) { return push_main(args, PushReportShape::ours); }

int cmd_package_push(const Args& args) { return push_main(args, PushReportShape::ocx); }

}  // namespace ocx::cli
