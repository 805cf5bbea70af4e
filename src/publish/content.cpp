#include "publish/content.hpp"

#include "bundle/check.hpp"
#include "oci/media_types.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"
#include "util/retry.hpp"

namespace ocx::publish {

Result<Layer> layer_from_archive(const std::filesystem::path& path, const bundle::UnpackLimits& limits,
                                 bundle::LayerSet* set) {
    auto media_type = oci::layer_media_type(path.filename().string());
    if (!media_type)
        return make_error(ErrorKind::data,
                          path.string() + ": not a supported archive (expected " + oci::archive_extensions() + ")");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return make_error(ErrorKind::not_found, path.string() + ": no such archive");
    // Hashed, then walked (compression, members, links) unless these bytes passed before here.
    auto records = bundle::check_records_dir();
    auto checked = set == nullptr && records ? bundle::check_archive_remembered(path, *media_type, *records, limits)
                                             : bundle::check_archive(path, *media_type, limits, set);
    if (!checked) return std::move(checked).error();
    if (checked->from_record)
        log::verbose(path.string() + ": these bytes passed the archive check before (record in " + records->string() +
                     "); not walked again");
    return Layer{path, checked->digest, checked->size, std::string(*media_type), {}, Layer::Origin::file, {}};
}

Result<Layer> layer_from_registry(Target& target, const LayerRef& ref, std::string_view mount_from) {
    const std::string what = "layer \"" + escape_text(ref.text) + "\"";
    Layer layer{{}, ref.digest, 0, ref.media_type, layer_annotations(ref), Layer::Origin::present, ref.from};
    auto size = target.blob_size(ref.digest);
    if (!size) return std::move(size).error().context(what);
    const std::string from = ref.from.empty() ? std::string(mount_from) : ref.from;
    if (!*size && !from.empty()) {
        auto mounted = target.mount_blob(ref.digest, from);
        if (!mounted) return std::move(mounted).error().context(what);
        if (*mounted) {
            layer.origin = Layer::Origin::mounted;
            size = target.blob_size(ref.digest);
            if (!size) return std::move(size).error().context(what);
        }
    }
    if (!*size)
        return make_error(ErrorKind::not_found,
                          what + ": blob " + ref.digest.str() + " is not in " + target.describe() +
                              (from.empty() ? std::string("; push it first, or name a repository to mount it from (:from=REPO)")
                                            : "; mounting it from " + escape_text(from) + " failed too"));
    layer.size = **size;
    return layer;
}

BuiltManifest build_manifest(const PlatformContent& content) {
    BuiltManifest b;
    b.config = {std::string(oci::kPackageConfig), Digest::of(content.config), content.config.size(), {}};
    oci::ImageManifest m;
    m.config = b.config;
    for (const auto& l : content.layers) m.layers.push_back({l.media_type, l.digest, l.size, l.annotations});
    b.manifest.media_type = std::string(oci::kImageManifest);
    b.manifest.bytes = m.serialize();
    b.manifest.digest = Digest::of(b.manifest.bytes);
    b.entry.media_type = b.manifest.media_type;
    b.entry.digest = b.manifest.digest;
    b.entry.size = b.manifest.bytes.size();
    b.entry.platform = content.platform;
    return b;
}

namespace {
// `who` prefixes -v lines ("[linux/amd64] "): platforms are pushed in parallel.
Status push_blob(store::Target& target, const store::BlobSource& blob, std::string_view mount_from, report::BlobCounts& counts,
                 const std::string& who) {
    auto exists = target.blob_exists(blob.digest);
    if (!exists) return std::move(exists).error();
    if (*exists) {
        ++counts.skipped;
        log::verbose(who + "blob " + blob.digest.str() + " already present, skipped");
        return {};
    }
    if (!mount_from.empty()) {
        auto mounted = target.mount_blob(blob.digest, mount_from);
        if (!mounted) return std::move(mounted).error();
        if (*mounted) {
            ++counts.mounted;
            log::verbose(who + "blob " + blob.digest.str() + " mounted from " + std::string(mount_from));
            return {};
        }
    }
    auto sent = target.upload_blob(blob);
    if (!sent) return std::move(sent).error();
    ++counts.uploaded;
    counts.bytes_uploaded += *sent;
    log::verbose(who + "blob " + blob.digest.str() + " uploaded (" + std::to_string(blob.size) + " bytes)");
    return {};
}
}  // namespace

Status put_manifest_retrying(store::Target& target, std::string_view reference, const store::Manifest& manifest,
                             const RetryPolicy& policy, const RetryClock& clock) {
    // One attempt per round: retrying inside the target as well would multiply the attempts.
    return retry<void>(policy, clock, "PUT manifest " + std::string(reference),
                       [&](RetryHint& hint) { return target.put_manifest_once(reference, manifest, hint); });
}

Result<std::string> write_canonical_tag(store::Target& target, const store::Manifest& manifest,
                                        const RetryPolicy& policy, const RetryClock& clock) {
    std::string tag = manifest.digest.canonical_tag();
    if (Status s = put_manifest_retrying(target, tag, manifest, policy, clock); !s) return std::move(s).error();
    return tag;
}

std::string canonical_tag_step(std::string_view tag) { return "canonical tag " + std::string(tag); }

Result<report::BlobCounts> push_content(store::Target& target, const PlatformContent& content, const BuiltManifest& built,
                                        std::string_view mount_from, const RetryPolicy& policy,
                                        const RetryClock& clock, const std::function<void(std::uint64_t)>& on_bytes,
                                        report::BlobCounts* layer_counts) {
    report::BlobCounts counts;
    const std::string who = "[" + content.platform.str() + "] ";
    std::uint64_t before = 0;  // bytes of the layers already pushed (or found present)
    for (const auto& layer : content.layers) {
        if (layer.origin != Layer::Origin::file) {  // a digest reference, already in place
            ++(layer.origin == Layer::Origin::mounted ? counts.mounted : counts.skipped);
            before += layer.size;
            if (on_bytes) on_bytes(before);
            continue;
        }
        store::BlobSource src{layer.digest, layer.size, layer.path, {}, {}};
        if (on_bytes) src.progress = [&on_bytes, before](std::uint64_t sent) { on_bytes(before + sent); };
        const std::string_view from = layer.mount_from.empty() ? mount_from : std::string_view(layer.mount_from);
        if (auto s = push_blob(target, src, from, counts, who); !s)
            return std::move(s).error().context("layer " + layer.path.string());
        before += layer.size;
        if (on_bytes) on_bytes(before);
    }
    if (layer_counts) *layer_counts = counts;
    store::BlobSource config{built.config.digest, built.config.size, {}, content.config, {}};
    if (auto s = push_blob(target, config, {}, counts, who); !s) return std::move(s).error().context("config blob");
    if (auto s = put_manifest_retrying(target, built.manifest.digest.str(), built.manifest, policy, clock); !s)
        return std::move(s).error().context("manifest " + built.manifest.digest.str());
    return counts;
}

}  // namespace ocx::publish
