#pragma once
// Deterministic bundles (docs/wire-format.md §6): a file tree becomes a .tar.xz whose bytes depend only on
// the tree's names, contents, symlink targets, executable bits, the chosen mtime, the level and the
// liblzma version — never on file mtimes, owners, umask, directory order or the thread count.
// The archive is written in one pass (walk -> tar -> xz -> file) and hashed as it is written.
// This module is the only includer of archive.h and lzma.h.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "digest/digest.hpp"
#include "util/result.hpp"

namespace ocx::bundle {

/// Compression level; OCX maps fast/default/best to xz presets 0, 3 and 9.
enum class Level { fast, default_, best };

/// The xz preset for a level (0, 3 or 9).
std::uint32_t xz_preset(Level level);
/// "fast", "default" or "best".
std::string_view to_string(Level level);
/// Parses "fast", "default" or "best" (the -l / compression.level spelling); nullopt otherwise.
std::optional<Level> parse_level(std::string_view text);

enum class EntryType { directory, file, symlink };

/// One archive member, as scan() found it and create() writes it.
struct Entry {
    std::string name;            // archive path: relative, '/'-separated, valid UTF-8, no trailing '/'
    std::filesystem::path path;  // where it lives on disk
    EntryType type = EntryType::file;
    std::uint32_t mode = 0644;  // 0755 for directories and files with any execute bit, else 0644
    std::uint64_t size = 0;     // regular files only
    std::string link_target;    // symlinks only, stored as read
};

struct BundleOptions {
    std::filesystem::path source;  // a directory (its contents are archived) or a single file (archived under its own name)
    std::filesystem::path output;  // the final .tar.xz path; missing parent directories are created
    Level level = Level::default_;
    unsigned threads = 0;               // 0 = all cores; never changes the output bytes
    bool overwrite = false;             // replace an existing output
    std::optional<std::int64_t> mtime;  // default: SOURCE_DATE_EPOCH when set (and non-empty), else 0
    /// Called as data flows: file content bytes read so far, compressed bytes written so far.
    std::function<void(std::uint64_t in_bytes, std::uint64_t out_bytes)> progress;
    /// Also hash every regular file as it is read (for the SBOM: docs/wire-format.md §7), so no
    /// file is read twice.
    bool file_digests = false;
};

/// A regular file of a bundle and the SHA-256 of its content.
struct FileHash {
    std::string name;  // archive path
    Digest digest;
};

struct BundleResult {
    std::filesystem::path path;     // == options.output
    Digest digest;                  // SHA-256 of exactly the bytes written
    std::uint64_t size = 0;         // compressed size in bytes
    std::uint64_t entries = 0;      // tar members (directories, files, symlinks)
    std::uint64_t input_bytes = 0;  // sum of regular file sizes
    std::vector<FileHash> files;    // with options.file_digests: every regular file, archive order
};

/// Walks and validates a source tree without writing anything: entries in archive order (directories
/// before their children, names sorted bytewise per directory), or ErrorKind::data naming every
/// offending path relative to the source (escaping symlinks, devices, FIFOs, sockets, unreadable
/// entries, names that are not UTF-8). A missing source is ErrorKind::not_found.
Result<std::vector<Entry>> scan(const std::filesystem::path& source);

/// Scans, then writes the bundle to a temporary file next to the output, fsyncs it and renames it
/// into place; nothing is left behind on failure. Refusals (ErrorKind::data) happen before any write.
Result<BundleResult> create(const BundleOptions& options);

}  // namespace ocx::bundle
