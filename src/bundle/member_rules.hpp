#pragma once
// What a package member may be (docs/wire-format.md §6), decided in one place for the three paths that
// meet package content: `create` (bundle/scan.cpp, a tree on disk), `push` (bundle/check.cpp, an
// archive before it is published) and `install`/`exec` (bundle/extract.cpp). Each feeds its
// members here in archive order, so an archive `push` publishes is exactly one `install` accepts.
//
// A member alone (member_problem): a relative name without a `..` component, valid UTF-8 (pax
// names are UTF-8, and macOS or Windows cannot create other names); a directory, regular file,
// symlink or hardlink — never a device, FIFO or socket; no setuid/setgid bit; a symlink target
// that is not empty, not absolute and valid UTF-8.
// A member among those before it (MemberTree::admit): not under a path that is a symlink or a
// file (so no write ever goes through a link), not the same path as an earlier member unless
// both are directories, a hardlink only to a regular file admitted before it, and a symlink whose
// target stays inside the package when resolved from the link's directory, following the
// symlinks admitted so far (`d/l -> .` then `esc -> d/l/../..` is refused), at most 40 symlinks
// in all as the kernel follows (a longer chain fails with ELOOP and is refused as a loop). Once all are in
// (MemberTree::finish), every symlink is resolved again through all the others: a later link can turn an earlier chain into
// an escape or a loop.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ocx::bundle {

enum class MemberType { directory, file, symlink, hardlink, char_device, block_device, fifo, socket, unknown };

/// One member as an archive header (or a tree walk) describes it.
struct Member {
    std::string_view name;  // as stored
    MemberType type = MemberType::file;
    std::string_view link;   // symlink target or hardlink target, as stored
    std::uint32_t mode = 0;  // permission bits, 07777
};

using PathParts = std::vector<std::string>;

/// A stored name as package-relative components: empty and `.` components dropped ("./a//b" is
/// {a, b}, "./" is {}). ErrorKind::data with the reason for an empty or absolute name or a `..`.
Result<PathParts> member_path(std::string_view name);

/// "a/b" from {a, b}.
std::string join_path(const PathParts& parts);

/// `parts` without their first `count` components (a layer's or the metadata's
/// strip_components); nullopt when nothing is left: install skips such a member.
std::optional<PathParts> strip_leading(const PathParts& parts, std::uint64_t count);

/// Where one layer's members go (sh.ocx.layer.strip-components / sh.ocx.layer.prefix).
struct Placement {
    unsigned strip_components = 0;
    std::string prefix;  // relative, '/'-separated; "" for the package root
};

/// A member's components placed as install places them: `strip_components` dropped, then
/// `prefix` (the placement's prefix, split by member_path) put in front; nullopt when nothing
/// is left after stripping (install skips such a member).
std::optional<PathParts> place(const PathParts& parts, unsigned strip_components, const PathParts& prefix);

/// `items` (anything with a `name` holding a stored member name: listed files, scanned entries)
/// renamed as install places them under a layer's `strip_components` and `prefix`; items that
/// strip removes entirely are dropped. Names are kept as they are when there is nothing to place.
template <typename Item>
std::vector<Item> placed_names(std::vector<Item> items, unsigned strip_components, const std::optional<std::string>& prefix);

/// The checks on a member alone (see the file comment): the reason it is refused, or "".
std::string member_problem(const Member& member);

/// The members admitted so far, by path.
class MemberTree {
public:
    /// Admits a member that passed member_problem at `path` (its components after any placement;
    /// not empty), given the members before it. `hardlink_to` is a hardlink's target, placed the
    /// same way. The reason it is refused (nothing is recorded then), or "".
    std::string admit(const PathParts& path, MemberType type, std::string_view symlink_target,
                      const std::optional<PathParts>& hardlink_to = std::nullopt);

    /// After the last member: the first symlink that leaves the package or loops when resolved
    /// through all the others, as {path, reason}; nullopt when there is none.
    struct Problem {
        std::string path;
        std::string reason;
    };
    std::optional<Problem> finish() const;

    /// The type a path was admitted as (a hardlink counts as a file; a parent created on the way
    /// as a directory); nullopt when it was not.
    std::optional<MemberType> type_of(const PathParts& path) const;

private:
    struct Node {
        MemberType type = MemberType::directory;
        std::string target;  // symlinks: as stored
    };
    enum class Resolution { inside, escapes, loops };
    Resolution resolve(PathParts dir, std::string_view target) const;

    std::map<std::string, Node> nodes_;
};

template <typename Item>
std::vector<Item> placed_names(std::vector<Item> items, unsigned strip_components,
                               const std::optional<std::string>& prefix) {
    if (strip_components == 0 && !prefix) return items;
    PathParts prefix_parts;
    if (prefix)
        if (auto parts = member_path(*prefix)) prefix_parts = std::move(*parts);  // the caller checked it
    std::vector<Item> out;
    out.reserve(items.size());
    for (auto& item : items) {
        auto parts = member_path(item.name);
        if (!parts) continue;  // the check refuses such a member
        auto at = place(*parts, strip_components, prefix_parts);
        if (!at || at->empty()) continue;  // stripped away: not installed
        item.name = join_path(*at);
        out.push_back(std::move(item));
    }
    return out;
}

}  // namespace ocx::bundle
