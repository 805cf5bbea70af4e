// `ocx-release push` (docs/cli.md "Commands"): one platform with OCX `package push` semantics.
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "bundle/check.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/limits.hpp"
#include "cli/target.hpp"
#include "metadata/metadata.hpp"
#include "oci/media_types.hpp"
#include "publish/cascade.hpp"
#include "publish/naming.hpp"
#include "publish/push.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace ocx::cli {

namespace {
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
}  // namespace

int cmd_push(const Args& args) {
    CommonOptions common;
    TargetOptions target_options;
    LimitOptions limit_options;
    std::string identifier, platform_text, metadata_path;
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
        ("archives", po::value(&positional_args)->composing(), "archives (layers, base first)");
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
    if (identifier.empty() && !positional_args.empty() && !oci::layer_media_type(positional_args.front())) {
        identifier = positional_args.front();
        positional_args.erase(positional_args.begin());
    }
    if (identifier.empty()) return fail(make_error(ErrorKind::usage, "push: missing -i REPO:TAG (the package identifier)"));
    if (platform_text.empty()) return fail(make_error(ErrorKind::usage, "push: missing -p PLATFORM"));
    if (positional_args.empty()) return fail(make_error(ErrorKind::usage, "push: no archive given"));

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
    publish::PlatformContent content;
    content.platform = *platform;
    // Several archives are one tree to install: checked together, as it extracts them.
    std::optional<bundle::LayerSet> layers;
    if (positional_args.size() > 1) {
        layers.emplace();
        for (const auto& a : positional_args) {
            std::error_code size_ec;
            const auto size = fs::file_size(a, size_ec);
            layers->compressed += size_ec ? 0 : size;  // a missing archive is reported below
        }
    }
    for (const auto& a : positional_args) {
        auto layer = publish::layer_from_archive(a, *limits, layers ? &*layers : nullptr,
                                                 publish::CheckTiming::beside_upload);
        if (!layer) return fail(layer.error());
        content.layers.push_back(std::move(*layer));
    }
    if (layers)
        if (Status s = bundle::finish_layers(*layers); !s) return fail(s.error());
    fs::path meta_file = metadata_path.empty() ? publish::sidecar_path(positional_args.front()) : fs::path(metadata_path);
    std::error_code ec;
    if (metadata_path.empty() && !fs::exists(meta_file, ec))
        return fail(make_error(ErrorKind::data, "no metadata for " + positional_args.front() + ": pass -m FILE or put " +
                                                    meta_file.string() + " next to it"));
    auto meta = metadata::load(meta_file);
    if (!meta) return fail(meta.error());
    content.config = metadata::to_compact(*meta);

    // A failure before anything is pushed: a failed report (--format json) and the error.
    auto fail_early = [&](const std::string& step, const Error& e) {
        report::Report rep;
        rep.package = ref->repository_str();
        rep.tag = ref->tag;
        rep.errors.push_back({step, std::string(to_string(e.kind)), e.message});
        if (common.format == Format::json) print_stdout(report::to_json(rep));
        return fail(e);
    };
    // A tag that cannot cascade is refused before the registry is contacted at all.
    if (cascade)
        if (auto v = publish::cascade_start(ref->tag); !v) return fail_early("plan tags", v.error());

    auto target = open_target(*ref, target_options);
    if (!target) return fail(target.error());
    // Fail fast: an unreachable registry or refused credentials before any upload.
    if (auto s = (*target)->check_access(publish::Target::Access::push); !s)
        return fail_early("check target", s.error());

    publish::PushOptions options;
    options.tag = ref->tag;
    options.cascade = cascade;
    options.new_repository = is_new;
    options.canonical_tag = !no_canonical;
    options.annotations = std::move(*annotations);
    options.aliases = std::move(alias_tags);
    options.mount_from = target_options.mount_from;
    // Several CI legs often push platforms of one tag at the same moment: confirm after a pause.
    // Layouts too: their lock covers one index.json update, not our read-merge-write of a tag, so
    // without the pause a concurrent process drops entries (seen with 4 processes, 1 round in ~100).
    options.write.settle = std::chrono::milliseconds(150);
    std::uint64_t layer_bytes = 0;
    for (const auto& l : content.layers) layer_bytes += l.size;
    report::Report rep = [&] {
        progress::Task task(content.platform.str(), progress::Phase::upload, layer_bytes);
        options.on_bytes = [&task](std::uint64_t sent) { task.update(sent); };
        return publish::push_platform(**target, ref->repository_str(), content, options);
    }();

    if (common.format == Format::json) print_stdout(report::to_json(rep));
    for (const auto& e : rep.errors) log::error(e.step + ": " + e.message);
    return report::exit_code_for(rep);
}

}  // namespace ocx::cli
