#pragma once
// Temporary directories that are removed when their owner goes out of scope, and every temporary
// path (these directories, and temp files registered with track_temp_path) removed when the
// process is stopped by SIGINT/SIGTERM.
//
// Signals are handled by a dedicated thread (sigwait), not in signal context: the cleanup may
// allocate and walk directories safely while the worker threads are still running. Directories
// are first renamed to a tombstone, so a worker that writes into one afterwards fails instead of
// leaving a file behind, then removed; the process exits with 128 + the signal number.

#include <filesystem>
#include <string_view>

#include "util/result.hpp"

namespace ocx {

class TempDir {
public:
    /// Creates a fresh directory `<parent or $TMPDIR>/<prefix>XXXXXX`.
    static Result<TempDir> create(std::string_view prefix, const std::filesystem::path& parent = {});
    TempDir() = default;
    ~TempDir();
    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&& other) noexcept;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    /// Keeps the directory on disk (ownership ends).
    std::filesystem::path release();

private:
    explicit TempDir(std::filesystem::path p);
    std::filesystem::path path_;
};

/// Registers a temporary file or directory for removal if the process is stopped by a signal.
void track_temp_path(const std::filesystem::path& path);
/// The path was committed (renamed into place) or removed by its owner.
void untrack_temp_path(const std::filesystem::path& path);

/// Removes every tracked temporary path. Called by the signal thread.
void remove_live_temp_paths() noexcept;

/// Blocks SIGINT/SIGTERM in this thread (and so in every thread started after it) and starts the
/// thread that waits for them, cleans up and exits with 128+signal. Call before starting threads.
void install_cleanup_signal_handlers();

}  // namespace ocx
