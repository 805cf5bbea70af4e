#pragma once
// Atomic creation of the bundle file: bytes go to a temporary name in the output's directory
// (".<name>.tmp-<pid>-<random>"), which is fsync'd and renamed into place only by commit(); a file
// that is never committed is removed, so a failed run leaves nothing behind.

#include <cstddef>
#include <filesystem>
#include <string>

#include "util/result.hpp"

namespace ocx::bundle {

enum class ExistingOutput { refuse, replace };

class OutputFile {
public:
    /// Creates the temporary file (and missing parent directories of `final_path`); ErrorKind::io on failure.
    static Result<OutputFile> create(const std::filesystem::path& final_path);
    OutputFile(OutputFile&& other) noexcept;
    OutputFile& operator=(OutputFile&&) = delete;
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;
    /// Removes the temporary file unless commit() succeeded.
    ~OutputFile();

    /// Appends bytes; ErrorKind::io naming the final path on failure (disk full, …).
    Status write(const void* data, std::size_t size);
    /// fsyncs, renames to the final path (an existing file there is an ErrorKind::data error unless
    /// `existing` is replace), then fsyncs the directory.
    Status commit(ExistingOutput existing);

    const std::filesystem::path& temp_path() const { return temp_; }

private:
    OutputFile(std::filesystem::path final_path, std::filesystem::path temp_path, int fd);
    void discard();

    std::filesystem::path final_;
    std::filesystem::path temp_;
    int fd_ = -1;
    bool committed_ = false;
};

/// The message for an output that exists and may not be replaced.
std::string already_exists_message(const std::filesystem::path& path);

}  // namespace ocx::bundle
