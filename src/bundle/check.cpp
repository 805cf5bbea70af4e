#include "bundle/check.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <lzma.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bundle/archive_member.hpp"
#include "bundle/names.hpp"
#include "bundle/xz_decoder.hpp"
#include "oci/media_types.hpp"
#include "util/files.hpp"

namespace ocx::bundle {

namespace fs = std::filesystem;

namespace {
// The archive check's memory budget (docs/performance.md "Memory"): a push that walks an archive
// stays within 64 MiB of peak RSS. The rest of the process (code, libraries, the upload's
// buffers, this reader's and the decoder's 1 MiB buffers) takes about 20 MiB, measured; the two
// xz decoders may hold 36 MiB together (bundle/xz_decoder.hpp): the dictionary of the block this
// thread decodes, and the block the helper decodes ahead, compressed and decompressed, with its
// dictionary. `create`'s default level (16 MiB blocks, 4 MiB dictionary) fits; xz -6 (24 MiB
// blocks, 8 MiB dictionary) does not, and decodes on this thread alone.
constexpr std::uint64_t kHelperBudget = 36ull << 20;

// The archive's bytes are read from the file only here (positional reads, so the xz decoder's
// helper can read ahead), and every byte libarchive sees is hashed once, in order. An .xz file is
// decompressed by XzDecoder (libarchive's own xz filter uses one core), and libarchive reads the
// plain tar.
struct Reader {
    int fd = -1;
    const std::atomic<bool>* cancelled = nullptr;  // set: every read fails (the caller gave up)
    Sha256 hash;
    std::uint64_t size = 0;  // bytes hashed: the next offset of a plain read
    std::vector<char> buf = std::vector<char>(1 << 20);
    bool io_error = false;
    std::unique_ptr<XzDecoder> xz;
    std::string xz_error;  // why decoding failed

    std::ptrdiff_t read_at(std::uint64_t offset, char* out, std::size_t n) const {
        std::size_t done = 0;
        while (done < n) {
            if (cancelled != nullptr && cancelled->load(std::memory_order_relaxed)) return -1;
            const ssize_t got = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return -1;
            if (got == 0) break;
            done += static_cast<std::size_t>(got);
        }
        return static_cast<std::ptrdiff_t>(done);
    }

    // Whether the file starts with the xz magic bytes (read, not hashed: the walk reads them again).
    // False on a read error too (io_error).
    bool starts_xz() {
        static constexpr unsigned char magic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
        char head[sizeof magic];
        const std::ptrdiff_t n = read_at(0, head, sizeof head);
        if (n < 0) io_error = true;
        return n == static_cast<std::ptrdiff_t>(sizeof magic) && std::memcmp(head, magic, sizeof magic) == 0;
    }

    // A helper thread only where there is a second core to run it.
    void start_xz() {
        const std::uint64_t budget = lzma_cputhreads() >= 2 ? kHelperBudget : 0;
        xz = std::make_unique<XzDecoder>([this](std::uint64_t offset, char* out,
                                                std::size_t n) { return read_at(offset, out, n); },
                                         [this](const char* data, std::size_t n) {
                                             hash.update(data, n);
                                             size += n;
                                         },
                                         budget);
    }

    // The next chunk of the file, hashed; 0 at the end, -1 on a read error.
    la_ssize_t read_file() {
        const std::ptrdiff_t n = read_at(size, buf.data(), buf.size());
        if (n < 0) {
            io_error = true;
            return -1;
        }
        hash.update(buf.data(), static_cast<std::size_t>(n));
        size += static_cast<std::uint64_t>(n);
        return n;
    }

    la_ssize_t next(const void** out) {
        if (!xz) {
            la_ssize_t n = read_file();
            *out = buf.data();
            return n;
        }
        const char* plain = nullptr;
        const std::ptrdiff_t n = xz->next(&plain);
        if (n < 0) {
            if (xz->read_failed())
                io_error = true;
            else
                xz_error = xz->error();
            return -1;
        }
        *out = plain;
        return n;
    }

    // Reads whatever libarchive did not need (tar's end-of-archive padding; in xz mode the rest of
    // the stream, so its integrity checks run and the whole file is hashed). At most `allowance`
    // bytes of it: what follows the last member counts against the unpack limit as members do, or
    // a few KiB of xz could keep the check decompressing zeros for minutes. Sets `over` past it.
    bool drain(std::uint64_t allowance, bool& over) {
        const void* unused = nullptr;
        la_ssize_t n;
        std::uint64_t drained = 0;
        while ((n = next(&unused)) > 0) {
            drained += static_cast<std::uint64_t>(n);
            if (drained > allowance) {
                over = true;
                return false;
            }
        }
        return n == 0;
    }
};

la_ssize_t read_cb(struct archive*, void* self, const void** out) { return static_cast<Reader*>(self)->next(out); }

struct ArchiveDeleter {
    void operator()(struct archive* a) const { archive_read_free(a); }
};

int expected_filter(std::string_view media_type) {
    if (media_type == oci::kLayerTarXz) return ARCHIVE_FILTER_XZ;
    if (media_type == oci::kLayerTarGzip) return ARCHIVE_FILTER_GZIP;
    return ARCHIVE_FILTER_ZSTD;
}

std::string_view filter_name(int code) {
    switch (code) {
        case ARCHIVE_FILTER_NONE: return "no compression";
        case ARCHIVE_FILTER_XZ: return "xz";
        case ARCHIVE_FILTER_GZIP: return "gzip";
        case ARCHIVE_FILTER_ZSTD: return "zstd";
        case ARCHIVE_FILTER_BZIP2: return "bzip2";
        case ARCHIVE_FILTER_LZMA: return "lzma";
        default: return "another compression";
    }
}

}  // namespace

namespace {

// Counts a member against the unpack limits: this archive's own, or the layer set's together
// (the archive's own count then only says what it holds).
Status count_entry(const UnpackLimits& limits, std::uint64_t compressed, std::uint64_t declared, LayerSet* set,
                   ArchiveCheck& out) {
    if (set == nullptr) return count_member(limits, compressed, declared, out.entries, out.unpacked);
    if (Status s = count_member(limits, set->compressed, declared, set->entries, set->unpacked); !s) return s;
    ++out.entries;
    out.unpacked += declared;
    return {};
}

// What a MemberVisitor is shown of an admitted member.
ListedMember listed_member(const PathParts& parts, const ArchiveMember& member) {
    ListedMember listed;
    listed.name = join_path(parts);
    listed.mode = member.mode;
    listed.link = member.link;
    listed.hardlink = member.type == MemberType::hardlink;
    listed.type = member.type == MemberType::directory ? EntryType::directory
                  : member.type == MemberType::symlink ? EntryType::symlink
                                                       : EntryType::file;
    return listed;
}

// Reads the current member's data to its end; the last archive_read_data_block code (ARCHIVE_EOF
// when all is well). Reading the data (not skipping) makes the decompressor verify the whole
// stream. With `content`, the data is hashed into it, `hashed` counting the bytes.
int read_member_data(struct archive* a, Sha256* content, std::uint64_t& hashed) {
    const void* block = nullptr;
    std::size_t len = 0;
    la_int64_t offset = 0;
    int d;
    while ((d = archive_read_data_block(a, &block, &len, &offset)) == ARCHIVE_OK) {
        if (content == nullptr) continue;
        // A sparse member's holes read as zeros, as extract() writes them.
        static const char zeros[4096] = {};
        for (auto at = static_cast<std::uint64_t>(offset); hashed < at;) {
            const std::uint64_t n = std::min<std::uint64_t>(sizeof zeros, at - hashed);
            content->update(zeros, static_cast<std::size_t>(n));
            hashed += n;
        }
        content->update(block, len);
        hashed += len;
    }
    return d;
}

// A member shorter than its declared size (a sparse tail) hashes as zeros up to that size.
void hash_tail(Sha256& content, std::uint64_t hashed, std::uint64_t declared) {
    static const char tail[4096] = {};
    for (; hashed < declared; hashed += std::min<std::uint64_t>(sizeof tail, declared - hashed))
        content.update(tail, static_cast<std::size_t>(std::min<std::uint64_t>(sizeof tail, declared - hashed)));
}

// A hard link's content is its target's: listed with the digest the target was listed with.
void add_hardlink_hash(const PathParts& parts, const ArchiveMember& member, std::vector<FileHash>& files) {
    const std::string target = join_path(*member_path(member.link));
    for (const auto& f : files)
        if (f.name == target) {
            files.push_back({join_path(parts), f.digest});
            break;
        }
}

// Admits a member (its components `parts`, not empty) to `tree`, placed by `set`'s placement
// (`prefix` split) when the archive is one of a set, as install places it: a member stripped away
// is not installed and adds nothing. The reason it is refused, or "".
std::string admit_member(MemberTree& tree, const PathParts& parts, const ArchiveMember& member, const LayerSet* set,
                         const PathParts& prefix) {
    const unsigned strip = set != nullptr ? set->placement.strip_components : 0;
    auto at = place(parts, strip, prefix);
    if (!at || at->empty()) return {};
    std::optional<PathParts> hardlink_to;
    if (member.type == MemberType::hardlink) {
        hardlink_to = place(*member_path(member.link), strip, prefix);
        if (!hardlink_to || hardlink_to->empty())
            return "hardlink to " + quote_name(member.link) + ", which is not a regular file extracted before it";
    }
    return tree.admit(*at, member.type, member.link, hardlink_to);
}

// The components of the prefix the archive checked next in `set` is placed under (none without a set).
Result<PathParts> placement_prefix(const LayerSet* set) {
    if (set == nullptr || set->placement.prefix.empty()) return PathParts{};
    auto parts = member_path(set->placement.prefix);
    if (!parts)
        return make_error(ErrorKind::data, "prefix " + quote_name(set->placement.prefix) + ": " + parts.error().message);
    return parts;
}

// Why the data after the last member is refused: with the members it unpacks past `limit`.
std::string past_the_limit_after_the_members(std::uint64_t limit) {
    return "the data after the last member unpacks past " + size_text(limit) +
           " with the members, the unpack limit (raise it with --max-unpacked-size or OCX_RELEASE_MAX_UNPACKED)";
}

// The walk itself, over what `reader` reads: `file` names the archive in messages,
// `compressed` is its size (for the default unpack limit).
Result<ArchiveCheck> walk(Reader& reader, const std::string& file, std::uint64_t compressed, std::string_view media_type,
                          const UnpackLimits& limits, LayerSet* set, const MemberVisitor& visit,
                          std::vector<FileHash>* files) {
    auto bad = [&](const std::string& why) { return make_error(ErrorKind::data, file + ": " + why); };
    Utf8Locale locale;  // names convert as extract() converts them

    const int want = expected_filter(media_type);
    if (want == ARCHIVE_FILTER_XZ && reader.starts_xz()) reader.start_xz();
    if (reader.io_error) return make_error(ErrorKind::io, file + ": read error");
    // What went wrong, preferring the decoder's own words to libarchive's.
    auto damaged = [&](const std::string& where, struct archive* a) {
        if (reader.io_error) return make_error(ErrorKind::io, file + ": read error");
        if (!reader.xz_error.empty()) return bad(reader.xz_error);
        return bad(where + " (" + (archive_error_string(a) ? archive_error_string(a) : "unknown error") + ")");
    };

    std::unique_ptr<struct archive, ArchiveDeleter> a(archive_read_new());
    if (!reader.xz) archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    if (archive_read_open(a.get(), &reader, nullptr, read_cb, nullptr) != ARCHIVE_OK)
        return damaged("damaged or not a tar archive", a.get());

    ArchiveCheck out;
    MemberTree own_tree;
    MemberTree& tree = set != nullptr ? set->tree : own_tree;
    auto prefix = placement_prefix(set);
    if (!prefix) return bad(prefix.error().message);
    bool first = true;
    for (;;) {
        struct archive_entry* entry = nullptr;
        int r = archive_read_next_header(a.get(), &entry);
        if (first) {
            // The filter chain is known once the first header has been read.
            int got = reader.xz ? ARCHIVE_FILTER_XZ : archive_filter_code(a.get(), 0);
            if (got != want)
                return bad("the extension says " + std::string(filter_name(want)) + " but the data is " +
                           std::string(filter_name(got)));
            first = false;
        }
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return damaged("damaged or not a tar archive", a.get());
        const ArchiveMember member(entry);
        auto refuse = [&](const std::string& why) { return bad(quote_name(member.name) + ": " + why); };
        const auto declared = archive_entry_size_is_set(entry) != 0 && archive_entry_size(entry) > 0
                                  ? static_cast<std::uint64_t>(archive_entry_size(entry))
                                  : 0;
        if (Status s = count_entry(limits, compressed, declared, set, out); !s) return refuse(s.error().message);
        if (auto why = member_problem(member.view()); !why.empty()) return refuse(why);
        auto parts = member_path(member.name);
        if (!parts->empty()) {  // "./", the package root itself, adds nothing
            if (auto why = admit_member(tree, *parts, member, set, *prefix); !why.empty()) return refuse(why);
            if (visit) visit(listed_member(*parts, member));
        }
        // Reading the data (not skipping) makes the decompressor verify the whole stream.
        const bool hashing = files != nullptr && member.type == MemberType::file && !parts->empty();
        Sha256 content;
        std::uint64_t hashed = 0;
        if (read_member_data(a.get(), hashing ? &content : nullptr, hashed) != ARCHIVE_EOF)
            return damaged("damaged archive at " + quote_name(member.name), a.get());
        if (hashing) {
            hash_tail(content, hashed, declared);
            files->push_back({join_path(*parts), content.finish()});
        } else if (files != nullptr && member.type == MemberType::hardlink && !parts->empty()) {
            add_hardlink_hash(*parts, member, *files);
        }
    }
    if (out.entries == 0) return bad("an empty archive");
    if (set == nullptr) {
        if (auto problem = tree.finish()) return bad(quote_name(problem->path) + ": " + problem->reason);
    }
    const std::uint64_t limit = max_unpacked_bytes(limits, set != nullptr ? set->compressed : compressed);
    bool over = false;
    if (!reader.drain(limit - std::min(limit, set != nullptr ? set->unpacked : out.unpacked), over))
        return over ? bad(past_the_limit_after_the_members(limit))
                    : damaged("damaged archive after its last member", a.get());
    out.digest = reader.hash.finish();
    out.size = reader.size;
    out.blocks_ahead = reader.xz ? reader.xz->helped_blocks() : 0;
    return out;
}

}  // namespace

namespace {
// Opens `path` for the walk: a regular file, its size in `size`.
Result<UniqueFd> open_archive(const fs::path& path, std::uint64_t& size) {
    const std::string file = path.string();
    UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0)
        return make_error(errno == ENOENT ? ErrorKind::not_found : ErrorKind::io, file + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(in.get(), &st) != 0) return make_error(ErrorKind::io, file + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return make_error(ErrorKind::data, file + ": not a regular file");
    size = static_cast<std::uint64_t>(st.st_size);
    return in;
}
}  // namespace

Result<ArchiveCheck> check_archive(const fs::path& path, std::string_view media_type, const UnpackLimits& limits,
                                   LayerSet* set, const MemberVisitor& visit, std::vector<FileHash>* files) {
    std::uint64_t size = 0;
    auto in = open_archive(path, size);
    if (!in) return std::move(in).error();
    Reader reader;
    reader.fd = in->get();
    return walk(reader, path.string(), size, media_type, limits, set, visit, files);
}

Result<ArchiveCheck> check_archive_beside(const fs::path& path, std::uint64_t size, std::string_view media_type,
                                          const UnpackLimits& limits, const std::atomic<bool>& cancelled) {
    std::uint64_t now = 0;
    auto in = open_archive(path, now);
    if (!in) return std::move(in).error();
    Reader reader;
    reader.fd = in->get();
    reader.cancelled = &cancelled;
    auto checked = walk(reader, path.string(), size, media_type, limits, nullptr, {}, nullptr);
    if (checked && checked->size != size)
        checked =
            make_error(ErrorKind::io, path.string() + " changed while it was being read: " + std::to_string(checked->size) +
                                          " bytes, expected " + std::to_string(size));
    return checked;
}

Status admit_tree(const std::vector<Entry>& entries, const UnpackLimits& limits, LayerSet& set, const std::string& what) {
    auto prefix = placement_prefix(&set);
    if (!prefix) return make_error(ErrorKind::data, what + ": " + prefix.error().message);
    for (const auto& e : entries) {
        auto refuse = [&](const std::string& why) {
            return make_error(ErrorKind::data, what + ": " + quote_name(e.name) + ": " + why);
        };
        if (Status s = count_member(limits, set.compressed, e.size, set.entries, set.unpacked); !s)
            return refuse(s.error().message);
        auto parts = member_path(e.name);
        if (!parts) return refuse(parts.error().message);
        auto at = place(*parts, set.placement.strip_components, *prefix);
        if (!at || at->empty()) continue;  // stripped away: install skips it
        const MemberType type = e.type == EntryType::directory ? MemberType::directory
                                : e.type == EntryType::symlink ? MemberType::symlink
                                                               : MemberType::file;
        if (auto why = set.tree.admit(*at, type, e.link_target); !why.empty()) return refuse(why);
    }
    return {};
}

Status finish_layers(const LayerSet& set) {
    if (auto problem = set.tree.finish())
        return make_error(ErrorKind::data, "the layers together: " + quote_name(problem->path) + ": " + problem->reason);
    return {};
}

namespace {
std::string_view record_kind(std::string_view media_type) {
    if (media_type == oci::kLayerTarXz) return "xz";
    if (media_type == oci::kLayerTarGzip) return "gzip";
    return "zstd";
}

// The rules check_archive applies; a record made under other rules vouches for nothing. Bump it
// whenever check_archive refuses something it used to pass (rules-2: the shared member rules,
// which follow symlink chains, and the unpacked size in the record for the unpack limits).
constexpr std::string_view kCheckRules = "rules-2";

fs::path record_path(const fs::path& records, std::string_view media_type, const Digest& digest) {
    return records / (digest.hex() + "." + std::string(record_kind(media_type)));
}
}  // namespace

Result<fs::path> check_records_dir() { return cache_dir("checked"); }

void remember_bundle(const BundleResult& bundle) {
    if (auto records = check_records_dir())
        remember_checked(*records, oci::kLayerTarXz, {bundle.digest, bundle.size, bundle.entries, bundle.input_bytes});
}

void remember_checked(const fs::path& records, std::string_view media_type, const ArchiveCheck& check) {
    std::error_code ec;
    fs::create_directories(records, ec);
    if (ec) return;
    (void)write_file_atomic(record_path(records, media_type, check.digest),
                            std::string(kCheckRules) + " " + std::to_string(check.entries) + " " +
                                std::to_string(check.size) + " " + std::to_string(check.unpacked) + "\n");
}

Result<ArchiveCheck> look_up_check(const fs::path& path, std::string_view media_type, const std::optional<fs::path>& records,
                                   const UnpackLimits& limits) {
    auto hashed = digest_file(path);
    if (!hashed) return std::move(hashed).error();
    const auto& [digest, size] = *hashed;
    if (records) {
        if (auto record = read_file(record_path(*records, media_type, digest)); record && *record) {
            std::istringstream in(**record);
            std::string rules;
            std::uint64_t entries = 0, recorded_size = 0, unpacked = 0;
            // A record within today's limits vouches; past them, the walk says which limit.
            if (in >> rules >> entries >> recorded_size >> unpacked && rules == kCheckRules && recorded_size == size &&
                entries > 0 && entries <= limits.max_entries && unpacked <= max_unpacked_bytes(limits, size))
                return ArchiveCheck{digest, size, entries, unpacked, true};
        }
    }
    return ArchiveCheck{digest, size, 0, 0, false};
}

Result<ArchiveCheck> check_archive_remembered(const fs::path& path, std::string_view media_type, const fs::path& records,
                                              const UnpackLimits& limits) {
    auto hashed = look_up_check(path, media_type, records, limits);
    if (!hashed || hashed->from_record) return hashed;
    auto checked = check_archive(path, media_type, limits);
    if (!checked) return checked;
    if (checked->digest != hashed->digest || checked->size != hashed->size)
        return make_error(ErrorKind::io, path.string() + " changed while it was being read");
    remember_checked(records, media_type, *checked);
    return checked;
}

}  // namespace ocx::bundle
