#pragma once
// Checking a prebuilt archive before it is published (docs/cli.md: bad archives stop the run
// before any write). One read of the file both hashes it and walks it with libarchive:
//  * the compression must be what the extension says (a gzip stream named .tar.xz is refused),
//    the stream must decompress to its end, and the content must be a tar archive;
//  * every member must pass the member rules (bundle/member_rules.hpp) that `install`
//    (bundle/extract.hpp) and `create` (bundle/scan.cpp) apply too, so what push publishes is
//    exactly what install accepts;
//  * the members must stay within the unpack limits (bundle/limits.hpp) install applies.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/bundle.hpp"
#include "bundle/limits.hpp"
#include "bundle/member_rules.hpp"
#include "digest/digest.hpp"
#include "util/result.hpp"

namespace ocx::bundle {

struct ArchiveCheck {
    Digest digest;                   // SHA-256 of the whole file
    std::uint64_t size = 0;          // file size in bytes
    std::uint64_t entries = 0;       // tar members
    std::uint64_t unpacked = 0;      // bytes of regular file content, as the headers declare
    bool from_record = false;        // check_archive_remembered: not walked, a record vouched for these bytes
    std::uint64_t blocks_ahead = 0;  // xz blocks a second thread decoded (bundle/xz_decoder.hpp): for -v
};

/// A member as check_archive walks it, for a caller that looks at the listing too (the package
/// gate looks for declared binaries), so an archive is never walked twice.
struct ListedMember {
    std::string name;  // as stored, without a leading "./" or a trailing '/'
    EntryType type = EntryType::file;
    bool hardlink = false;   // a hardlink to `link` (type file)
    std::uint32_t mode = 0;  // permission bits
    std::string link;        // symlink target as stored, or the hardlink's target
};
using MemberVisitor = std::function<void(const ListedMember&)>;

/// The archives of one push, which install extracts into one tree in this order: checked with a
/// LayerSet, the member rules and the unpack limits run over all of them, as extract() runs them
/// (the same path in two layers, a link chain through another layer, the limits over the sum).
struct LayerSet {
    std::uint64_t compressed = 0;  // every archive's size, for the default byte limit
    Placement placement;           // where the archive checked next installs: set before each check_archive
    MemberTree tree;
    std::uint64_t entries = 0;
    std::uint64_t unpacked = 0;
};

/// Hashes and validates `path` whose layer media type is `media_type` (oci/media_types.hpp).
/// Problems are ErrorKind::data naming the file and, where there is one, the member. With `set`,
/// the members join the set's (see LayerSet) and the last check of links through all of them is
/// left to finish_layers. `visit`, when given, sees every member that passed, in archive order.
/// `files`, when given, receives every regular file (hardlinks included) with the SHA-256 of its
/// content, hashed from the data the check reads anyway (the SBOM of a prebuilt archive).
Result<ArchiveCheck> check_archive(const std::filesystem::path& path, std::string_view media_type,
                                   const UnpackLimits& limits = {}, LayerSet* set = nullptr, const MemberVisitor& visit = {},
                                   std::vector<FileHash>* files = nullptr);

/// check_archive of `path` (hashed before: `size` bytes), for a caller that runs it on a thread of
/// its own beside the upload of the same file (docs/cli.md "Archives checked while they upload"):
/// it reads the file itself, so a slow upload never holds it. Once `cancelled` is set (the upload
/// failed: nobody waits for the check) it stops at its next read, with an error. ErrorKind::io
/// when the file is no longer `size` bytes.
Result<ArchiveCheck> check_archive_beside(const std::filesystem::path& path, std::uint64_t size, std::string_view media_type,
                                          const UnpackLimits& limits, const std::atomic<bool>& cancelled);

/// A tree a release bundles itself, as one layer of `set`: its members (bundle::scan's entries,
/// what create writes) placed by `set.placement` and counted against `limits` over the whole set,
/// as check_archive counts an archive's. `set.compressed` must already hold every layer's size.
/// Problems are ErrorKind::data naming `what` and the member.
Status admit_tree(const std::vector<Entry>& entries, const UnpackLimits& limits, LayerSet& set, const std::string& what);

/// After the last archive of `set`: every symlink resolved through all the layers stays inside.
/// ErrorKind::data naming the link.
Status finish_layers(const LayerSet& set);

// Checked before: walking an archive costs its decompression (seconds for tens of MB of xz), and
// the same bytes are often pushed again (a re-run, `create` then `push` in one job). A record
// <records>/<sha256 hex>.<xz|gzip|zstd> ("rules-2 <members> <size> <unpacked bytes>") says that exactly those bytes
// passed check_archive as that compression on this machine, under these rules, or were written by
// `create` from a tree it had checked. The records live in util cache_dir("checked"); they name a
// digest, so they cannot vouch for other bytes.

/// Where the records are kept: util cache_dir("checked"); an error when no cache directory is known.
Result<std::filesystem::path> check_records_dir();

/// Records that `check` (bytes of `media_type`) passed. Failures to write are ignored: a missing
/// record only costs a walk.
void remember_checked(const std::filesystem::path& records, std::string_view media_type, const ArchiveCheck& check);

/// Records a bundle create() just wrote (a .tar.xz of a tree scan() accepted) in
/// check_records_dir(), when there is one, so a later push of those bytes need not walk them.
void remember_bundle(const BundleResult& bundle);

/// The first half of check_archive_remembered: hashes `path` (one fast read) and looks for a record
/// that these bytes passed within `limits`. Without one, `from_record` is false and only `digest`
/// and `size` are set: the caller still owes the walk (check_archive or check_archive_beside), and
/// remember_checked() after it passes.
Result<ArchiveCheck> look_up_check(const std::filesystem::path& path, std::string_view media_type,
                                   const std::optional<std::filesystem::path>& records, const UnpackLimits& limits = {});

/// check_archive, with the walk skipped when `records` says these bytes passed before within
/// `limits`: the file is hashed first (one fast read), and walked only when there is no such
/// record; a pass is recorded.
Result<ArchiveCheck> check_archive_remembered(const std::filesystem::path& path, std::string_view media_type,
                                              const std::filesystem::path& records, const UnpackLimits& limits = {});

}  // namespace ocx::bundle
