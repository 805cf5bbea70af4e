#pragma once
// Where a package's declared `binaries` (docs/wire-format.md §4) must be, checked before a release
// publishes a platform (the package gate, publish/inputs.hpp) and after (`verify --deep`): each
// name is a regular file in one of the package's PATH directories. Those are the values of its env
// entries with key PATH and type path, each resolved on its own with ${installPath} = the content
// root and split at ':', keeping only directories inside the content (an entry that needs a
// dependency installed is skipped). A package that declares no PATH entry is looked up in bin/.
// On Linux and macOS the file needs an execute bit. On Windows there are no execute bits (and a
// CI artifact download drops them anyway): NAME.exe or NAME counts, whatever its mode.
// Pure: the caller answers what is at a path (a scanned tree, an archive listing, a disk).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "metadata/metadata.hpp"

namespace ocx::metadata {

/// The package's PATH directories, relative to the content root ('/'-separated, "." for the root).
std::vector<std::string> binary_dirs(const Metadata& meta);

enum class FileState {
    absent,
    executable,  // a regular file (symlinks followed) with an execute bit
    plain,       // a regular file without one
    other,       // a directory, or anything else that cannot be run
};

/// What is at `path` ("bin/tool", relative to the content root).
using FileLookup = std::function<FileState(const std::string& path)>;

enum class BinaryRule {
    unix_exec,    // NAME, with an execute bit
    windows_exe,  // NAME.exe or NAME, any mode
};

/// windows_exe for "windows/…" platform strings, else unix_exec.
BinaryRule binary_rule(std::string_view platform);

/// One problem per declared binary that is not there ("binary \"tool\" (bin/tool) is not an
/// executable file", "binary \"tool\" is declared but not in the package's PATH (bin)").
std::vector<std::string> binary_problems(const Metadata& meta, BinaryRule rule, const FileLookup& lookup);

}  // namespace ocx::metadata
