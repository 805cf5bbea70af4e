#pragma once
// What a repository publishes, read through a Target: its version tags with the platform entries
// each index holds, and its rolling tags with theirs (docs/wire-format.md §5). `ls` prints it;
// `cascade check|repair` compares the rolling tags with what the versions imply (rolling.hpp).
//
// A *version* is a tag that parses as a version with a PATCH (`1.2.3`, `1.2.4-rc1`, `1.2.3_b7`,
// `slim-2.0.0`): a concrete release, never rewritten by anything here. A *rolling tag* is a tag
// some version's cascade moves (`plan::cascade_targets`) that is not itself a version: `X.Y`,
// `X`, `latest`, a variant's track tag. Tags OCX reserves (`sha256.<hex>`, `sha256-<hex>`,
// `__ocx.*`) are neither; every other tag (`nightly`) is listed as `other`.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oci/descriptor.hpp"
#include "plan/version.hpp"
#include "store/target.hpp"

namespace ocx::publish {

/// One tag's index, as read: its digest (nullopt when the tag is absent) and its platform entries
/// by canonical platform string. Entries without a platform are left out.
struct TagEntries {
    std::string tag;
    std::optional<Digest> digest;
    std::map<std::string, oci::IndexEntry> platforms;
};

struct PublishedVersion {
    plan::Version version;
    TagEntries index;
};

struct Inventory {
    std::vector<PublishedVersion> versions;  // newest first: tracks by name ("" first), each descending
    std::vector<TagEntries> rolling;         // the rolling tags present, in rolling_before order
    std::vector<std::string> other;          // other tags, sorted
};

/// Whether `tag` is a version in the sense above (parses, with a PATCH).
bool is_version_tag(std::string_view tag);

/// Every rolling tag the versions `tags` name can move (their cascade targets that are not
/// themselves versions), sorted.
std::vector<std::string> rolling_tags_of(const std::vector<std::string>& tags);

/// The order rolling tags are listed and written in: per track (the default one first, then the
/// variants by name), most specific first (`1.2` before `1`), the track tag last.
bool rolling_before(const std::string& a, const std::string& b);

/// Reads the tag list and the index of every version and rolling tag. A missing repository is
/// ErrorKind::not_found naming it; an index that does not parse is ErrorKind::data naming the tag.
/// A plain manifest at a tag counts as an index without platform entries.
Result<Inventory> read_inventory(store::Target& target);

}  // namespace ocx::publish
