// Safe layer extraction (see extract.hpp for the rules; wire-format.md §2 layers, §6 archive members).
//
// Every member is checked before anything is written for it, against a map of what this
// extraction has written so far (path -> directory, file or symlink with its target). Because a
// member under an existing symlink is refused, no write ever goes through a symlink, so checking
// each link target lexically on the way in is enough to keep the writes inside; after the last
// layer every link is resolved once more through the other links of the tree, which catches
// chains (`a -> b/..` where b is itself a link) before anyone follows them. libarchive's own
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

#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <optional>

namespace ocx::bundle {

namespace fs = std::filesystem;

namespace {

class LocaleGuard {
public:
    LocaleGuard() {
        for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8", "UTF-8"}) {
            utf8_ = newlocale(LC_CTYPE_MASK, name, static_cast<locale_t>(nullptr));
            if (utf8_ != static_cast<locale_t>(nullptr)) break;
        }
        if (utf8_ != static_cast<locale_t>(nullptr)) previous_ = uselocale(utf8_);
    }
    ~LocaleGuard() {
        if (utf8_ == static_cast<locale_t>(nullptr)) return;
        uselocale(previous_);
        freelocale(utf8_);
    }
    LocaleGuard(const LocaleGuard&) = delete;
    LocaleGuard& operator=(const LocaleGuard&) = delete;

private:
    locale_t utf8_ = static_cast<locale_t>(nullptr);
    locale_t previous_ = static_cast<locale_t>(nullptr);
};

struct ReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

using Parts = std::vector<std::string>;

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string join(const Parts& parts, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count && i < parts.size(); ++i) out += (i == 0 ? "" : "/") + parts[i];
    return out;
}
std::string join(const Parts& parts) { return join(parts, parts.size()); }

Parts split(std::string_view text) {
    Parts out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t slash = text.find('/', start);
        if (slash == std::string_view::npos) slash = text.size();
        std::string_view part = text.substr(start, slash - start);
        if (!part.empty() && part != ".") out.emplace_back(part);
        start = slash + 1;
    }
    return out;
}

// A member or hardlink path as package-relative components; the reason when it cannot be one.
Result<Parts> member_parts(std::string_view raw) {
    if (raw.empty()) return make_error(ErrorKind::data, "member without a name");
    if (raw.front() == '/') return make_error(ErrorKind::data, "absolute path not allowed");
    Parts parts = split(raw);
    for (const auto& p : parts)
        if (p == "..") return make_error(ErrorKind::data, "path contains \"..\" (it would leave the package)");
    return parts;
}

// Applies strip_components, then the prefix; nullopt when nothing remains after stripping.
std::optional<Parts> place(const Parts& parts, const Placement& placement, const Parts& prefix) {
    if (parts.size() <= placement.strip_components) return std::nullopt;
    Parts out = prefix;
    out.insert(out.end(), parts.begin() + static_cast<std::ptrdiff_t>(placement.strip_components), parts.end());
    return out;
}

enum class Kind { directory, file, symlink };

struct Node {
    Kind kind = Kind::directory;
    std::string target;  // symlinks: the target as stored
};

enum class Resolution { inside, escapes, loops };

// Resolves a relative link `target` from directory `dir`. With `nodes`, symlinks met on the way
// (including the last component) are followed, up to 40 of them as the kernel does.
Resolution resolve_link(Parts dir, std::string_view target, const std::map<std::string, Node>* nodes) {
    std::deque<std::string> queue;
    for (auto& p : split(target)) queue.push_back(std::move(p));
    int followed = 0;
    while (!queue.empty()) {
        std::string part = std::move(queue.front());
        queue.pop_front();
        if (part == "..") {
            if (dir.empty()) return Resolution::escapes;
            dir.pop_back();
            continue;
        }
        dir.push_back(std::move(part));
        if (nodes == nullptr) continue;
        auto it = nodes->find(join(dir));
        if (it == nodes->end() || it->second.kind != Kind::symlink) continue;
        if (++followed > 40) return Resolution::loops;
        if (!it->second.target.empty() && it->second.target.front() == '/') return Resolution::escapes;
        dir.pop_back();
        Parts next = split(it->second.target);
        queue.insert(queue.begin(), next.begin(), next.end());
    }
    return Resolution::inside;
}

std::string_view kind_name(Kind k) {
    switch (k) {
        case Kind::directory: return "directory";
        case Kind::file: return "file";
        case Kind::symlink: return "symlink";
    }
    return "entry";
}

class Extraction {
public:
    explicit Extraction(fs::path root) : root_(std::move(root)) {}

    Status open() {
        disk_.reset(archive_write_disk_new());
        if (!disk_) return make_error(ErrorKind::internal, "extract: cannot create a libarchive disk writer");
        archive_write_disk_set_options(disk_.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                        ARCHIVE_EXTRACT_SECURE_NODOTDOT);
        return {};
    }

    Status add_layer(const LayerFile& layer) {
        auto prefix = member_parts(layer.placement.prefix.empty() ? std::string_view(".") : layer.placement.prefix);
        if (!prefix) return make_error(ErrorKind::data, layer.label + ": prefix " + in_quotes(layer.placement.prefix) + ": " +
                                                            prefix.error().message);
        std::unique_ptr<archive, ReadFree> reader(archive_read_new());
        if (!reader) return make_error(ErrorKind::internal, "extract: cannot create a libarchive reader");
        archive* a = reader.get();
        archive_read_support_format_tar(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        if (archive_read_open_filename(a, layer.path.c_str(), 1 << 16) != ARCHIVE_OK)
            return make_error(ErrorKind::data, layer.label + ": not a readable tar archive (xz, gzip, zstd or plain): " +
                                                   reader_error(a));
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
        for (const auto& [path, node] : nodes_) {
            if (node.kind != Kind::symlink) continue;
            Parts dir = split(path);
            dir.pop_back();
            Resolution r = resolve_link(dir, node.target, &nodes_);
            if (r == Resolution::escapes)
                return make_error(ErrorKind::data, in_quotes(path) + ": symlink to " + in_quotes(node.target) +
                                                       " leaves the package through other symlinks");
            if (r == Resolution::loops)
                return make_error(ErrorKind::data, in_quotes(path) + ": symlink to " + in_quotes(node.target) +
                                                       " loops through other symlinks");
        }
        if (archive_write_close(disk_.get()) != ARCHIVE_OK)
            return make_error(ErrorKind::io, "extract: " + writer_error());
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

    Status add_member(archive* reader, archive_entry* in, const LayerFile& layer, const Parts& prefix) {
        const char* name = archive_entry_pathname(in);
        if (name == nullptr) name = archive_entry_pathname_utf8(in);
        const std::string raw = name != nullptr ? name : "";
        auto refuse = [&](std::string_view why) {
            return make_error(ErrorKind::data, layer.label + ": " + in_quotes(raw) + ": " + std::string(why));
        };
        auto parts = member_parts(raw);
        if (!parts) return refuse(parts.error().message);

        const char* hardlink = archive_entry_hardlink(in);
        Kind kind = Kind::file;
        if (hardlink == nullptr) {
            switch (archive_entry_filetype(in)) {
                case AE_IFDIR: kind = Kind::directory; break;
                case AE_IFREG: kind = Kind::file; break;
                case AE_IFLNK: kind = Kind::symlink; break;
                case AE_IFCHR: return refuse("character device not allowed");
                case AE_IFBLK: return refuse("block device not allowed");
                case AE_IFIFO: return refuse("FIFO not allowed");
                case AE_IFSOCK: return refuse("socket not allowed");
                default: return refuse("member of unknown type not allowed");
            }
        }
        const auto mode = static_cast<unsigned>(archive_entry_mode(in)) & 07777u;
        if ((mode & (S_ISUID | S_ISGID)) != 0) {
            char text[64];
            std::snprintf(text, sizeof text, "setuid/setgid bit (mode %04o) not allowed", mode);
            return refuse(text);
        }

        if (parts->empty()) return {};  // the package root itself ("./")
        auto placed = place(*parts, layer.placement, prefix);
        if (!placed || placed->empty()) {
            ++stats.skipped;  // stripped away
            return {};
        }
        for (std::size_t i = 1; i < placed->size(); ++i) {
            std::string parent = join(*placed, i);
            auto it = nodes_.find(parent);
            if (it == nodes_.end())
                nodes_.emplace(parent, Node{});  // made by libarchive on the way
            else if (it->second.kind != Kind::directory)
                return refuse("lies under " + in_quotes(parent) + ", which is a " + std::string(kind_name(it->second.kind)));
        }
        const std::string key = join(*placed);
        if (auto it = nodes_.find(key); it != nodes_.end() && (it->second.kind != Kind::directory || kind != Kind::directory))
            return refuse("appears twice (as a " + std::string(kind_name(it->second.kind)) +
                          " before); layers must not overlap");

        std::unique_ptr<archive_entry, EntryFree> out(archive_entry_new());
        const fs::path target_path = root_ / key;
        archive_entry_set_pathname(out.get(), target_path.c_str());
        archive_entry_set_mtime(out.get(), archive_entry_mtime(in), 0);
        Node node{kind, {}};
        bool has_data = false;
        if (hardlink != nullptr) {
            auto link_parts = member_parts(hardlink);
            if (!link_parts) return refuse("hardlink to " + in_quotes(hardlink) + ": " + link_parts.error().message);
            auto link_placed = place(*link_parts, layer.placement, prefix);
            auto it = link_placed ? nodes_.find(join(*link_placed)) : nodes_.end();
            if (it == nodes_.end() || it->second.kind != Kind::file)
                return refuse("hardlink to " + in_quotes(hardlink) + ", which is not a regular file extracted before it");
            archive_entry_set_hardlink(out.get(), (root_ / it->first).c_str());
            has_data = archive_entry_size_is_set(in) != 0 && archive_entry_size(in) > 0;
            if (has_data) archive_entry_set_size(out.get(), archive_entry_size(in));
        } else if (kind == Kind::directory) {
            archive_entry_set_filetype(out.get(), AE_IFDIR);
            archive_entry_set_perm(out.get(), static_cast<mode_t>((mode & 0777u) | 0700u));
        } else if (kind == Kind::file) {
            archive_entry_set_filetype(out.get(), AE_IFREG);
            archive_entry_set_perm(out.get(), static_cast<mode_t>(mode & 0777u));
            archive_entry_set_size(out.get(), archive_entry_size(in));
            has_data = true;
        } else {
            const char* link = archive_entry_symlink(in);
            node.target = link != nullptr ? link : "";
            if (node.target.empty()) return refuse("symlink with an empty target");
            if (node.target.front() == '/') return refuse("symlink to absolute path " + in_quotes(node.target) + " not allowed");
            Parts dir = *placed;
            dir.pop_back();
            if (resolve_link(dir, node.target, nullptr) != Resolution::inside)
                return refuse("symlink to " + in_quotes(node.target) + " leaves the package");
            archive_entry_set_filetype(out.get(), AE_IFLNK);
            archive_entry_set_perm(out.get(), 0777);
            archive_entry_set_symlink(out.get(), node.target.c_str());
        }

        if (archive_write_header(disk_.get(), out.get()) < ARCHIVE_WARN)
            return make_error(ErrorKind::io, layer.label + ": cannot write " + in_quotes(key) + ": " + writer_error());
        if (has_data) {
            for (;;) {
                const void* buffer = nullptr;
                std::size_t size = 0;
                la_int64_t offset = 0;
                int r = archive_read_data_block(reader, &buffer, &size, &offset);
                if (r == ARCHIVE_EOF) break;
                if (r < ARCHIVE_WARN) return refuse("cannot read its content: " + reader_error(reader));
                if (archive_write_data_block(disk_.get(), buffer, size, offset) < ARCHIVE_WARN)
                    return make_error(ErrorKind::io, layer.label + ": cannot write " + in_quotes(key) + ": " + writer_error());
                stats.bytes += size;
            }
        }
        if (archive_write_finish_entry(disk_.get()) < ARCHIVE_WARN)
            return make_error(ErrorKind::io, layer.label + ": cannot write " + in_quotes(key) + ": " + writer_error());
        nodes_.insert_or_assign(key, std::move(node));
        ++stats.entries;
        return {};
    }

    fs::path root_;
    std::unique_ptr<archive, WriteFree> disk_;
    std::map<std::string, Node> nodes_;
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

Result<ExtractStats> extract(const std::vector<LayerFile>& layers, const fs::path& dest) {
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
    LocaleGuard locale;
    // The writer is freed before any cleanup: freeing it runs its pending directory fix-ups.
    auto result = [&]() -> Result<ExtractStats> {
        Extraction extraction(root);
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
