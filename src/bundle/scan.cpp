// Walks a source tree and decides, before anything is written, whether it can be bundled and in which
// order (docs/wire-format.md §6). Every refusal names the offending path relative to the source:
//  * only directories, regular files and symlinks: devices, FIFOs and sockets have no place in a
//    package and are refused, as are entries we cannot read;
//  * the entries, in archive order, must pass the member rules (bundle/member_rules.hpp) that push
//    and install apply to the archive: symlinks stay inside the source, lexically and through the
//    other symlinks (`a -> ..` makes `a/..` the root's parent), and do not loop.
//  * names and link targets must be valid UTF-8. Tar can carry bytes, but pax `path` records are
//    defined as UTF-8, the archive must not depend on the writer's locale, and consumers on macOS or
//    Windows cannot create such names. Refusing is clearer than a package that extracts differently.
// Hard links are stored as independent regular files: which names share an inode is not stable across
// copies of a tree, so recording it would break determinism.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "bundle/bundle.hpp"
#include "bundle/member_rules.hpp"
#include "bundle/names.hpp"
#include "util/files.hpp"

namespace ocx::bundle {
namespace {

namespace fs = std::filesystem;

struct Problem {
    std::size_t order;  // position in archive order, so problems are listed as the tree is
    std::string text;
};

std::uint32_t archive_mode(mode_t st_mode) { return (st_mode & 0111) != 0 ? 0755u : 0644u; }

std::string_view type_name(mode_t st_mode) {
    if (S_ISCHR(st_mode)) return "a character device";
    if (S_ISBLK(st_mode)) return "a block device";
    if (S_ISFIFO(st_mode)) return "a FIFO";
    if (S_ISSOCK(st_mode)) return "a socket";
    return "not a file, directory or symlink";
}

class Walker {
public:
    std::vector<Entry> entries;
    std::vector<Problem> problems;

    void add_problem(std::string text) { problems.push_back({entries.size(), std::move(text)}); }

    // Lists `dir_fd` (owned), appends its children in sorted order, recursing into directories.
    void walk(int dir_fd, const fs::path& disk_dir, const std::string& prefix) {
        DIR* dir = ::fdopendir(dir_fd);
        if (dir == nullptr) {
            ::close(dir_fd);
            add_problem(quote_name(prefix) + " is not readable: " + std::strerror(errno));
            return;
        }
        std::vector<std::string> names;
        errno = 0;
        while (const dirent* d = ::readdir(dir)) {
            std::string_view name = d->d_name;
            if (name != "." && name != "..") names.emplace_back(name);
            errno = 0;
        }
        const int list_errno = errno;
        if (list_errno != 0) {
            ::closedir(dir);
            add_problem(quote_name(prefix) + " is not readable: " + std::strerror(list_errno));
            return;
        }
        std::sort(names.begin(), names.end());  // char_traits<char> compares as unsigned bytes
        for (const std::string& name : names) visit(::dirfd(dir), disk_dir / name, name, join(prefix, name));
        ::closedir(dir);
    }

    // Classifies one directory member; `parent_fd` is its directory, `rel` its archive name.
    void visit(int parent_fd, const fs::path& disk, const std::string& name, const std::string& rel) {
        if (!is_valid_utf8(name)) {
            add_problem("name " + quote_name(rel) + " is not valid UTF-8");
            return;
        }
        struct stat st {};
        if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            add_problem(quote_name(rel) + " is not readable: " + std::strerror(errno));
            return;
        }
        if (S_ISDIR(st.st_mode)) {
            int fd = ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                add_problem(quote_name(rel) + " is not readable: " + std::strerror(errno));
                return;
            }
            entries.push_back(Entry{rel, disk, EntryType::directory, 0755, 0, {}});
            walk(fd, disk, rel);
        } else if (S_ISREG(st.st_mode)) {
            UniqueFd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
            if (fd.get() < 0) {
                add_problem(quote_name(rel) + " is not readable: " + std::strerror(errno));
                return;
            }
            entries.push_back(
                Entry{rel, disk, EntryType::file, archive_mode(st.st_mode), static_cast<std::uint64_t>(st.st_size), {}});
        } else if (S_ISLNK(st.st_mode)) {
            std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 256) + 1, '\0');
            ssize_t n = ::readlinkat(parent_fd, name.c_str(), target.data(), target.size());
            while (n >= 0 && static_cast<std::size_t>(n) == target.size()) {  // grew since lstat
                target.resize(target.size() * 2);
                n = ::readlinkat(parent_fd, name.c_str(), target.data(), target.size());
            }
            if (n < 0) {
                add_problem(quote_name(rel) + " is not readable: " + std::strerror(errno));
                return;
            }
            target.resize(static_cast<std::size_t>(n));
            entries.push_back(Entry{rel, disk, EntryType::symlink, 0777, 0, std::move(target)});
        } else {
            add_problem(quote_name(rel) + " is " + std::string(type_name(st.st_mode)) +
                        "; only files, directories and symlinks can be bundled");
        }
    }

    static std::string join(const std::string& prefix, const std::string& name) {
        return prefix.empty() ? name : prefix + "/" + name;
    }
};

// The member rules (bundle/member_rules.hpp) over the walked entries, in archive order, as push
// and install will apply them to the archive: what create accepts, they accept.
void check_members(Walker& walker) {
    MemberTree tree;
    for (std::size_t i = 0; i < walker.entries.size(); ++i) {
        const Entry& e = walker.entries[i];
        const MemberType type = e.type == EntryType::directory ? MemberType::directory
                                : e.type == EntryType::file    ? MemberType::file
                                                               : MemberType::symlink;
        std::string why = member_problem(Member{e.name, type, e.link_target, e.mode});
        if (why.empty()) why = tree.admit(*member_path(e.name), type, e.link_target);
        if (!why.empty()) walker.problems.push_back({i, quote_name(e.name) + ": " + why});
    }
    if (auto problem = tree.finish()) {
        std::size_t order = 0;
        while (order < walker.entries.size() && walker.entries[order].name != problem->path) ++order;
        walker.problems.push_back({order, quote_name(problem->path) + ": " + problem->reason});
    }
}

Error refusal(std::vector<Problem> problems) {
    std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) { return a.order < b.order; });
    if (problems.size() == 1) return make_error(ErrorKind::data, problems.front().text);
    std::string message = std::to_string(problems.size()) + " entries cannot be bundled:";
    constexpr std::size_t shown = 20;
    for (std::size_t i = 0; i < problems.size() && i < shown; ++i) message += "\n  " + problems[i].text;
    if (problems.size() > shown) message += "\n  ... and " + std::to_string(problems.size() - shown) + " more";
    return make_error(ErrorKind::data, std::move(message));
}

}  // namespace

Result<std::vector<Entry>> scan(const fs::path& source) {
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return make_error(ErrorKind::not_found, "source \"" + source.string() + "\" does not exist");
        return make_error(ErrorKind::io, "source \"" + source.string() + "\": " + std::strerror(errno));
    }
    Walker walker;
    if (S_ISDIR(st.st_mode)) {
        int fd = ::open(source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return make_error(ErrorKind::data,
                              "source directory \"" + source.string() + "\" is not readable: " + std::strerror(errno));
        walker.walk(fd, source, "");
        check_members(walker);
    } else {
        // A single file is archived under its own name; a symlink given as the source is followed.
        std::string name = source.filename().string();
        if (!is_valid_utf8(name)) return make_error(ErrorKind::data, "name " + quote_name(name) + " is not valid UTF-8");
        if (!S_ISREG(st.st_mode))
            return make_error(ErrorKind::data, quote_name(name) + " is " + std::string(type_name(st.st_mode)) +
                                                   "; only files, directories and symlinks can be bundled");
        UniqueFd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
        if (fd.get() < 0) return make_error(ErrorKind::data, quote_name(name) + " is not readable: " + std::strerror(errno));
        walker.entries.push_back(
            Entry{name, source, EntryType::file, archive_mode(st.st_mode), static_cast<std::uint64_t>(st.st_size), {}});
    }
    if (!walker.problems.empty()) return refusal(std::move(walker.problems));
    return std::move(walker.entries);
}

}  // namespace ocx::bundle
