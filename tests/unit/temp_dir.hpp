#pragma once
// The one temporary-directory helper of the unit tests: every test that makes files makes them in
// a TempDir. Its name is unique (mkdtemp in temp_directory_path(): $TMPDIR, else /tmp), so tests that
// run at once never share a path, and it is removed with everything in it when it goes out of
// scope, even entries a test made unreadable or unwritable. No test writes a fixed-name file into
// the temp dir itself.
//
// It is not ocx::TempDir (util/temp_dir.hpp): that one registers its path for the signal cleanup
// of the tool and reports failure as a Result; a test wants neither, and wants to reach a directory
// made read-only by the test it cleans up after.

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>

namespace ocx::testing {

class TempDir {
public:
    /// Creates `<temp dir>/<prefix>XXXXXX`; throws (failing the test) when it cannot.
    explicit TempDir(std::string_view prefix = "ocx-unit-") {
        std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "XXXXXX")).string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::system_error(errno, std::generic_category(), "cannot create a temporary directory " + pattern);
        path_ = pattern;
    }
    ~TempDir() { remove_tree(path_); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::filesystem::path& rel) const { return path_ / rel; }

    /// Writes `content` to `rel` under the directory (parents created, an existing file replaced)
    /// and returns the full path.
    std::filesystem::path write(const std::filesystem::path& rel, std::string_view content) const {
        const std::filesystem::path full = path_ / rel;
        std::filesystem::create_directories(full.parent_path());
        std::ofstream out(full, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        if (!out.flush()) throw std::system_error(errno, std::generic_category(), "cannot write " + full.string());
        return full;
    }

private:
    // Removes `root`; a first failure (a directory without write or search permission) gives every
    // directory below back its owner permissions and tries once more. Symlinks are not followed.
    static void remove_tree(const std::filesystem::path& root) {
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
        if (!ec) return;
        std::filesystem::permissions(root, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
        for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
             !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
            std::error_code ignored;
            if (it->is_directory(ignored) && !it->is_symlink(ignored))
                std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                             std::filesystem::perm_options::add, ignored);
        }
        std::filesystem::remove_all(root, ec);
    }

    std::filesystem::path path_;
};

/// The bytes of a file ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

/// How many entries a directory holds (not recursive).
inline std::size_t entries_in(const std::filesystem::path& dir) {
    return static_cast<std::size_t>(
        std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()));
}

}  // namespace ocx::testing
