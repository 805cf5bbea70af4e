#include "publish/content.hpp"

#include <atomic>
#include <exception>
#include <optional>
#include <thread>

#include "bundle/check.hpp"
#include "oci/media_types.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"
#include "util/retry.hpp"

namespace ocx::publish {

namespace fs = std::filesystem;

namespace {
// Archives no larger are walked before their upload, not beside it: overlapping them would save
// milliseconds, and a refused one then leaves nothing in the registry.
constexpr std::uint64_t kWalkedBeside = 4u << 20;
}  // namespace

Result<Layer> layer_from_archive(const std::filesystem::path& path, const bundle::UnpackLimits& limits,
                                 bundle::LayerSet* set, CheckTiming timing) {
    auto media_type = oci::layer_media_type(path.filename().string());
    if (!media_type)
        return make_error(ErrorKind::data,
                          path.string() + ": not a supported archive (expected " + oci::archive_extensions() + ")");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return make_error(ErrorKind::not_found, path.string() + ": no such archive");
    if (set != nullptr) {
        auto checked = bundle::check_archive(path, *media_type, limits, set);
        if (!checked) return std::move(checked).error();
        return Layer{path, checked->digest, checked->size, std::string(*media_type), {}, Layer::Origin::file, {}, {}};
    }
    // Hashed, then walked (compression, members, links) unless these bytes passed before here:
    // now, or beside the upload.
    std::optional<fs::path> records;
    if (auto dir = bundle::check_records_dir()) records = *dir;
    auto hashed = bundle::look_up_check(path, *media_type, records, limits);
    if (!hashed) return std::move(hashed).error();
    Layer layer{path, hashed->digest, hashed->size, std::string(*media_type), {}, Layer::Origin::file, {}, {}};
    if (hashed->from_record) {
        log::verbose(path.string() + ": these bytes passed the archive check before (record in " + records->string() +
                     "); not walked again");
        return layer;
    }
    if (timing == CheckTiming::beside_upload && layer.size > kWalkedBeside) {
        layer.pending_check = limits;
        return layer;
    }
    auto checked = bundle::check_archive(path, *media_type, limits);
    if (!checked) return std::move(checked).error();
    if (checked->digest != layer.digest || checked->size != layer.size)
        return make_error(ErrorKind::io, path.string() + " changed while it was being read");
    if (records) bundle::remember_checked(*records, *media_type, *checked);
    return layer;
}

Result<Layer> layer_from_registry(store::Target& target, const oci::LayerRef& ref, std::string_view mount_from,
                                  Mounting mounting) {
    const std::string what = "layer \"" + escape_text(ref.text) + "\"";
    Layer layer{{}, ref.digest, 0, ref.media_type, oci::layer_annotations(ref), Layer::Origin::present, ref.from, {}};
    auto size = target.blob_size(ref.digest);
    if (!size) return std::move(size).error().context(what);
    const std::string from = ref.from.empty() ? std::string(mount_from) : ref.from;
    if (!*size && !from.empty() && mounting == Mounting::refused)
        return make_error(ErrorKind::not_found, what + ": blob " + ref.digest.str() + " is not in " + target.describe() +
                                                    " yet; a dry run writes nothing, so it does not mount it from " +
                                                    escape_text(from) + " as a release would");
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
                              (from.empty()
                                   ? std::string("; push it first, or name a repository to mount it from (:from=REPO)")
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
Status push_blob(store::Target& target, const store::BlobSource& blob, std::string_view mount_from,
                 report::BlobCounts& counts, const std::string& who, std::vector<report::Blob>* uploaded) {
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
    if (uploaded != nullptr) uploaded->push_back({blob.digest, blob.size});
    log::verbose(who + "blob " + blob.digest.str() + " uploaded (" + std::to_string(blob.size) + " bytes)");
    return {};
}

// The check a layer still owes (Layer::pending_check), run on a thread of its own from the moment
// the layer's push starts: it reads the file itself, while the upload reads and sends it, so the
// push takes about as long as the slower of the two and a link that holds the uploads does not
// hold the check. A failed check stops an upload still under way (tap() is the upload's
// BlobSource::tap); an upload that fails on its own stops the check (the destructor, or cancel()).
class BesideCheck {
public:
    BesideCheck(const Layer& layer, std::string who) : layer_(layer), who_(std::move(who)), thread_([this] { run(); }) {}
    ~BesideCheck() {
        cancel();
        if (thread_.joinable()) thread_.join();
    }
    BesideCheck(const BesideCheck&) = delete;
    BesideCheck& operator=(const BesideCheck&) = delete;

    bool failed() const { return failed_.load(); }
    void cancel() { cancelled_ = true; }
    /// For the upload's BlobSource::tap: false, so the upload stops, once the check has failed.
    std::function<bool(std::uint64_t, const char*, std::size_t)> tap() {
        return [this](std::uint64_t, const char*, std::size_t) {
            if (!failed_.load()) return true;
            stopped_upload_ = true;
            return false;
        };
    }
    /// Whether tap() stopped an upload: its failure is then the check's.
    bool stopped_upload() const { return stopped_upload_.load(); }
    /// Waits for the check; its error in the context of the layer, or nothing when it passed.
    Status wait() {
        if (thread_.joinable()) thread_.join();
        if (!result_) return result_.error().context("layer " + layer_.path.string());
        return {};
    }

private:
    void run() {
        try {
            check();
        } catch (const std::exception& e) {  // out of memory: a verdict all the same, never a crash
            result_ = make_error(ErrorKind::internal, layer_.path.string() + ": archive check: " + e.what());
            failed_ = true;
        }
    }

    void check() {
        auto checked =
            bundle::check_archive_beside(layer_.path, layer_.size, layer_.media_type, *layer_.pending_check, cancelled_);
        if (checked && checked->digest != layer_.digest)
            checked = make_error(ErrorKind::io, layer_.path.string() + " changed while it was being read");
        if (!checked) {
            result_ = std::move(checked).error();
            failed_ = true;
            return;
        }
        if (auto records = bundle::check_records_dir()) bundle::remember_checked(*records, layer_.media_type, *checked);
        log::verbose(who_ + layer_.path.string() +
                     ": archive checked beside its upload (members: " + std::to_string(checked->entries) +
                     ", xz blocks decoded ahead on a second thread: " + std::to_string(checked->blocks_ahead) + ")");
    }

    const Layer& layer_;
    const std::string who_;
    std::atomic<bool> cancelled_{false};
    std::atomic<bool> failed_{false};
    std::atomic<bool> stopped_upload_{false};
    Status result_;
    std::thread thread_;  // last: started once everything it reads is in place
};
}  // namespace

Status put_manifest_retrying(store::Target& target, std::string_view reference, const store::Manifest& manifest,
                             const RetryPolicy& policy, const RetryClock& clock) {
    // One attempt per round: retrying inside the target as well would multiply the attempts.
    return retry<void>(policy, clock, "PUT manifest " + std::string(reference),
                       [&](RetryHint& hint) { return target.put_manifest_once(reference, manifest, hint); });
}

Result<std::string> write_canonical_tag(store::Target& target, const store::Manifest& manifest, const RetryPolicy& policy,
                                        const RetryClock& clock) {
    std::string tag = manifest.digest.canonical_tag();
    if (Status s = put_manifest_retrying(target, tag, manifest, policy, clock); !s) return std::move(s).error();
    return tag;
}

std::string canonical_tag_step(std::string_view tag) { return "canonical tag " + std::string(tag); }

Result<report::BlobCounts> push_content(store::Target& target, const PlatformContent& content, const BuiltManifest& built,
                                        std::string_view mount_from, const RetryPolicy& policy, const RetryClock& clock,
                                        const std::function<void(std::uint64_t)>& on_bytes, report::BlobCounts* layer_counts,
                                        std::vector<report::Blob>* uploaded) {
    report::BlobCounts counts;
    const std::string who = "[" + content.platform.str() + "] ";
    // At most one check runs beside the uploads (its decoder's memory is budgeted for one); a
    // second layer that owes one waits for the first's verdict before its push starts.
    std::optional<BesideCheck> check;
    auto check_verdict = [&]() -> Status { return check ? check->wait() : Status{}; };
    std::uint64_t before = 0;  // bytes of the layers already pushed (or found present)
    for (const auto& layer : content.layers) {
        if (layer.origin != Layer::Origin::file) {  // a digest reference, already in place
            ++(layer.origin == Layer::Origin::mounted ? counts.mounted : counts.skipped);
            before += layer.size;
            if (on_bytes) on_bytes(before);
            continue;
        }
        store::BlobSource src{layer.digest, layer.size, layer.path, {}, {}, {}};
        if (on_bytes) src.progress = [&on_bytes, before](std::uint64_t sent) { on_bytes(before + sent); };
        if (layer.pending_check) {
            if (auto s = check_verdict(); !s) return std::move(s).error();
            check.reset();
            check.emplace(layer, who);
            src.tap = check->tap();
        }
        const std::string_view from = layer.mount_from.empty() ? mount_from : std::string_view(layer.mount_from);
        if (auto s = push_blob(target, src, from, counts, who, uploaded); !s) {
            // An upload the failed check stopped reports the check.
            if (check && check->stopped_upload()) return check_verdict().error();
            return std::move(s).error().context("layer " + layer.path.string());
        }
        before += layer.size;
        if (on_bytes) on_bytes(before);
    }
    if (layer_counts) *layer_counts = counts;
    // The config blob goes up while a check may still run; not once one has failed.
    if (check && check->failed()) return check_verdict().error();
    store::BlobSource config{built.config.digest, built.config.size, {}, content.config, {}, {}};
    if (auto s = push_blob(target, config, {}, counts, who, uploaded); !s)
        return std::move(s).error().context("config blob");
    // The manifest, so everything that refers to the layers, only after every check passed.
    if (auto s = check_verdict(); !s) return std::move(s).error();
    if (auto s = put_manifest_retrying(target, built.manifest.digest.str(), built.manifest, policy, clock); !s)
        return std::move(s).error().context("manifest " + built.manifest.digest.str());
    return counts;
}

}  // namespace ocx::publish
