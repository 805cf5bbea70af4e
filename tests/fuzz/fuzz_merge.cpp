// publish::merge_platforms: the input is an index document, a line "---", then one platform
// string per line. Properties (docs/wire-format.md §3): every pushed platform is in the result exactly
// once with its digest; entries of other platforms are kept in order; merging the same entries
// again changes nothing (the re-run rule, step 4).
#include <algorithm>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "digest/digest.hpp"
#include "fuzz_check.hpp"
#include "oci/media_types.hpp"
#include "publish/merge.hpp"

using namespace ocx;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz_text(data, size);
    const auto sep = text.find("\n---\n");
    const auto index_text = text.substr(0, sep);
    publish::TagContent existing;
    if (auto idx = oci::ImageIndex::parse(index_text)) existing = std::move(*idx);
    std::vector<oci::IndexEntry> entries;
    std::set<std::string> seen;
    if (sep != std::string_view::npos) {
        std::string_view rest = text.substr(sep + 5);
        while (!rest.empty() && entries.size() < 16) {
            const auto nl = rest.find('\n');
            const auto line = rest.substr(0, nl);
            rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
            auto p = oci::Platform::parse(line);
            if (!p || !seen.insert(p->str()).second) continue;
            oci::IndexEntry e;
            e.media_type = std::string(oci::kImageManifest);
            e.digest = Digest::of(p->str());
            e.size = 100 + p->str().size();
            e.platform = *p;
            entries.push_back(std::move(e));
        }
    }
    oci::Annotations annotations{{"org.opencontainers.image.source", "https://example.invalid/x"}};
    const auto merged = publish::merge_platforms(existing, entries, annotations);
    const std::string bytes = merged.index.serialize();
    for (const auto& e : entries) {
        int n = 0;
        for (const auto& m : merged.index.manifests)
            if (m.platform == e.platform) {
                ++n;
                FUZZ_CHECK(m.digest == e.digest, bytes);
            }
        FUZZ_CHECK(n == 1, e.platform->str() + " in " + bytes);
    }
    if (const auto* idx = std::get_if<oci::ImageIndex>(&existing)) {
        // Entries of platforms not pushed keep their relative order.
        std::vector<std::string> before, after;
        auto pushed = [&](const oci::IndexEntry& m) {
            for (const auto& e : entries)
                if (m.platform && m.platform == e.platform) return true;
            return false;
        };
        for (const auto& m : idx->manifests)
            if (!pushed(m)) before.push_back(m.digest.str());
        for (const auto& m : merged.index.manifests)
            if (!pushed(m)) after.push_back(m.digest.str());
        FUZZ_CHECK(before == after, bytes);
    }
    const auto again = publish::merge_platforms(publish::TagContent(merged.index), entries, annotations);
    FUZZ_CHECK(!again.changed, bytes + "\n -> " + again.index.serialize());
    FUZZ_CHECK(again.index == merged.index, bytes);
    return 0;
}
