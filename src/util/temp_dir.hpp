#pragma once
// Temporary directories that are removed when their owner goes out of scope, and also when the
// process is stopped by SIGINT/SIGTERM (util/signals.hpp removes every live one before exiting).

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

/// Removes every live TempDir (async-signal context: best effort). Called by the signal handler.
void remove_live_temp_dirs() noexcept;

/// Installs SIGINT/SIGTERM handlers that remove live temp dirs and exit with 128+signal.
void install_cleanup_signal_handlers();

}  // namespace ocx
