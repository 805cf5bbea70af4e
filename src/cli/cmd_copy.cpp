// `ocx-release copy SRC DST` (docs/cli.md "copy"): promote a release between repositories,
// registries and `oci:` layouts byte for byte (publish/copy.hpp).
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "cli/target.hpp"
#include "publish/copy.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

namespace po = boost::program_options;

namespace ocx::cli {

int cmd_copy(const Args& args) {
    CommonOptions common;
    TargetOptions target_options;
    std::string source_text, destination_text, report_path, progress_mode = "auto";
    std::vector<std::string> platform_texts;
    publish::CopyOptions options;
    po::options_description desc("copy options");
    desc.add_options()("source", po::value(&source_text),
                       "REGISTRY/REPO:TAG or oci:DIR:TAG")("destination", po::value(&destination_text),
                                                           "REGISTRY/REPO[:TAG] or oci:DIR[:TAG] (default tag: SRC's)")(
        "platform,p", po::value(&platform_texts)->composing()->value_name("PLATFORM"),
        "copy only this platform (repeatable); the index at DST is then rebuilt, with another digest")(
        "cascade,c", po::bool_switch(&options.cascade),
        "move DST's rolling tags (1.2, 1, latest) by OCX's cascade rules, against DST's own tags")(
        "replace", po::bool_switch(&options.replace),
        "allow replacing a platform DST's tag already holds with other content")(
        "dry-run", po::bool_switch(&options.dry_run),
        "read both sides and report the plan; write nothing")("report", po::value(&report_path)->value_name("FILE"),
                                                              "write the report (JSON) to FILE, - for stdout");
    add_target_options(desc, target_options);
    add_progress_option(desc, progress_mode);
    add_common_options(desc, common);
    po::positional_options_description pos;
    pos.add("source", 1).add("destination", 1);
    if (auto done = parse_or_help("copy", args, desc, &pos, common)) return *done;
    if (source_text.empty() || destination_text.empty())
        return fail(make_error(ErrorKind::usage, "copy: expected SRC and DST (REGISTRY/REPO:TAG or oci:DIR:TAG)"));
    ProgressScope progress_display;
    if (auto s = progress_display.start(progress_mode, common); !s) return fail(s.error());
    auto src_ref = parse_reference(source_text);
    if (!src_ref) return fail(src_ref.error().context("SRC"));
    if (src_ref->tag.empty() || src_ref->digest)
        return fail(
            make_error(ErrorKind::usage, "copy: SRC \"" + escape_text(source_text) + "\" must name a tag (REPO:TAG)"));
    auto dst_ref = parse_reference(destination_text);
    if (!dst_ref) return fail(dst_ref.error().context("DST"));
    if (dst_ref->digest)
        return fail(make_error(ErrorKind::usage,
                               "copy: DST \"" + escape_text(destination_text) + "\" must name a tag, not a digest"));
    if (dst_ref->tag.empty()) dst_ref->tag = src_ref->tag;
    if (auto reserved = oci::check_not_reserved(dst_ref->tag); !reserved) return fail(reserved.error().context("DST"));
    for (const auto& text : platform_texts) {
        auto platform = oci::Platform::parse(text);
        if (!platform) return fail(platform.error().context("-p"));
        options.platforms.push_back(*platform);
    }
    // One registry: blobs are mounted from the source repository rather than sent again.
    options.mount_from = target_options.mount_from;
    if (options.mount_from.empty() && !src_ref->is_layout() && !dst_ref->is_layout() &&
        src_ref->registry == dst_ref->registry && src_ref->repository != dst_ref->repository)
        options.mount_from = src_ref->repository;
    options.write.settle = std::chrono::milliseconds(150);  // as push: concurrent writers land before the read-back

    auto src = open_target(*src_ref, target_options);
    if (!src) return fail(src.error().context("SRC"));
    auto dst = open_target(*dst_ref, target_options);
    if (!dst) return fail(dst.error().context("DST"));
    const ReportOutputs outputs{report_path, "", common.format == Format::json};
    auto fail_early = [&](const std::string& step, const Error& e) {
        report::Report rep;
        rep.package = dst_ref->repository_str();
        rep.tag = dst_ref->tag;
        rep.dry_run = options.dry_run;
        rep.errors.push_back({step, std::string(to_string(e.kind)), e.message});
        if (auto s = write_report(rep, outputs); !s) log::error(s.error().message);
        return fail(e);
    };
    // Fail fast: both ends answer and accept the credentials before anything is copied.
    if (auto s = (*src)->check_access(store::Target::Access::read); !s) return fail_early("check source", s.error());
    const auto dst_access = options.dry_run ? store::Target::Access::read : store::Target::Access::push;
    if (auto s = (*dst)->check_access(dst_access); !s) return fail_early("check target", s.error());

    const report::Report rep =
        publish::copy_release(**src, src_ref->tag, **dst, dst_ref->repository_str(), dst_ref->tag, options);
    if (auto s = emit_report(rep, outputs); !s) return fail(s.error());
    return report::exit_code_for(rep);
}

}  // namespace ocx::cli
