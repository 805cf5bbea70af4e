// Safe layer extraction (see extract.hpp for the rules; docs/wire-format.md §2 layers, §6 archive members).
//
// Every member is checked before anything is written for it by the member rules
// (bundle/member_rules.hpp, the same that `push` and `create` apply), against what this
// extraction has written so far, across layers. Because a member under an existing symlink is
// refused, no write ever goes through a symlink; after the last layer every link is resolved once
// more through all the others, which catches chains a later link completes (`esc -> l/..` before
// `l -> .`) before anyone follows them, and the tree is removed. The unpack limits
// (bundle/limits.hpp) are counted over all layers, from each member's declared size before its
// bytes are written. libarchive's own
// SECURE_SYMLINKS / SECURE_NODOTDOT guards stay on underneath as a second line. Members are
// written by archive_write_disk from entries we build ourselves (absolute path under the
// canonical destination, permission bits, size, mtime, link target), so nothing else the archive
// carries (owners, xattrs, ACLs, file flags) reaches the disk.
// libarchive runs under a thread-local UTF-8 LC_CTYPE, as in tar_writer.cpp, so pax UTF-8 names
// convert the same way whatever the process locale.

#include "bundle/extract.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <sys/stat.h>

#include <memory>
#include <optional>

#include "bundle/archive_member.hpp"
#include "bundle/names.hpp"

namespace ocx::bundle {

namespace fs = std::filesystem;

namespace {

struct ReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

class Extraction {
public:
    Extraction(fs::path root, const UnpackLimits& limits, std::uint64_t compressed)
        : root_(std::move(root)), limits_(limits), compressed_(compressed) {}

    Status open() {
        disk_.reset(archive_write_disk_new());
        if (!disk_) return make_error(ErrorKind::internal, "extract: cannot create a libarchive disk writer");
        archive_write_disk_set_options(disk_.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                        ARCHIVE_EXTRACT_SECURE_NODOTDOT);
        return {};
    }

    Status add_layer(const LayerFile& layer) {
        auto prefix = member_path(layer.placement.prefix.empty() ? std::string_view(".") : layer.placement.prefix);
        if (!prefix)
            return make_error(ErrorKind::data, layer.label + ": prefix " + quote_name(layer.placement.prefix) + ": " +
                                                   prefix.error().message);
        std::unique_ptr<archive, ReadFree> reader(archive_read_new());
        if (!reader) return make_error(ErrorKind::internal, "extract: cannot create a libarchive reader");
        archive* a = reader.get();
        archive_read_support_format_tar(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        if (archive_read_open_filename(a, layer.path.c_str(), 1 << 16) != ARCHIVE_OK)
            return make_error(ErrorKind::data,
                              layer.label + ": not a readable tar archive (xz, gzip, zstd or plain): " + reader_error(a));
        for (;;) {
            archive_entry* in = nullptr;
            int r = archive_read_next_header(a, &in);
            if (r == ARCHIVE_EOF) break;
            if (r < ARCHIVE_WARN)
                return make_error(ErrorKind::data, layer.label + ": not a readable tar archive (xz, gzip, zstd or plain): " +
                                                       reader_error(a));
            if (Status s = add_member(a, in, layer, *prefix); !s) return s;
        }
        return {};
    }

    // After the last layer: every link resolved through the others must stay inside.
    Status finish() {
        if (auto problem = tree_.finish())
            return make_error(ErrorKind::data, quote_name(problem->path) + ": " + problem->reason);
        if (archive_write_close(disk_.get()) != ARCHIVE_OK) return make_error(ErrorKind::io, "extract: " + writer_error());
        return {};
    }

    ExtractStats stats;

private:
    static std::string reader_error(archive* a) {
        const char* text = archive_error_string(a);
        return text != nullptr ? text : "libarchive error";
    }
    std::string writer_error() const {
        const char* text = archive_error_string(disk_.get());
        return text != nullptr ? text : "libarchive error";
    }

    /// The entry written to disk for `member` at `key` (below the root); `has_data` says whether
    /// its content follows (files, and hardlinks that carry one).
    std::unique_ptr<archive_entry, EntryFree> disk_entry(const ArchiveMember& member, archive_entry* in,
                                                         const std::string& key, const std::optional<PathParts>& hardlink_to,
                                                         bool has_size, bool& has_data) const {
        std::unique_ptr<archive_entry, EntryFree> out(archive_entry_new());
        archive_entry_set_pathname(out.get(), (root_ / key).c_str());
        archive_entry_set_mtime(out.get(), archive_entry_mtime(in), 0);
        has_data = false;
        switch (member.type) {
            case MemberType::hardlink:
                archive_entry_set_hardlink(out.get(), (root_ / join_path(*hardlink_to)).c_str());
                has_data = has_size;
                if (has_data) archive_entry_set_size(out.get(), archive_entry_size(in));
                break;
            case MemberType::directory:
                archive_entry_set_filetype(out.get(), AE_IFDIR);
                archive_entry_set_perm(out.get(), static_cast<mode_t>((member.mode & 0777u) | 0700u));
                break;
            case MemberType::file:
                archive_entry_set_filetype(out.get(), AE_IFREG);
                archive_entry_set_perm(out.get(), static_cast<mode_t>(member.mode & 0777u));
                archive_entry_set_size(out.get(), archive_entry_size(in));
                has_data = true;
                break;
            default:  // a symlink: member_problem refused every other type
                archive_entry_set_filetype(out.get(), AE_IFLNK);
                archive_entry_set_perm(out.get(), 0777);
                archive_entry_set_symlink(out.get(), member.link.c_str());
                break;
        }
        return out;
    }

    /// Copies the current member's content from `reader` to the entry just written at `key`.
    Status copy_data(archive* reader, const LayerFile& layer, const ArchiveMember& member, const std::string& key) {
        for (;;) {
            const void* buffer = nullptr;
            std::size_t size = 0;
            la_int64_t offset = 0;
            int r = archive_read_data_block(reader, &buffer, &size, &offset);
            if (r == ARCHIVE_EOF) return {};
            if (r < ARCHIVE_WARN)
                return make_error(ErrorKind::data, layer.label + ": " + quote_name(member.name) +
                                                       ": cannot read its content: " + reader_error(reader));
            if (archive_write_data_block(disk_.get(), buffer, size, offset) < ARCHIVE_WARN)
                return make_error(ErrorKind::io, layer.label + ": cannot write " + quote_name(key) + ": " + writer_error());
            stats.bytes += size;
        }
    }

    Status add_member(archive* reader, archive_entry* in, const LayerFile& layer, const PathParts& prefix) {
        const ArchiveMember member(in);
        auto refuse = [&](std::string_view why) {
            return make_error(ErrorKind::data, layer.label + ": " + quote_name(member.name) + ": " + std::string(why));
        };
        const bool has_size = archive_entry_size_is_set(in) != 0 && archive_entry_size(in) > 0;
        const auto declared = has_size ? static_cast<std::uint64_t>(archive_entry_size(in)) : 0;
        if (Status s = count_member(limits_, compressed_, declared, members_, declared_bytes_); !s)
            return refuse(s.error().message);
        if (auto why = member_problem(member.view()); !why.empty()) return refuse(why);
        auto parts = member_path(member.name);
        if (parts->empty()) return {};  // the package root itself ("./")
        auto placed = place(*parts, layer.placement.strip_components, prefix);
        if (!placed || placed->empty()) {
            ++stats.skipped;  // stripped away
            return {};
        }
        std::optional<PathParts> hardlink_to;
        if (member.type == MemberType::hardlink) {
            hardlink_to = place(*member_path(member.link), layer.placement.strip_components, prefix);
            if (!hardlink_to || hardlink_to->empty())  // stripped away, so never extracted
                return refuse("hardlink to " + quote_name(member.link) +
                              ", which is not a regular file extracted before it");
        }
        if (auto why = tree_.admit(*placed, member.type, member.link, hardlink_to); !why.empty()) return refuse(why);

        const std::string key = join_path(*placed);
        bool has_data = false;
        auto out = disk_entry(member, in, key, hardlink_to, has_size, has_data);

        if (archive_write_header(disk_.get(), out.get()) < ARCHIVE_WARN)
            return make_error(ErrorKind::io, layer.label + ": cannot write " + quote_name(key) + ": " + writer_error());
        if (has_data)
            if (Status s = copy_data(reader, layer, member, key); !s) return s;
        if (archive_write_finish_entry(disk_.get()) < ARCHIVE_WARN)
            return make_error(ErrorKind::io, layer.label + ": cannot write " + quote_name(key) + ": " + writer_error());
        ++stats.entries;
        return {};
    }

    fs::path root_;
    UnpackLimits limits_;
    std::uint64_t compressed_ = 0;
    std::uint64_t members_ = 0;         // every member read, for the entry limit
    std::uint64_t declared_bytes_ = 0;  // declared sizes, for the byte limit
    std::unique_ptr<archive, WriteFree> disk_;
    MemberTree tree_;
};

// remove_all, after making every directory owner-accessible (a umask can take that away).
void remove_tree(const fs::path& dir) {
    std::error_code ec;
    if (fs::remove_all(dir, ec) != static_cast<std::uintmax_t>(-1) && !ec) return;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_directory(ec) && !it->is_symlink(ec))
            fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir, ec);
}

}  // namespace

Result<ExtractStats> extract(const std::vector<LayerFile>& layers, const fs::path& dest, const UnpackLimits& limits) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(dest, ec)))
        return make_error(ErrorKind::io, "cannot extract into " + dest.string() + ": it already exists");
    if (!fs::create_directory(dest, ec))
        return make_error(ErrorKind::io, "cannot create " + dest.string() + ": " + ec.message());
    fs::path root = fs::canonical(dest, ec);
    if (ec) {
        remove_tree(dest);
        return make_error(ErrorKind::io, "cannot resolve " + dest.string() + ": " + ec.message());
    }
    std::uint64_t compressed = 0;
    for (const auto& layer : layers) {
        const auto size = fs::file_size(layer.path, ec);
        compressed += ec ? 0 : size;  // an unreadable layer fails below, naming it
    }
    ec.clear();
    Utf8Locale locale;
    // The writer is freed before any cleanup: freeing it runs its pending directory fix-ups.
    auto result = [&]() -> Result<ExtractStats> {
        Extraction extraction(root, limits, compressed);
        Status status = extraction.open();
        for (std::size_t i = 0; status && i < layers.size(); ++i) status = extraction.add_layer(layers[i]);
        if (status) status = extraction.finish();
        if (!status) return status.error();
        return extraction.stats;
    }();
    if (!result) remove_tree(dest);
    return result;
}

}  // namespace ocx::bundle
