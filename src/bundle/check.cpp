#include "bundle/check.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "oci/media_types.hpp"

namespace ocx::bundle {

namespace fs = std::filesystem;

namespace {
// The file is read through this callback only, so every byte libarchive sees is hashed once.
struct Reader {
    std::FILE* file = nullptr;
    Sha256 hash;
    std::uint64_t size = 0;
    std::vector<char> buf = std::vector<char>(1 << 20);
    bool io_error = false;

    ~Reader() {
        if (file != nullptr) std::fclose(file);
    }
    la_ssize_t next(const void** out) {
        std::size_t n = std::fread(buf.data(), 1, buf.size(), file);
        if (n == 0 && std::ferror(file) != 0) {
            io_error = true;
            return -1;
        }
        hash.update(buf.data(), n);
        size += n;
        *out = buf.data();
        return static_cast<la_ssize_t>(n);
    }
    // Hashes whatever libarchive did not need (tar's end-of-archive padding).
    bool drain() {
        const void* unused = nullptr;
        while (next(&unused) > 0) {
        }
        return !io_error;
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

// Lexical check that `target`, seen from the directory of `name`, stays inside the package.
bool stays_inside(const std::string& name, const std::string& target) {
    if (target.empty() || target.front() == '/') return false;
    int depth = 0;
    auto walk = [&depth](std::string_view path, bool is_dir_of_link) {
        std::size_t start = 0;
        std::vector<std::string_view> parts;
        while (start <= path.size()) {
            auto slash = path.find('/', start);
            parts.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
            if (slash == std::string_view::npos) break;
            start = slash + 1;
        }
        if (is_dir_of_link && !parts.empty()) parts.pop_back();  // the link's own name
        for (auto p : parts) {
            if (p.empty() || p == ".") continue;
            if (p == "..") {
                if (--depth < 0) return false;
            } else {
                ++depth;
            }
        }
        return true;
    };
    std::string n = name;
    while (n.size() > 1 && n.back() == '/') n.pop_back();
    return walk(n, true) && walk(target, false);
}

// Problem with a member's path, or "" when it is fine.
std::string path_problem(const std::string& name) {
    if (name.empty()) return "a member without a name";
    if (name.front() == '/') return "absolute path";
    std::size_t start = 0;
    while (start <= name.size()) {
        auto slash = name.find('/', start);
        std::string_view part = std::string_view(name).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part == "..") return "path with a '..' component";
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return {};
}
}  // namespace

Result<ArchiveCheck> check_archive(const fs::path& path, std::string_view media_type) {
    const std::string file = path.string();
    auto bad = [&](const std::string& why) { return make_error(ErrorKind::data, file + ": " + why); };
    Reader reader;
    reader.file = std::fopen(path.c_str(), "rb");
    if (reader.file == nullptr)
        return make_error(errno == ENOENT ? ErrorKind::not_found : ErrorKind::io, file + ": " + std::strerror(errno));

    std::unique_ptr<struct archive, ArchiveDeleter> a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    if (archive_read_open(a.get(), &reader, nullptr, read_cb, nullptr) != ARCHIVE_OK)
        return bad(std::string("damaged or not a tar archive (") + archive_error_string(a.get()) + ")");

    ArchiveCheck out;
    bool first = true;
    for (;;) {
        struct archive_entry* entry = nullptr;
        int r = archive_read_next_header(a.get(), &entry);
        if (first) {
            // The filter chain is known once the first header has been read.
            int want = expected_filter(media_type);
            int got = archive_filter_code(a.get(), 0);
            if (got != want)
                return bad("the extension says " + std::string(filter_name(want)) + " but the data is " +
                           std::string(filter_name(got)));
            first = false;
        }
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            if (reader.io_error) return make_error(ErrorKind::io, file + ": read error");
            return bad(std::string("damaged or not a tar archive (") + archive_error_string(a.get()) + ")");
        }
        ++out.entries;
        std::string name = archive_entry_pathname(entry) != nullptr ? archive_entry_pathname(entry) : "";
        if (auto why = path_problem(name); !why.empty()) return bad(why + ": \"" + name + "\"");
        const mode_t type = archive_entry_filetype(entry);
        const char* hardlink = archive_entry_hardlink(entry);
        if (hardlink != nullptr) {
            if (auto why = path_problem(hardlink); !why.empty())
                return bad("hardlink " + name + " points outside the package: \"" + hardlink + "\"");
        } else if (type == AE_IFLNK) {
            const char* target = archive_entry_symlink(entry);
            if (target == nullptr || !stays_inside(name, target))
                return bad("symlink " + name + " -> " + (target ? target : "") + " leaves the package");
        } else if (type != AE_IFREG && type != AE_IFDIR) {
            return bad("member " + name + " is a device, FIFO or socket; packages hold files, directories and links");
        }
        if ((archive_entry_perm(entry) & (S_ISUID | S_ISGID)) != 0)
            return bad("member " + name + " has the setuid or setgid bit");
        // Reading the data (not skipping) makes the decompressor verify the whole stream.
        const void* block = nullptr;
        std::size_t len = 0;
        la_int64_t offset = 0;
        int d;
        while ((d = archive_read_data_block(a.get(), &block, &len, &offset)) == ARCHIVE_OK) {
        }
        if (d != ARCHIVE_EOF) return bad(std::string("damaged archive at ") + name + " (" + archive_error_string(a.get()) + ")");
    }
    if (out.entries == 0) return bad("an empty archive");
    if (!reader.drain()) return make_error(ErrorKind::io, file + ": read error");
    out.digest = reader.hash.finish();
    out.size = reader.size;
    return out;
}

}  // namespace ocx::bundle
