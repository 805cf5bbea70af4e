#include "publish/verify.hpp"

#include <algorithm>

#include "oci/descriptor.hpp"

namespace ocx::publish {

namespace {
// GET by tag or digest; checks that the stored bytes hash to `digest` and have `size` (if non-zero).
Result<std::optional<std::string>> fetch_checked(Target& target, const std::string& ref, const Digest& digest,
                                                 std::uint64_t size, VerifyResult& out, const std::string& what) {
    auto m = target.get_manifest(ref);
    if (!m) return std::move(m).error();
    ++out.checks;
    if (!*m) {
        out.problems.push_back(what + ": " + ref + " is missing");
        return std::optional<std::string>{};
    }
    Digest actual = Digest::of((*m)->bytes);
    if (actual != digest) {
        out.problems.push_back(what + ": " + ref + " is " + actual.str() + ", report says " + digest.str());
        return std::optional<std::string>{};
    }
    if (size != 0 && (*m)->bytes.size() != size)
        out.problems.push_back(what + ": " + ref + " is " + std::to_string((*m)->bytes.size()) + " bytes, report says " +
                               std::to_string(size));
    return std::optional<std::string>{std::move((*m)->bytes)};
}
}  // namespace

Result<VerifyResult> verify_report(Target& target, const report::Report& rep) {
    VerifyResult out;
    for (const auto& p : rep.platforms) {
        const std::string what = "platform " + p.platform;
        auto bytes = fetch_checked(target, p.manifest.digest.str(), p.manifest.digest, p.manifest.size, out, what + " manifest");
        if (!bytes) return std::move(bytes).error();
        if (!*bytes) continue;
        auto manifest = oci::ImageManifest::parse(**bytes);
        if (!manifest) {
            out.problems.push_back(what + ": manifest does not parse: " + manifest.error().message);
            continue;
        }
        ++out.checks;
        if (manifest->config.digest != p.config.digest)
            out.problems.push_back(what + ": config is " + manifest->config.digest.str() + ", report says " + p.config.digest.str());
        std::vector<Digest> blobs{manifest->config.digest};
        for (std::size_t i = 0; i < manifest->layers.size(); ++i) {
            blobs.push_back(manifest->layers[i].digest);
            if (i < p.archives.size()) {
                ++out.checks;
                if (manifest->layers[i].digest != p.archives[i].digest || manifest->layers[i].size != p.archives[i].size)
                    out.problems.push_back(what + ": layer " + std::to_string(i) + " is " + manifest->layers[i].digest.str() +
                                           ", report says " + p.archives[i].digest.str());
            }
        }
        for (const auto& d : blobs) {
            auto present = target.blob_exists(d);
            if (!present) return std::move(present).error();
            ++out.checks;
            if (!*present) out.problems.push_back(what + ": blob " + d.str() + " is missing");
        }
        if (!p.canonical_tag.empty()) {
            auto c = fetch_checked(target, p.canonical_tag, p.manifest.digest, 0, out, what + " canonical tag");
            if (!c) return std::move(c).error();
        }
    }
    for (const auto& t : rep.tags) {
        bool should_hold = t.action == report::TagAction::created || t.action == report::TagAction::moved ||
                           t.action == report::TagAction::unchanged || (t.action == report::TagAction::blocked && t.after);
        if (!should_hold || !t.after) continue;
        auto bytes = fetch_checked(target, t.tag, *t.after, 0, out, "tag " + t.tag);
        if (!bytes) return std::move(bytes).error();
        if (!*bytes || t.kind != report::TagKind::primary) continue;
        // The primary tag's index must hold every reported platform's manifest.
        auto idx = oci::ImageIndex::parse(**bytes);
        if (!idx) {
            out.problems.push_back("tag " + t.tag + ": index does not parse: " + idx.error().message);
            continue;
        }
        for (const auto& p : rep.platforms) {
            ++out.checks;
            bool found = std::any_of(idx->manifests.begin(), idx->manifests.end(), [&](const oci::IndexEntry& e) {
                return e.digest == p.manifest.digest && e.platform && e.platform->str() == p.platform;
            });
            if (!found) out.problems.push_back("tag " + t.tag + ": index has no " + p.platform + " entry " + p.manifest.digest.str());
        }
    }
    if (rep.index) {
        auto bytes = fetch_checked(target, rep.index->digest.str(), rep.index->digest, rep.index->size, out, "index");
        if (!bytes) return std::move(bytes).error();
    }
    return out;
}

}  // namespace ocx::publish
