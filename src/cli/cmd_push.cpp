// `ocx-release push` (docs/cli.md "Commands"): one platform with OCX `package push` semantics.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "attest/sbom.hpp"
#include "bundle/check.hpp"
#include "bundle/file_names.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/dependency_pins.hpp"
#include "cli/limits.hpp"
#include "cli/supply_chain.hpp"
#include "cli/target.hpp"
#include "metadata/metadata.hpp"
#include "oci/layer_ref.hpp"
#include "oci/media_types.hpp"
#include "plan/cascade.hpp"
#include "publish/platform_layers.hpp"
#include "publish/push.hpp"
#include "report/ocx_push.hpp"
#include "util/files.hpp"
#include "util/json.hpp"
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
// files (hashed while the archive check reads them), named where install puts them (a layer's
// strip and prefix applied); a digest reference's blob is not read, so its files are not listed.
// Anything else is a file attached as is.
Result<std::string> push_sbom(const std::string& choice, const std::vector<oci::LayerRef>& layers, const oci::Reference& ref,
                              const oci::Platform& platform, const bundle::UnpackLimits& limits) {
    if (choice != "auto") {
        auto text = read_file(choice);
        if (!text) return std::move(text).error().context("--sbom");
        if (!*text) return make_error(ErrorKind::usage, "--sbom " + choice + ": no such file");
        if (auto doc = json::parse(**text, choice); !doc) return std::move(doc).error().context("--sbom");
        return std::move(**text);
    }
    std::vector<attest::SbomFile> files;
    for (const auto& layer : layers) {
        if (layer.kind != oci::LayerRef::Kind::file) continue;
        std::vector<bundle::FileHash> listed;
        auto check = bundle::check_archive(layer.path, layer.media_type, limits, nullptr, {}, &listed);
        if (!check) return std::move(check).error();
        for (auto& f : publish::placed_files(std::move(listed), layer)) files.push_back({std::move(f.name), f.digest});
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
    // Several archives are one tree to install: checked together, as it extracts them. So is one
    // with a strip or prefix, placed as install places it (strip=1 can make two paths one).
    const bool placed = std::any_of(out.refs.begin(), out.refs.end(), [](const oci::LayerRef& r) {
        return r.kind == oci::LayerRef::Kind::file && (r.strip || r.prefix);
    });
    std::optional<bundle::LayerSet> set;
    if (files > 1 || placed) {
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
        if (set) set->placement = {r.strip.value_or(0), r.prefix.value_or("")};  // where install puts its members
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

// The command line of push, as given.
struct PushArgs {
    CommonOptions common;
    TargetOptions target_options;
    LimitOptions limit_options;
    SignOptions sign_options;
    std::string identifier, platform_text, metadata_path;
    std::string announce_file;
    std::string sbom_choice;
    std::string progress_mode = "auto";
    std::vector<std::string> positional_args, annotation_items, aliases;
    bool is_new = false, cascade = false, no_canonical = false;
};

void add_push_options(po::options_description& desc, PushArgs& a) {
    desc.add_options()("identifier,i", po::value(&a.identifier)->value_name("REF"),
                       "package reference REGISTRY/REPO:TAG or oci:DIR:TAG")(
        "platform,p", po::value(&a.platform_text)->value_name("PLATFORM"),
        "platform of the archive: os/arch[/variant][+features] or any")(
        "metadata,m", po::value(&a.metadata_path)->value_name("FILE"),
        "metadata file (default: <archive stem>-metadata.json next to the first archive)")(
        "new,n", po::bool_switch(&a.is_new), "first push of a package: a missing repository counts as no tags")(
        "cascade,c", po::bool_switch(&a.cascade), "also move rolling tags (1.2, 1, latest) by OCX's cascade rules")(
        "annotation", po::value(&a.annotation_items)->composing()->value_name("KEY=VALUE"),
        "index annotation KEY=VALUE (repeatable)")("alias", po::value(&a.aliases)->composing()->value_name("TAG"),
                                                   "extra tag to re-point (repeatable)")(
        "no-canonical-tag", po::bool_switch(&a.no_canonical), "do not tag the manifest as sha256.<hex>")(
        "announce-file", po::value(&a.announce_file)->value_name("FILE"),
        "after success, append a line: the tag and the cascade tags, comma-joined")(
        "archives", po::value(&a.positional_args)->composing(),
        "layers, base first: ARCHIVE or sha256:<hex>.<ext>, each with an optional :strip=N,prefix=P,from=REPO");
    desc.add_options()("sbom", po::value(&a.sbom_choice)->value_name("FILE|auto"),
                       "attach an SBOM to the platform manifest: a CycloneDX file, or auto (generated from the archives)");
    add_sign_options(desc, a.sign_options);
    add_limit_options(desc, a.limit_options);
    add_target_options(desc, a.target_options);
    add_progress_option(desc, a.progress_mode);
    add_common_options(desc, a.common);
}

// What the command line asks for, read and checked before the registry is contacted.
struct PushRequest {
    oci::Reference ref;
    oci::Annotations annotations;
    std::vector<std::string> alias_tags;
    bundle::UnpackLimits limits;
    std::unique_ptr<LoadedSupplyChain> supply;
    std::optional<std::string> sbom;
    LayerArgs layer_args;
    fs::path meta_file;
    metadata::Metadata meta;
    publish::PlatformContent content;
};

// OCX's form: the identifier is the first positional argument when -i is absent. Then the
// arguments every push needs.
Status take_identifier(PushArgs& a) {
    if (a.identifier.empty() && !a.positional_args.empty() && !oci::looks_like_layer(a.positional_args.front())) {
        a.identifier = a.positional_args.front();
        a.positional_args.erase(a.positional_args.begin());
    }
    if (a.identifier.empty()) return make_error(ErrorKind::usage, "push: missing -i REPO:TAG (the package identifier)");
    if (a.platform_text.empty()) return make_error(ErrorKind::usage, "push: missing -p PLATFORM");
    if (a.positional_args.empty() && a.metadata_path.empty())
        return make_error(ErrorKind::usage,
                          "push: no layer given (archives or sha256:<hex>.<ext>); a config-only artifact needs -m FILE");
    return {};
}

// The reference, platform, annotations and alias tags.
Status read_names(const PushArgs& a, PushRequest& r) {
    auto ref = parse_reference(a.identifier);
    if (!ref) return ref.error();
    if (ref->tag.empty()) return make_error(ErrorKind::usage, "push: \"" + a.identifier + "\" has no tag (REPO:TAG)");
    if (auto reserved = oci::check_not_reserved(ref->tag); !reserved) return reserved.error().context("-i");
    r.ref = std::move(*ref);
    auto platform = oci::Platform::parse(a.platform_text);
    if (!platform) return platform.error().context("-p");
    r.content.platform = *platform;
    auto annotations = parse_annotations(a.annotation_items);
    if (!annotations) return annotations.error();
    r.annotations = std::move(*annotations);
    for (const auto& alias : a.aliases) {
        auto t = oci::normalize_tag(alias);
        if (!t) return t.error().context("--alias");
        if (auto reserved = oci::check_not_reserved(*t); !reserved) return reserved.error().context("--alias");
        r.alias_tags.push_back(*t);
    }
    return {};
}

// The limits, the signing material, the SBOM and the layer arguments (archives checked now).
Status read_inputs(const PushArgs& a, PushRequest& r) {
    auto limits = unpack_limits(a.limit_options);
    if (!limits) return limits.error();
    r.limits = *limits;
    auto supply = load_supply_chain(a.sign_options, false);
    if (!supply) return supply.error();
    r.supply = std::move(*supply);
    auto layer_args = read_layer_args(a.positional_args, r.limits);
    if (!layer_args) return layer_args.error();
    r.layer_args = std::move(*layer_args);
    if (!a.sbom_choice.empty()) {
        auto made = push_sbom(a.sbom_choice, r.layer_args.refs, r.ref, r.content.platform, r.limits);
        if (!made) return made.error();
        r.sbom = std::move(*made);
    }
    return {};
}

// The metadata: -m FILE, or the sidecar next to the first archive; it is the config blob.
Status read_push_metadata(const PushArgs& a, PushRequest& r) {
    const auto& first = r.layer_args.refs.front();  // refs: not empty without -m
    if (a.metadata_path.empty() && first.kind != oci::LayerRef::Kind::file)
        return make_error(ErrorKind::usage, "push: the first layer is a digest reference: pass -m FILE (the metadata)");
    r.meta_file = a.metadata_path.empty() ? bundle::sidecar_path(first.path) : fs::path(a.metadata_path);
    std::error_code ec;
    if (a.metadata_path.empty() && !fs::exists(r.meta_file, ec))
        return make_error(ErrorKind::data, "no metadata for " + first.path.string() + ": pass -m FILE or put " +
                                               r.meta_file.string() + " next to it");
    auto meta = metadata::load(r.meta_file);
    if (!meta) return meta.error();
    r.meta = std::move(*meta);
    r.content.config = metadata::to_compact(r.meta);
    return {};
}

Result<PushRequest> read_push_request(PushArgs& a) {
    PushRequest r;
    if (Status s = take_identifier(a); !s) return std::move(s).error();
    if (Status s = read_names(a, r); !s) return std::move(s).error();
    if (Status s = read_inputs(a, r); !s) return std::move(s).error();
    if (Status s = read_push_metadata(a, r); !s) return std::move(s).error();
    return r;
}

// A failure before anything is pushed: a failed report (--format json) and the error. OCX's
// report exists only for a push that happened: `package push` prints nothing then.
int fail_early(const PushArgs& a, const PushRequest& r, PushReportShape shape, const std::string& step, const Error& e) {
    report::Report rep;
    rep.package = r.ref.repository_str();
    rep.tag = r.ref.tag;
    rep.errors.push_back(report::StepError::of(step, e));
    if (a.common.format == Format::json && shape == PushReportShape::ours) print_stdout(report::to_json(rep));
    return fail(e);
}

publish::PushOptions push_options(const PushArgs& a, PushRequest& r, report::BlobCounts& layer_counts) {
    publish::PushOptions options;
    options.tag = r.ref.tag;
    options.cascade = a.cascade;
    options.new_repository = a.is_new;
    options.canonical_tag = !a.no_canonical;
    options.annotations = std::move(r.annotations);
    options.aliases = std::move(r.alias_tags);
    options.mount_from = a.target_options.mount_from;
    options.layer_counts = &layer_counts;
    options.write.settle = publish::kReadBackPause;
    return options;
}

// The upload, with a progress task over the layers' bytes.
report::Report upload(store::Target& target, const PushRequest& r, publish::PushOptions& options) {
    std::uint64_t layer_bytes = 0;
    for (const auto& l : r.content.layers) layer_bytes += l.size;
    progress::Task task(r.content.platform.str(), progress::Phase::upload, layer_bytes);
    options.on_bytes = [&task](std::uint64_t sent) { task.update(sent); };
    return publish::push_platform(target, r.ref.repository_str(), r.content, options);
}

// The platform's SBOM and signature, in place before any tag names its manifest (docs/cli.md
// "Supply chain"): push_platform runs this between the manifest and the tags, and a failure
// stops the push with no tag written.
void attach_before_tags(store::Target* target, const PushRequest& r, publish::PushOptions& options) {
    if (!(r.sbom || r.supply->chain.sign_platforms)) return;
    options.before_tags = [target, &r, &options](const report::PlatformResult& pushed, report::Report& rep) {
        const publish::PlatformSubject subject{pushed.platform, pushed.manifest.digest, pushed.manifest.size, r.sbom};
        return publish::attach_platforms(target, {subject}, r.supply->chain, options.write, false, rep);
    };
}

// The report in the shape asked for, the errors for people, the announce line; the exit code.
int finish_push(const PushArgs& a, const PushRequest& r, const report::Report& rep, const report::BlobCounts& layer_counts,
                PushReportShape shape) {
    const bool published = rep.status == report::Status::published;
    if (a.common.format == Format::json && shape == PushReportShape::ocx) {
        if (published) print_stdout(report::to_ocx_push_json(rep, r.ref.repository_str() + ":" + r.ref.tag, layer_counts));
    } else if (a.common.format == Format::json) {
        print_stdout(report::to_json(rep));
    }
    for (const auto& e : rep.errors) log::error(e.step + ": " + e.message);
    if (published && !a.announce_file.empty())
        if (Status s = append_announce(a.announce_file, report::announce_line(rep)); !s) return fail(s.error());
    return report::exit_code_for(rep);
}

// From the checked request to the exit code: access, references and pins before the upload.
int publish_push(const PushArgs& a, PushRequest& r, PushReportShape shape) {
    // A tag that cannot cascade is refused before the registry is contacted at all.
    if (a.cascade)
        if (auto v = plan::cascade_start(r.ref.tag); !v) return fail_early(a, r, shape, "plan tags", v.error());
    auto target = open_target(r.ref, a.target_options);
    if (!target) return fail(target.error());
    // Fail fast: an unreachable registry or refused credentials before any upload. Read access
    // only: the archives are hashed already, so a push has nothing costly left before its first
    // write, and that write (a mount, an upload or the manifest, all before any tag) fails as the
    // write check would; the check's upload session would cost two requests on every push.
    if (auto s = (*target)->check_access(store::Target::Access::read); !s)
        return fail_early(a, r, shape, "check target", s.error());
    // Every digest reference is in place (or mounted) before the first upload or tag write.
    auto layers = resolve_references(**target, r.layer_args, a.target_options.mount_from);
    if (!layers) return fail_early(a, r, shape, "resolve layers", layers.error());
    r.content.layers = std::move(*layers);
    // Every dependency pin names a platform manifest (docs/cli.md "Dependency pins").
    PinCheck pins(a.target_options);
    if (auto s = pins.check(r.meta, r.meta_file.string()); !s)
        return fail_early(a, r, shape, "check dependencies", s.error());

    report::BlobCounts layer_counts;
    publish::PushOptions options = push_options(a, r, layer_counts);
    attach_before_tags(target->get(), r, options);
    report::Report rep = upload(**target, r, options);
    return finish_push(a, r, rep, layer_counts, shape);
}

int push_main(const Args& args, PushReportShape shape) {
    PushArgs a;
    po::options_description desc("push options");
    add_push_options(desc, a);
    po::positional_options_description pos;
    pos.add("archives", -1);
    if (auto done = parse_or_help("push", args, desc, &pos, a.common)) return *done;
    ProgressScope progress_display;
    if (auto s = progress_display.start(a.progress_mode, a.common); !s) return fail(s.error());
    auto request = read_push_request(a);
    if (!request) return fail(request.error());
    return publish_push(a, *request, shape);
}
}  // namespace

int cmd_push(const Args& args) { return push_main(args, PushReportShape::ours); }

int cmd_package_push(const Args& args) { return push_main(args, PushReportShape::ocx); }

}  // namespace ocx::cli
