#include "publish/push.hpp"

#include "util/log.hpp"

namespace ocx::publish {

namespace {
void record(report::Report& r, std::string step, const Error& e) {
    r.errors.push_back(report::StepError::of(std::move(step), e));
}
}  // namespace

report::Report push_platform(store::Target& target, const std::string& package, const PlatformContent& content,
                             const PushOptions& options) {
    report::Report r;
    r.package = package;
    r.tag = options.tag;
    r.status = report::Status::failed;

    BuiltManifest built = build_manifest(content);
    report::PlatformResult pr;
    pr.platform = content.platform.str();
    for (const auto& l : content.layers) pr.archives.push_back({l.path.string(), l.digest, l.size, false});
    pr.config = {built.config.digest, built.config.size};
    pr.manifest = {built.manifest.digest, built.manifest.bytes.size()};
    const std::string step = "push " + pr.platform;

    // Plan first (reads only): a bad cascade tag or an unreadable tag list stops before any write.
    TagOptions topts{options.cascade, options.new_repository, options.aliases};
    auto plans = plan_tags(target, options.tag, {built.entry}, topts);
    if (!plans) {
        record(r, "plan tags", plans.error());
        r.platforms.push_back(pr);
        return r;
    }

    std::vector<report::Blob> uploaded;
    auto counts = push_content(target, content, built, options.mount_from, options.write.manifest_retry, options.write.clock,
                               options.on_bytes, options.layer_counts, &uploaded);
    if (!counts) {
        record(r, step, counts.error());
        pr.uploaded_blobs = std::move(uploaded);
        r.platforms.push_back(pr);
        return r;
    }
    pr.blobs = *counts;
    pr.pushed = true;
    log::info(pr.platform + ": manifest " + built.manifest.digest.str() + " (" + std::to_string(counts->uploaded) +
              " blobs uploaded, " + std::to_string(counts->skipped) + " present)");

    if (options.before_tags && !options.before_tags(pr, r)) {
        r.platforms.push_back(pr);
        return r;
    }

    const auto outcomes = write_tags(target, *plans, options.annotations, options.write);
    bool failed = record_tags(*plans, outcomes, package, options.write.compute_only, r).failed;

    if (!failed && options.canonical_tag) {
        auto canonical = write_canonical_tag(target, built.manifest, options.write.manifest_retry, options.write.clock);
        if (!canonical) {
            record(r, canonical_tag_step(built.manifest.digest.canonical_tag()), canonical.error());
            failed = true;
        } else {
            pr.canonical_tag = *canonical;
        }
    }
    r.platforms.push_back(pr);
    r.status = failed ? report::Status::failed : report::Status::published;
    return r;
}

}  // namespace ocx::publish
