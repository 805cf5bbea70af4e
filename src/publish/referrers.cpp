#include "publish/referrers.hpp"

#include <algorithm>
#include <chrono>

#include <boost/json.hpp>

#include "attest/sigstore.hpp"
#include "oci/media_types.hpp"
#include "publish/content.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

namespace ocx::publish {

namespace bj = boost::json;
using std::chrono::milliseconds;

namespace {

constexpr std::uint64_t kMaxDocument = 4u << 20;

Result<std::vector<Referrer>> referrers_of_index(std::string_view bytes, std::string_view what) {
    auto index = oci::ImageIndex::parse(bytes);
    if (!index) return std::move(index).error().context(what);
    std::vector<Referrer> out;
    for (const auto& e : index->manifests) {
        Referrer r{e.digest, e.size, {}, {}};
        if (!e.extra_json.empty()) {
            boost::system::error_code ec;
            const bj::value extra = bj::parse(e.extra_json, ec);
            if (!ec && extra.is_object()) {
                if (const auto* at = extra.get_object().if_contains("artifactType"); at && at->is_string())
                    r.artifact_type = at->get_string();
                if (const auto* a = extra.get_object().if_contains("annotations"); a && a->is_object())
                    for (const auto& kv : a->get_object())
                        if (kv.value().is_string())
                            r.annotations[std::string(kv.key())] = std::string(kv.value().get_string());
            }
        }
        out.push_back(std::move(r));
    }
    return out;
}

// A referrer's entry in a referrers index (OCI 1.1): the manifest's descriptor with its
// artifactType and annotations.
oci::IndexEntry entry_for(const Referrer& r) {
    bj::object extra;
    extra["artifactType"] = r.artifact_type;
    if (!r.annotations.empty()) {
        bj::object a;
        for (const auto& [k, v] : r.annotations) a[k] = v;
        extra["annotations"] = std::move(a);
    }
    return oci::IndexEntry{std::string(oci::kImageManifest), r.digest, r.size, std::nullopt, bj::serialize(extra)};
}

bool holds(const std::optional<oci::ImageIndex>& index, const Digest& d) {
    return index && std::any_of(index->manifests.begin(), index->manifests.end(),
                                [&](const oci::IndexEntry& e) { return e.digest == d; });
}

// The fallback tag's index now (nullopt when the tag does not exist).
Result<std::optional<oci::ImageIndex>> read_fallback(store::Target& target, const std::string& tag) {
    auto stored = target.get_manifest(tag);
    if (!stored) return std::move(stored).error();
    if (!*stored) return std::optional<oci::ImageIndex>();
    auto index = oci::ImageIndex::parse((*stored)->bytes);
    if (!index)
        return make_error(ErrorKind::data, "fallback tag " + tag + " in " + target.describe() +
                                               " does not hold an image index: " + index.error().message);
    return std::optional<oci::ImageIndex>(std::move(*index));
}

// One read–merge–write of the fallback tag (retried from a fresh read, never with bytes that
// failed: tags.cpp write_tag). Returns how long it took when a PUT went out, nullopt when the entry
// was there already.
Result<std::optional<milliseconds>> merge_fallback(store::Target& target, const std::string& tag,
                                                   const oci::IndexEntry& entry, const WriteOptions& options) {
    std::optional<milliseconds> took;
    Status done = retry<void>(options.tag_retry, options.clock, "writing tag " + tag, [&](RetryHint& hint) -> Status {
        const auto start = options.clock.now();
        auto now = read_fallback(target, tag);
        if (!now) {
            hint.final = true;
            return std::move(now).error();
        }
        if (holds(*now, entry.digest)) return {};
        oci::ImageIndex index = now->value_or(oci::ImageIndex{});
        index.manifests.push_back(entry);
        const std::string bytes = index.serialize();
        const store::Manifest m{std::string(oci::kImageIndex), bytes, Digest::of(bytes)};
        Status put = target.put_manifest_once(tag, m, hint);
        took =
            std::max(took.value_or(milliseconds(0)), std::chrono::duration_cast<milliseconds>(options.clock.now() - start));
        if (!put) return std::move(put).error().context("writing tag " + tag);
        return put;
    });
    if (!done) return std::move(done).error();
    return took;
}

void settle(const WriteOptions& options, milliseconds took, bool jitter) {
    const milliseconds base = std::max(options.settle, took * 3);
    if (base.count() <= 0) return;
    milliseconds pause = base;
    if (jitter) pause += milliseconds(static_cast<long>(options.clock.uniform() * static_cast<double>(base.count())));
    options.clock.sleep(pause);
}

// The fallback tag holds `entry` when this returns: written, paused, read back, merged again
// while a concurrent writer dropped it (bounded by max_attempts).
Status update_fallback(store::Target& target, const Digest& subject, const oci::IndexEntry& entry,
                       const WriteOptions& options) {
    const std::string tag = fallback_tag(subject);
    auto took = merge_fallback(target, tag, entry, options);
    if (!took) return std::move(took).error();
    if (!*took || options.max_attempts <= 1) return {};
    settle(options, **took, false);
    for (int attempt = 1;; ++attempt) {
        auto now = read_fallback(target, tag);
        if (!now) return std::move(now).error();
        if (holds(*now, entry.digest)) return {};
        if (attempt >= options.max_attempts)
            return make_error(ErrorKind::transient, "tag " + tag +
                                                        ": a concurrent writer kept replacing the referrers index (" +
                                                        std::to_string(attempt) + " attempts); run again to merge");
        log::warn("tag " + tag + ": a concurrent writer replaced the referrers index; merging again (attempt " +
                  std::to_string(attempt + 1) + ")");
        auto again = merge_fallback(target, tag, entry, options);
        if (!again) return std::move(again).error();
        settle(options, again->value_or(milliseconds(0)), true);
    }
}

}  // namespace

std::string fallback_tag(const Digest& subject) { return "sha256-" + subject.hex(); }

Result<std::vector<Referrer>> list_referrers(store::Target& target, const Digest& subject) {
    auto api = target.get_referrers(subject);
    if (!api) return std::move(api).error();
    if (*api) return referrers_of_index((*api)->bytes, "referrers of " + subject.str());
    const std::string tag = fallback_tag(subject);
    auto stored = target.get_manifest(tag);
    if (!stored) return std::move(stored).error();
    if (!*stored) return std::vector<Referrer>();
    return referrers_of_index((*stored)->bytes, "fallback tag " + tag);
}

Result<StoredReferrer> read_referrer(store::Target& target, const Digest& referrer) {
    auto m = target.get_manifest(referrer.str());
    if (!m) return std::move(m).error();
    if (!*m) return make_error(ErrorKind::not_found, "referrer " + referrer.str() + " not found in " + target.describe());
    auto parsed = attest::parse_referrer_manifest((*m)->bytes);
    if (!parsed) return std::move(parsed).error().context("referrer " + referrer.str());
    if (parsed->layer.size > kMaxDocument)
        return make_error(ErrorKind::data, "referrer " + referrer.str() + ": its document is larger than 4 MiB");
    std::string doc;
    Status got = target.fetch_blob(parsed->layer.digest, [&](const char* data, std::size_t size) -> Status {
        if (doc.size() + size > parsed->layer.size)
            return make_error(ErrorKind::data,
                              "blob " + parsed->layer.digest.str() + ": more bytes than its descriptor says");
        doc.append(data, size);
        return {};
    });
    if (!got) return std::move(got).error();
    if (Digest::of(doc) != parsed->layer.digest)
        return make_error(ErrorKind::data,
                          "blob " + parsed->layer.digest.str() + ": the bytes served hash to " + Digest::of(doc).str());
    return StoredReferrer{std::move(**m), std::move(*parsed), std::move(doc)};
}

Result<std::string> identity_of_referrer(store::Target& target, const Referrer& referrer) {
    auto stored = read_referrer(target, referrer.digest);
    if (!stored) return std::move(stored).error();
    if (stored->parsed.artifact_type != attest::kSigstoreBundle) return stored->parsed.layer.digest.str();
    auto bundle = attest::parse_bundle(stored->document);
    if (!bundle) return std::move(bundle).error().context("referrer " + referrer.digest.str());
    return attest::identity_of(*bundle);
}

store::Manifest referrer_for(const attest::Document& document, const oci::Descriptor& subject) {
    const std::string bytes = attest::referrer_manifest(document, subject);
    return store::Manifest{std::string(oci::kImageManifest), bytes, Digest::of(bytes)};
}

Result<Attached> attach(store::Target& target, const oci::Descriptor& subject, const attest::Document& document,
                        const WriteOptions& options) {
    const std::string identity = document.identity.empty() ? Digest::of(document.bytes).str() : document.identity;
    auto existing = list_referrers(target, subject.digest);
    if (!existing) return std::move(existing).error();
    for (const auto& r : *existing) {
        if (r.artifact_type != document.artifact_type) continue;
        auto other = identity_of_referrer(target, r);
        if (!other) {
            log::warn("referrer " + r.digest.str() + " of " + subject.digest.str() +
                      " cannot be read: " + escape_text(other.error().message));
            continue;
        }
        if (*other == identity) return Attached{r.digest, r.size, AttachWay::existing};
    }

    // The empty config is pushed every time, never assumed present (docs/wire-format.md §7).
    const std::string empty(oci::kEmptyConfigBytes);
    store::BlobSource config{Digest::of(empty), empty.size(), {}, empty, {}, {}};
    if (auto s = target.upload_blob(config); !s) return std::move(s).error();
    const Digest doc_digest = Digest::of(document.bytes);
    auto present = target.blob_exists(doc_digest);
    if (!present) return std::move(present).error();
    if (!*present)
        if (auto s = target.upload_blob(store::BlobSource{doc_digest, document.bytes.size(), {}, document.bytes, {}, {}});
            !s)
            return std::move(s).error();

    const store::Manifest manifest = referrer_for(document, subject);
    const Referrer listed{manifest.digest, manifest.bytes.size(), document.artifact_type, document.annotations};
    auto way = store_referrer(target, subject.digest, manifest, listed, options);
    if (!way) return std::move(way).error();
    return Attached{manifest.digest, manifest.bytes.size(), *way};
}

Result<Referrer> referrer_of_manifest(const store::Manifest& manifest, const Digest& subject) {
    constexpr std::size_t kMaxAnnotations = 64;
    constexpr std::size_t kMaxListedBytes = 16u << 10;
    const std::string what = "referrer " + manifest.digest.str() + " of " + subject.str();
    boost::system::error_code ec;
    const bj::value doc = bj::parse(manifest.bytes, ec);
    if (ec || !doc.is_object()) return make_error(ErrorKind::data, what + ": not a JSON manifest");
    const auto& o = doc.get_object();
    const auto* subj = o.if_contains("subject");
    const auto* subj_digest = subj && subj->is_object() ? subj->get_object().if_contains("digest") : nullptr;
    if (subj_digest == nullptr || !subj_digest->is_string() || subj_digest->get_string() != subject.str())
        return make_error(ErrorKind::data, what + ": its manifest names another subject");
    Referrer r{manifest.digest, manifest.bytes.size(), {}, {}};
    // OCI 1.1: the artifactType, else the config's media type.
    if (const auto* at = o.if_contains("artifactType"); at && at->is_string()) {
        r.artifact_type = at->get_string();
    } else if (const auto* cfg = o.if_contains("config"); cfg && cfg->is_object()) {
        if (const auto* mt = cfg->get_object().if_contains("mediaType"); mt && mt->is_string())
            r.artifact_type = mt->get_string();
    }
    std::size_t listed_bytes = r.artifact_type.size();
    if (const auto* a = o.if_contains("annotations"); a && a->is_object()) {
        if (a->get_object().size() > kMaxAnnotations)
            return make_error(ErrorKind::data, what + ": more than " + std::to_string(kMaxAnnotations) + " annotations");
        for (const auto& kv : a->get_object()) {
            if (!kv.value().is_string()) continue;
            listed_bytes += kv.key().size() + kv.value().get_string().size();
            r.annotations[std::string(kv.key())] = std::string(kv.value().get_string());
        }
    }
    if (listed_bytes > kMaxListedBytes)
        return make_error(ErrorKind::data, what + ": its artifactType and annotations exceed 16 KiB");
    return r;
}

Result<AttachWay> store_referrer(store::Target& target, const Digest& subject, const store::Manifest& manifest,
                                 const Referrer& listed, const WriteOptions& options) {
    auto api = target.put_referrer(manifest);
    if (!api) return std::move(api).error();
    if (*api) return AttachWay::referrers_api;
    if (auto s = update_fallback(target, subject, entry_for(listed), options); !s) return std::move(s).error();
    return AttachWay::fallback_tag;
}

}  // namespace ocx::publish
