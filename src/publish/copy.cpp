// copy_release as stated in copy.hpp.
#include "publish/copy.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <utility>

#include "oci/descriptor.hpp"
#include "oci/media_types.hpp"
#include "publish/content.hpp"
#include "publish/referrers.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"
#include "util/temp_dir.hpp"

namespace fs = std::filesystem;

namespace ocx::publish {

namespace {
struct Copy {
    store::Target& src;
    store::Target& dst;
    const CopyOptions& options;
    fs::path scratch;                                  // temporary files of streamed blobs
    std::map<std::string, store::Manifest> manifests;  // the platform manifests copied, by digest
    std::set<std::pair<Digest, Digest>> referrers;     // (subject, referrer) looked at, each once
};

// More referrers than a release has (an SBOM, signatures and attestations per platform): a source
// that lists more is refused rather than followed (a listing may repeat or nest without end).
constexpr std::size_t kMaxReferrers = 1000;

// Streams a blob of SRC into a file in `scratch`, hashing it; more bytes than `size`, or bytes
// that do not hash to `digest`, are ErrorKind::data (the source is not what its manifest says).
Result<fs::path> download_blob(Copy& c, const Digest& digest, std::uint64_t size) {
    const fs::path file = c.scratch / digest.hex();
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) return make_error(ErrorKind::io, "cannot write " + file.string());
    Sha256 hash;
    std::uint64_t got = 0;
    Status fetched = c.src.fetch_blob(digest, [&](const char* data, std::size_t n) -> Status {
        got += n;
        if (got > size)
            return make_error(ErrorKind::data, "blob " + digest.str() + " of " + c.src.describe() + " is larger than the " +
                                                   std::to_string(size) + " bytes its manifest says");
        hash.update(data, n);
        out.write(data, static_cast<std::streamsize>(n));
        if (!out) return make_error(ErrorKind::io, "cannot write " + file.string());
        return {};
    });
    out.close();
    if (!fetched) return std::move(fetched).error().context("reading blob " + digest.str() + " of " + c.src.describe());
    if (!out) return make_error(ErrorKind::io, "cannot write " + file.string());
    const Digest actual = hash.finish();
    if (got != size || actual != digest)
        return make_error(ErrorKind::data, "blob " + digest.str() + " of " + c.src.describe() + " is " + actual.str() +
                                               " (" + std::to_string(got) + " bytes), not what its manifest says");
    return file;
}

// One blob into DST: skipped when present, mounted on the same registry, else streamed through.
Status copy_blob(Copy& c, const oci::Descriptor& blob, report::BlobCounts& counts, const std::string& who) {
    auto exists = c.dst.blob_exists(blob.digest);
    if (!exists) return std::move(exists).error();
    if (*exists) {
        ++counts.skipped;
        log::verbose(who + "blob " + blob.digest.str() + " already present, skipped");
        return {};
    }
    if (c.options.dry_run) {
        ++counts.uploaded;  // would be: the report of a dry run counts what the copy would send
        counts.bytes_uploaded += blob.size;
        return {};
    }
    if (!c.options.mount_from.empty()) {
        auto mounted = c.dst.mount_blob(blob.digest, c.options.mount_from);
        if (!mounted) return std::move(mounted).error();
        if (*mounted) {
            ++counts.mounted;
            log::verbose(who + "blob " + blob.digest.str() + " mounted from " + c.options.mount_from);
            return {};
        }
    }
    auto file = download_blob(c, blob.digest, blob.size);
    if (!file) return std::move(file).error();
    auto sent = c.dst.upload_blob(store::BlobSource{blob.digest, blob.size, *file, {}, {}, {}});
    std::error_code ec;
    fs::remove(*file, ec);
    if (!sent) return std::move(sent).error();
    ++counts.uploaded;
    counts.bytes_uploaded += *sent;
    log::verbose(who + "blob " + blob.digest.str() + " copied (" + std::to_string(blob.size) + " bytes)");
    return {};
}

// GET by digest from SRC, checked against the digest (a registry may not answer other bytes).
Result<store::Manifest> source_manifest(Copy& c, const Digest& digest) {
    auto got = c.src.get_manifest(digest.str());
    if (!got) return std::move(got).error();
    if (!*got) return make_error(ErrorKind::not_found, "manifest " + digest.str() + " is missing in " + c.src.describe());
    store::Manifest m = std::move(**got);
    if (Digest::of(m.bytes) != digest)
        return make_error(ErrorKind::data, "manifest " + digest.str() + " of " + c.src.describe() +
                                               " answered other bytes (" + Digest::of(m.bytes).str() + ")");
    m.digest = digest;
    if (m.media_type.empty()) m.media_type = oci::sniff_media_type(m.bytes);
    return m;
}

// Step 1 for one platform: its blobs, then its manifest by digest.
Result<report::PlatformResult> copy_platform(Copy& c, const oci::IndexEntry& entry) {
    report::PlatformResult r;
    r.platform = entry.platform->str();
    const std::string who = "[" + r.platform + "] ";
    auto m = source_manifest(c, entry.digest);
    if (!m) return std::move(m).error();
    auto parsed = oci::ImageManifest::parse(m->bytes);
    if (!parsed) return std::move(parsed).error().context("manifest " + entry.digest.str() + " of " + c.src.describe());
    std::uint64_t total = 0;
    for (const auto& l : parsed->layers) total += l.size;
    progress::Task task(r.platform, progress::Phase::upload, total);
    std::uint64_t done = 0;
    for (const auto& layer : parsed->layers) {
        if (auto s = copy_blob(c, layer, r.blobs, who); !s)
            return std::move(s).error().context("layer " + layer.digest.str());
        task.update(done += layer.size);
        r.archives.push_back({"", layer.digest, layer.size, false});
    }
    if (auto s = copy_blob(c, parsed->config, r.blobs, who); !s) return std::move(s).error().context("config blob");
    r.config = {parsed->config.digest, parsed->config.size};
    r.manifest = {entry.digest, m->bytes.size()};
    if (!c.options.dry_run) {
        if (auto s =
                put_manifest_retrying(c.dst, entry.digest.str(), *m, c.options.write.manifest_retry, c.options.write.clock);
            !s)
            return std::move(s).error().context("manifest " + entry.digest.str());
        log::info(who + "copied manifest " + entry.digest.str() + " (" + std::to_string(r.blobs.uploaded) +
                  " blobs copied, " + std::to_string(r.blobs.mounted) + " mounted, " + std::to_string(r.blobs.skipped) +
                  " present)");
    }
    r.pushed = !c.options.dry_run;
    c.manifests.emplace(entry.digest.str(), std::move(*m));
    return r;
}

// The entries to copy: every one, or those whose platform the filter names (each must be there).
Result<std::vector<oci::IndexEntry>> select_entries(const oci::ImageIndex& index, const CopyOptions& options,
                                                    const std::string& source) {
    if (options.platforms.empty()) return index.manifests;
    std::vector<oci::IndexEntry> out;
    for (const auto& want : options.platforms) {
        auto it = std::find_if(index.manifests.begin(), index.manifests.end(),
                               [&](const oci::IndexEntry& e) { return e.platform && *e.platform == want; });
        if (it == index.manifests.end()) {
            std::string held;
            for (const auto& e : index.manifests)
                if (e.platform) held += (held.empty() ? "" : ", ") + e.platform->str();
            return make_error(ErrorKind::not_found, "-p " + want.str() + ": " + source + " has no such platform (it has " +
                                                        (held.empty() ? std::string("none") : held) + ")");
        }
        out.push_back(*it);
    }
    return out;
}

void fail_step(report::Report& rep, const std::string& step, const Error& e) {
    rep.errors.push_back({step, std::string(to_string(e.kind)), e.message});
}

void finish_status(report::Report& rep, bool wrote_tag) {
    if (rep.errors.empty())
        rep.status = rep.dry_run ? report::Status::planned : report::Status::published;
    else
        rep.status = wrote_tag ? report::Status::partial : report::Status::failed;
}

// What step 3 does to each platform of DST's tag (docs/cli.md "copy"): added, unchanged, replaced
// (with --replace), or kept (in DST, not copied).
void log_merge(const TagContent& dst, const std::vector<oci::IndexEntry>& copied, const std::string& tag) {
    const auto* idx = std::get_if<oci::ImageIndex>(&dst);
    const std::vector<oci::IndexEntry> none;
    const auto& have = idx != nullptr ? idx->manifests : none;
    for (const auto& e : copied) {
        auto it = std::find_if(have.begin(), have.end(), [&](const oci::IndexEntry& h) { return h.platform == e.platform; });
        const char* result = it == have.end() ? "added" : it->digest == e.digest ? "unchanged" : "replaced";
        log::info("[" + e.platform->str() + "] " + result + " in " + tag);
    }
    for (const auto& h : have)
        if (h.platform &&
            std::none_of(copied.begin(), copied.end(), [&](const oci::IndexEntry& e) { return e.platform == h.platform; }))
            log::info("[" + h.platform->str() + "] kept in " + tag);
}

// Step 4 when the source index goes to DST as it is: the tag is absent or holds those bytes.
// The same bytes are always right for the tag then, so they are PUT as a canonical document is.
Status write_exact_tag(Copy& c, TagPlan& plan, const store::Manifest& index) {
    auto state = read_tag(c.dst, plan.tag);
    if (!state) return std::move(state).error();
    plan.before = state->stored ? std::optional<Digest>(state->stored->digest) : std::nullopt;
    plan.after = index.digest;
    plan.after_size = index.bytes.size();
    plan.action = plan.before ? report::TagAction::unchanged : report::TagAction::created;
    if (plan.before || c.options.dry_run) return {};
    return put_manifest_retrying(c.dst, plan.tag, index, c.options.write.manifest_retry, c.options.write.clock);
}

// The referrers of `subject` in SRC — SBOMs, provenance, signatures (docs/cli.md "copy") — as SRC
// lists them (the Referrers API, else the fallback tag `sha256-<hex>`). Each one is copied once as
// a platform is (blobs, then its manifest by digest, the same bytes) and listed in DST the way DST
// keeps referrers (store_referrer: OCI-Subject, else the fallback tag, merged and read back), with
// the entry read from its own manifest (which must name `subject`), not from SRC's listing; then
// its own referrers (a signature of an SBOM) up to `depth`. Returns how many referrers were
// copied (or would be, in a dry run).
Result<std::size_t> copy_referrers(Copy& c, const Digest& subject, int depth = 3) {
    auto listed = list_referrers(c.src, subject);
    if (!listed) return std::move(listed).error();
    std::size_t copied = 0;
    report::BlobCounts counts;
    for (const auto& r : *listed) {
        if (!c.referrers.insert({subject, r.digest}).second) continue;  // listed twice
        if (c.referrers.size() > kMaxReferrers)
            return make_error(ErrorKind::data, "the referrers of " + subject.str() + " in " + c.src.describe() +
                                                   ": more than " + std::to_string(kMaxReferrers) + " in this copy");
        auto m = source_manifest(c, r.digest);
        if (!m) return std::move(m).error();
        auto entry = referrer_of_manifest(*m, subject);
        if (!entry) {
            log::warn(escape_text(entry.error().message) + "; not copied");
            continue;
        }
        auto parsed = oci::ImageManifest::parse(m->bytes);
        if (!parsed) return std::move(parsed).error().context("referrer " + r.digest.str() + " of " + subject.str());
        for (const auto& blob : parsed->layers)
            if (auto s = copy_blob(c, blob, counts, ""); !s) return std::move(s).error();
        if (auto s = copy_blob(c, parsed->config, counts, ""); !s) return std::move(s).error();
        if (!c.options.dry_run)
            if (auto way = store_referrer(c.dst, subject, *m, *entry, c.options.write); !way) return std::move(way).error();
        ++copied;
        if (depth > 1) {
            auto nested = copy_referrers(c, r.digest, depth - 1);
            if (!nested) return std::move(nested).error();
            copied += *nested;
        }
    }
    return copied;
}
}  // namespace

namespace {
// 1. Platforms (entries without a platform are copied by digest with the index, below): the
// entries copied; false when one failed (recorded in the report).
bool copy_platforms(Copy& c, const std::vector<oci::IndexEntry>& entries, const std::string& source,
                    std::vector<oci::IndexEntry>& copied, report::Report& rep) {
    for (const auto& e : entries) {
        if (!e.platform) continue;
        if (e.media_type != oci::kImageManifest && e.media_type != oci::kDockerManifest) {
            fail_step(rep, "copy " + e.platform->str(),
                      make_error(ErrorKind::data, source + ": the " + e.platform->str() + " entry is a " + e.media_type +
                                                      ", not a platform manifest"));
            return false;
        }
        auto r = copy_platform(c, e);
        if (!r) return fail_step(rep, "copy " + e.platform->str(), r.error()), false;
        rep.platforms.push_back(std::move(*r));
        copied.push_back(e);
    }
    return true;
}

// 2. The source index itself, with any platform-less entries it lists (copied by digest, with
// their layers and config); false when one failed (recorded in the report).
bool copy_source_index(Copy& c, const std::vector<oci::IndexEntry>& entries, const store::Manifest& source_index,
                       report::Report& rep) {
    const CopyOptions& options = c.options;
    for (const auto& e : entries) {
        if (e.platform) continue;
        auto m = source_manifest(c, e.digest);
        if (!m) return fail_step(rep, "copy " + e.digest.str(), m.error()), false;
        if (options.dry_run) continue;
        // Its blobs first: a manifest that cannot be read as one is not copied without them.
        auto parsed = oci::ImageManifest::parse(m->bytes);
        Status s = parsed ? Status{} : Status{parsed.error()};
        report::BlobCounts ignored;
        if (s)
            for (const auto& l : parsed->layers)
                if (s) s = copy_blob(c, l, ignored, "");
        if (s) s = copy_blob(c, parsed->config, ignored, "");
        if (s) s = put_manifest_retrying(c.dst, e.digest.str(), *m, options.write.manifest_retry, options.write.clock);
        if (!s) return fail_step(rep, "copy " + e.digest.str(), s.error()), false;
    }
    if (!options.dry_run)
        if (auto s = put_manifest_retrying(c.dst, source_index.digest.str(), source_index, options.write.manifest_retry,
                                           options.write.clock);
            !s)
            return fail_step(rep, "index " + source_index.digest.str(), s.error()), false;
    return true;
}

// 4., 5. The tag, then the rolling tags (plan_tags decides them against DST's own tags). An exact
// copy writes the source index's bytes to the tag when DST's tag is absent or holds them already.
// `exact_index`: the source index when nothing is filtered, else null. nullopt when planning
// failed (recorded in the report).
std::optional<TagsRecorded> copy_tags(Copy& c, const std::string& dst_tag, const std::string& dst_package,
                                      const std::vector<oci::IndexEntry>& copied, const oci::ImageIndex& index,
                                      const store::Manifest* exact_index, report::Report& rep) {
    const CopyOptions& options = c.options;
    TagOptions tag_options;
    tag_options.cascade = options.cascade;
    tag_options.new_repository = true;
    tag_options.protect_published = !options.replace;
    auto plans = plan_tags(c.dst, dst_tag, copied, tag_options);
    if (!plans) return fail_step(rep, "plan tags", plans.error()), std::nullopt;
    std::vector<std::optional<Status>> outcomes(plans->size());
    std::size_t merged_from = 0;
    auto held = read_tag(c.dst, dst_tag);
    if (!held) return fail_step(rep, "tag " + dst_tag, held.error()), std::nullopt;
    log_merge(held->content, copied, dst_tag);
    if (exact_index != nullptr) {
        if (!held->stored || held->stored->digest == exact_index->digest) {
            outcomes[0] = write_exact_tag(c, plans->front(), *exact_index);
            merged_from = 1;
        }
    }
    WriteOptions write = options.write;
    write.compute_only = options.dry_run;
    if (!outcomes[0] || *outcomes[0]) {
        std::vector<TagPlan> rest(std::make_move_iterator(plans->begin() + static_cast<std::ptrdiff_t>(merged_from)),
                                  std::make_move_iterator(plans->end()));
        const auto written = write_tags(c.dst, rest, index.annotations, write);
        for (std::size_t i = 0; i < rest.size(); ++i) {
            (*plans)[merged_from + i] = std::move(rest[i]);
            outcomes[merged_from + i] = written[i];
        }
    }
    return record_tags(*plans, outcomes, dst_package, options.dry_run, rep);
}

// 6. Canonical tags, once every tag above is in place.
void write_copy_canonical_tags(Copy& c, report::Report& rep) {
    const CopyOptions& options = c.options;
    for (auto& p : rep.platforms) {
        const std::string canonical = p.manifest.digest.canonical_tag();
        if (!options.dry_run) {
            const store::Manifest& m = c.manifests.at(p.manifest.digest.str());
            Status s = put_manifest_retrying(c.dst, canonical, m, options.write.manifest_retry, options.write.clock);
            if (!s) {
                fail_step(rep, "canonical tag " + canonical, s.error());
                break;
            }
        }
        p.canonical_tag = canonical;
    }
}

// 3. Before any tag names what was copied: the referrers (signatures, SBOMs, provenance) of
// every copied manifest, so a tag never points at a release whose signatures are still missing.
// False (with the error in the report) stops the copy before the tags.
bool copy_all_referrers(Copy& c, const std::vector<Digest>& subjects, report::Report& rep) {
    for (const auto& subject : subjects) {
        auto n = copy_referrers(c, subject);
        if (!n) {
            fail_step(rep, "referrers of " + subject.str(), n.error());
            return false;
        }
        if (*n > 0)
            log::info(std::string(c.options.dry_run ? "would copy " : "copied ") + std::to_string(*n) + " referrer(s) of " +
                      subject.str());
    }
    return true;
}
}  // namespace

report::Report copy_release(store::Target& src, const std::string& src_tag, store::Target& dst,
                            const std::string& dst_package, const std::string& dst_tag, const CopyOptions& options) {
    report::Report rep;
    rep.package = dst_package;
    rep.tag = dst_tag;
    rep.dry_run = options.dry_run;
    const std::string source = src.describe() + ":" + src_tag;

    auto state = read_tag(src, src_tag);
    if (!state) return fail_step(rep, "read " + source, state.error()), finish_status(rep, false), rep;
    const auto* index = std::get_if<oci::ImageIndex>(&state->content);
    if (!state->stored || index == nullptr) {
        const Error e = !state->stored
                            ? make_error(ErrorKind::not_found, source + " does not exist")
                            : make_error(ErrorKind::data, source + " is a single manifest, not an OCX package's index");
        return fail_step(rep, "read " + source, e), finish_status(rep, false), rep;
    }
    auto entries = select_entries(*index, options, source);
    if (!entries) return fail_step(rep, "select platforms", entries.error()), finish_status(rep, false), rep;

    auto scratch = TempDir::create("ocx-copy-");
    if (!scratch) return fail_step(rep, "temporary directory", scratch.error()), finish_status(rep, false), rep;
    Copy c{src, dst, options, scratch->path(), {}, {}};

    std::vector<oci::IndexEntry> copied;
    if (!copy_platforms(c, *entries, source, copied, rep)) return finish_status(rep, false), rep;
    // 2. The source index itself, when nothing is filtered.
    const bool exact = options.platforms.empty();
    store::Manifest source_index = *state->stored;
    if (source_index.media_type.empty()) source_index.media_type = std::string(oci::kImageIndex);
    if (exact && !copy_source_index(c, *entries, source_index, rep)) return finish_status(rep, false), rep;
    std::vector<Digest> subjects;
    if (exact) subjects.push_back(source_index.digest);
    for (const auto& p : rep.platforms) subjects.push_back(p.manifest.digest);
    if (!copy_all_referrers(c, subjects, rep)) return finish_status(rep, false), rep;
    const auto recorded = copy_tags(c, dst_tag, dst_package, copied, *index, exact ? &source_index : nullptr, rep);
    if (!recorded) return finish_status(rep, false), rep;
    if (!recorded->failed) write_copy_canonical_tags(c, rep);
    finish_status(rep, recorded->primary_written && !options.dry_run);
    return rep;
}

}  // namespace ocx::publish
