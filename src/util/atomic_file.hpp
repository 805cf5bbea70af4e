#pragma once
// The one atomic file writer (every file ocx-release publishes on disk: bundles, sidecars,
// reports, dotenv files, layout blobs and index.json). Bytes go to a hidden temporary name in the
// destination's directory, ".<name>.tmp-<pid>-<8 hex digits>", registered with the signal cleanup
// (util/temp_dir.hpp); commit() fsyncs and closes it, renames it into place and fsyncs the
// directory, and reports a failure of any of these steps (a failing fsync or close can mean lost
// writes: the file is then not published). A file never committed is removed, so readers see the
// old content or the new, never a part.
//
// Mode: 0666 minus the umask, like any file a tool writes (mkstemp would force 0600).

#include <cstddef>
#include <filesystem>
#include <string>

#include "util/result.hpp"

namespace ocx {

/// What commit() does when the destination exists by then.
enum class ExistingFile { replace, refuse };
/// Whether create() makes missing parent directories of the destination.
enum class MissingParents { fail, create };

class AtomicFile {
public:
    /// Creates the temporary file next to `dest`; ErrorKind::io naming the path on failure
    /// ("cannot create directory <dir>: …" when `parents` is create and that fails).
    static Result<AtomicFile> create(const std::filesystem::path& dest, MissingParents parents = MissingParents::fail);
    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    /// Removes the temporary file unless commit() succeeded.
    ~AtomicFile();

    /// Appends bytes; ErrorKind::io "cannot write <dest>: …" on failure (disk full, …).
    Status write(const void* data, std::size_t size);
    /// fsync, close, rename to the destination (an existing file there is ErrorKind::data
    /// "<dest> already exists (use -f to overwrite)" with `existing` refuse), fsync of the directory.
    Status commit(ExistingFile existing = ExistingFile::replace);

    const std::filesystem::path& temp_path() const { return temp_; }

private:
    AtomicFile(std::filesystem::path dest, std::filesystem::path temp, int fd);
    void discard();

    std::filesystem::path dest_;
    std::filesystem::path temp_;
    int fd_ = -1;
    bool committed_ = false;
};

/// The message for a destination that exists and may not be replaced.
std::string already_exists_message(const std::filesystem::path& path);

}  // namespace ocx
