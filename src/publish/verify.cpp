// verify_report as stated in verify.hpp. The superseded rule reads the repository's tag list and
// the indexes of the newer versions only when a rolling tag or an alias no longer matches.
#include "publish/verify.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "oci/descriptor.hpp"
#include "plan/cascade.hpp"
#include "plan/version.hpp"
#include "publish/tags.hpp"

namespace ocx::publish {

namespace {
void problem(VerifyResult& out, std::string tag, std::string platform, std::string expected, std::string found,
             std::string message) {
    out.problems.push_back({std::move(tag), std::move(platform), std::move(expected), std::move(found), std::move(message)});
}

struct Fetched {
    std::optional<std::string> bytes;  // nullopt: a problem was recorded
    std::optional<Digest> actual;      // what the reference holds (nullopt: missing)
};

// GET by tag or digest; compares the stored bytes' digest with `digest` and their size with `size`
// (if non-zero). A digest mismatch is returned, not recorded, when `record_mismatch` is false.
Result<Fetched> fetch_checked(store::Target& target, const std::string& ref, const Digest& digest, std::uint64_t size,
                              VerifyResult& out, const std::string& what, const std::string& tag,
                              const std::string& platform, bool record_mismatch = true) {
    auto m = target.get_manifest(ref);
    if (!m) return std::move(m).error();
    ++out.checks;
    Fetched f;
    if (!*m) {
        problem(out, tag, platform, digest.str(), "missing", what + ": " + ref + " is missing");
        return f;
    }
    f.actual = Digest::of((*m)->bytes);
    if (*f.actual != digest) {
        if (record_mismatch)
            problem(out, tag, platform, digest.str(), f.actual->str(),
                    what + ": " + ref + " is " + f.actual->str() + ", report says " + digest.str());
        if (!record_mismatch) f.bytes = std::move((*m)->bytes);
        return f;
    }
    if (size != 0 && (*m)->bytes.size() != size)
        problem(out, tag, platform, std::to_string(size) + " bytes", std::to_string((*m)->bytes.size()) + " bytes",
                what + ": " + ref + " is " + std::to_string((*m)->bytes.size()) + " bytes, report says " +
                    std::to_string(size));
    f.bytes = std::move((*m)->bytes);
    return f;
}

// The newer versions of the report's track that could have moved `tag` on, with the entries
// each holds (platform string -> manifest digest). Read once per verify run.
class NewerVersions {
public:
    NewerVersions(store::Target& target, const std::string& released)
        : target_(target), released_(plan::parse_version(released)) {}

    /// The newer versions (of the same track, above the released one) that may own `tag`:
    /// for a rolling tag those whose cascade moves it; for an alias, any.
    Result<std::vector<std::pair<std::string, std::map<std::string, Digest>>>> owners(const std::string& tag,
                                                                                      report::TagKind kind) {
        std::vector<std::pair<std::string, std::map<std::string, Digest>>> out;
        if (!released_) return out;  // not a version: nothing is newer
        if (auto s = load(); !s) return std::move(s).error();
        for (const auto& [version, name] : newer_) {
            if (kind == report::TagKind::cascade) {
                const auto targets = plan::cascade_targets(version);
                if (std::find(targets.begin(), targets.end(), tag) == targets.end()) continue;
            }
            auto entries = entries_of(name);
            if (!entries) return std::move(entries).error();
            out.emplace_back(name, *entries);
        }
        return out;
    }

private:
    Status load() {
        if (loaded_) return {};
        auto listed = target_.list_tags();
        if (!listed) return std::move(listed).error();
        loaded_ = true;
        if (!*listed) return {};
        for (const auto& t : **listed) {
            auto v = plan::parse_version(t);
            if (v && plan::same_track(*v, *released_) && *v > *released_ && v->patch) newer_.emplace_back(*v, t);
        }
        return {};
    }

    Result<std::map<std::string, Digest>> entries_of(const std::string& tag) {
        if (auto it = cache_.find(tag); it != cache_.end()) return it->second;
        auto state = read_tag(target_, tag);
        if (!state) return std::move(state).error();
        std::map<std::string, Digest> entries;
        if (const auto* idx = std::get_if<oci::ImageIndex>(&state->content))
            for (const auto& e : idx->manifests)
                if (e.platform) entries[e.platform->str()] = e.digest;
        cache_[tag] = entries;
        return entries;
    }

    store::Target& target_;
    std::optional<plan::Version> released_;
    bool loaded_ = false;
    std::vector<std::pair<plan::Version, std::string>> newer_;
    std::map<std::string, std::map<std::string, Digest>> cache_;
};

// Whether `bytes` (what a rolling tag or alias holds now) is this release's or newer versions'
// entries only, with at least one newer; the newer versions used when it is.
Result<std::optional<std::vector<std::string>>> superseded_by(NewerVersions& newer, const report::TagResult& t,
                                                              const std::string& bytes, const report::Report& rep) {
    auto idx = oci::ImageIndex::parse(bytes);
    if (!idx) return std::optional<std::vector<std::string>>{};
    auto owners = newer.owners(t.tag, t.kind);
    if (!owners) return std::move(owners).error();
    std::vector<std::string> by;
    for (const auto& e : idx->manifests) {
        if (!e.platform) continue;  // attestations and the like are kept by every merge
        const std::string platform = e.platform->str();
        const bool ours = std::any_of(rep.platforms.begin(), rep.platforms.end(), [&](const report::PlatformResult& p) {
            return p.platform == platform && p.manifest.digest == e.digest;
        });
        if (ours) continue;
        auto owner = std::find_if(owners->begin(), owners->end(), [&](const auto& o) {
            auto it = o.second.find(platform);
            return it != o.second.end() && it->second == e.digest;
        });
        if (owner == owners->end()) return std::optional<std::vector<std::string>>{};
        if (std::find(by.begin(), by.end(), owner->first) == by.end()) by.push_back(owner->first);
    }
    if (by.empty()) return std::optional<std::vector<std::string>>{};
    return std::optional<std::vector<std::string>>{by};
}
}  // namespace

namespace {
// One reported platform: its manifest (digest, size, config, layers), every blob it names, and
// its canonical tag when the report has one.
Status verify_platform(store::Target& target, const report::PlatformResult& p, VerifyResult& out) {
    const std::string what = "platform " + p.platform;
    auto fetched = fetch_checked(target, p.manifest.digest.str(), p.manifest.digest, p.manifest.size, out,
                                 what + " manifest", "", p.platform);
    if (!fetched) return std::move(fetched).error();
    if (!fetched->bytes) return {};
    auto manifest = oci::ImageManifest::parse(*fetched->bytes);
    if (!manifest) {
        problem(out, "", p.platform, "", "", what + ": manifest does not parse: " + manifest.error().message);
        return {};
    }
    ++out.checks;
    if (manifest->config.digest != p.config.digest)
        problem(out, "", p.platform, p.config.digest.str(), manifest->config.digest.str(),
                what + ": config is " + manifest->config.digest.str() + ", report says " + p.config.digest.str());
    std::vector<Digest> blobs{manifest->config.digest};
    for (std::size_t i = 0; i < manifest->layers.size(); ++i) {
        blobs.push_back(manifest->layers[i].digest);
        if (i < p.archives.size()) {
            ++out.checks;
            if (manifest->layers[i].digest != p.archives[i].digest || manifest->layers[i].size != p.archives[i].size)
                problem(out, "", p.platform, p.archives[i].digest.str(), manifest->layers[i].digest.str(),
                        what + ": layer " + std::to_string(i) + " is " + manifest->layers[i].digest.str() +
                            ", report says " + p.archives[i].digest.str());
        }
    }
    for (const auto& d : blobs) {
        auto present = target.blob_exists(d);
        if (!present) return std::move(present).error();
        ++out.checks;
        if (!*present) problem(out, "", p.platform, d.str(), "missing", what + ": blob " + d.str() + " is missing");
    }
    if (!p.canonical_tag.empty()) {
        auto c = fetch_checked(target, p.canonical_tag, p.manifest.digest, 0, out, what + " canonical tag", p.canonical_tag,
                               p.platform);
        if (!c) return std::move(c).error();
    }
    return {};
}

// The primary tag's index must hold every reported platform's manifest.
void verify_primary_index(const report::TagResult& t, const std::string& bytes, const report::Report& rep,
                          VerifyResult& out) {
    auto idx = oci::ImageIndex::parse(bytes);
    if (!idx) {
        problem(out, t.tag, "", "", "", "tag " + t.tag + ": index does not parse: " + idx.error().message);
        return;
    }
    for (const auto& p : rep.platforms) {
        ++out.checks;
        bool found = std::any_of(idx->manifests.begin(), idx->manifests.end(), [&](const oci::IndexEntry& e) {
            return e.digest == p.manifest.digest && e.platform && e.platform->str() == p.platform;
        });
        if (!found)
            problem(out, t.tag, p.platform, p.manifest.digest.str(), "no entry",
                    "tag " + t.tag + ": index has no " + p.platform + " entry " + p.manifest.digest.str());
    }
}

// One reported tag that should hold its `after` digest: a rolling tag or alias a newer version
// moved on is superseded, not a problem; the primary tag's index is checked entry by entry.
Status verify_tag(store::Target& target, NewerVersions& newer, const report::TagResult& t, const report::Report& rep,
                  VerifyResult& out) {
    const bool may_age = t.kind == report::TagKind::cascade || t.kind == report::TagKind::alias;
    auto fetched = fetch_checked(target, t.tag, *t.after, 0, out, "tag " + t.tag, t.tag, "", !may_age);
    if (!fetched) return std::move(fetched).error();
    if (!fetched->bytes) return {};
    if (may_age && fetched->actual && *fetched->actual != *t.after) {
        auto by = superseded_by(newer, t, *fetched->bytes, rep);
        if (!by) return std::move(by).error();
        if (*by) {
            out.superseded.push_back({t.tag, t.after->str(), fetched->actual->str(), **by});
        } else {
            problem(out, t.tag, "", t.after->str(), fetched->actual->str(),
                    "tag " + t.tag + ": " + t.tag + " is " + fetched->actual->str() + ", report says " + t.after->str() +
                        " (and no newer version moved it there)");
        }
        return {};
    }
    if (t.kind != report::TagKind::primary) return {};
    verify_primary_index(t, *fetched->bytes, rep, out);
    return {};
}
}  // namespace

Result<VerifyResult> verify_report(store::Target& target, const report::Report& rep, VerifyTags tags) {
    VerifyResult out;
    for (const auto& p : rep.platforms)
        if (Status s = verify_platform(target, p, out); !s) return std::move(s).error();
    NewerVersions newer(target, rep.tag);
    for (const auto& t : rep.tags) {
        if (tags == VerifyTags::primary && t.kind != report::TagKind::primary) continue;
        bool should_hold = t.action == report::TagAction::created || t.action == report::TagAction::moved ||
                           t.action == report::TagAction::unchanged || (t.action == report::TagAction::blocked && t.after);
        if (!should_hold || !t.after) continue;
        if (Status s = verify_tag(target, newer, t, rep, out); !s) return std::move(s).error();
    }
    if (rep.index) {
        auto fetched =
            fetch_checked(target, rep.index->digest.str(), rep.index->digest, rep.index->size, out, "index", "", "");
        if (!fetched) return std::move(fetched).error();
    }
    return out;
}

}  // namespace ocx::publish
