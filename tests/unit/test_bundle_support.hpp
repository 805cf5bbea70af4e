#pragma once
// Helpers for the bundle tests: real temporary directories (temp_dir.hpp), files with given modes, running the
// system's tar/bsdtar/xz as independent readers, and comparing an extracted tree with its source.

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "temp_dir.hpp"

namespace ocx::bundle::test {

namespace fs = std::filesystem;

using ocx::testing::TempDir;

inline void write_file(const fs::path& path, const std::string& content, mode_t mode = 0644) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    ::chmod(path.c_str(), mode);
}

inline std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Runs a shell command; returns its exit status and fills `output` with stdout.
inline int run(const std::string& command, std::string* output = nullptr) {
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return -1;
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    int status = ::pclose(pipe);
    if (output != nullptr) *output = out;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline std::string shell_quote(const fs::path& path) {
    std::string out = "'";
    for (char c : path.string()) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

/// A tree described by what an extractor must reproduce: per relative path, "d" for a directory,
/// "l:<target>" for a symlink, "f<mode>:<content>" for a file (mode 0644 or 0755 as bundled).
inline std::map<std::string, std::string> describe(const fs::path& root, bool normalize_modes) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        const fs::path& p = it->path();
        const std::string rel = p.lexically_relative(root).generic_string();
        struct stat st {};
        ::lstat(p.c_str(), &st);
        if (S_ISLNK(st.st_mode)) {
            out[rel] = "l:" + fs::read_symlink(p).string();
        } else if (S_ISDIR(st.st_mode)) {
            const unsigned mode = normalize_modes ? 0755u : (st.st_mode & 07777u);
            out[rel] = "d" + std::to_string(mode);
        } else {
            const unsigned mode = normalize_modes ? ((st.st_mode & 0111) ? 0755u : 0644u) : (st.st_mode & 07777u);
            out[rel] = "f" + std::to_string(mode) + ":" + read_file(p);
        }
    }
    return out;
}

}  // namespace ocx::bundle::test
