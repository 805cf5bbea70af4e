// Host platform detection for install/exec (see host.hpp; platform strings: docs/wire-format.md §3).
#include "install/host.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <array>

namespace ocx::install {

namespace fs = std::filesystem;

std::string architecture_from_machine(std::string_view machine) {
    if (machine == "x86_64" || machine == "amd64") return "amd64";
    if (machine == "aarch64" || machine == "arm64" || machine == "aarch64_be") return "arm64";
    return {};
}

namespace {
struct Loaders {
    std::string_view architecture;
    std::array<std::string_view, 4> glibc;  // where distributions put the glibc loader
    std::string_view musl;                  // musl's loader, always in /lib (and /usr/lib on merged-/usr)
};
constexpr std::array<Loaders, 2> kLoaders{{
    {"amd64",
     {"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "/usr/lib64/ld-linux-x86-64.so.2",
      "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
     "ld-musl-x86_64.so.1"},
    {"arm64",
     {"/lib/ld-linux-aarch64.so.1", "/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", "/usr/lib/ld-linux-aarch64.so.1",
      "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"},
     "ld-musl-aarch64.so.1"},
}};
}  // namespace

std::vector<std::string> detect_libc_features(std::string_view architecture,
                                              const std::function<bool(const fs::path&)>& exists) {
    std::vector<std::string> out;
    for (const Loaders& l : kLoaders) {
        if (l.architecture != architecture) continue;
        if (std::any_of(l.glibc.begin(), l.glibc.end(), [&](std::string_view p) { return exists(fs::path(p)); }))
            out.emplace_back("libc.glibc");
        if (exists(fs::path("/lib") / l.musl) || exists(fs::path("/usr/lib") / l.musl)) out.emplace_back("libc.musl");
    }
    return out;  // "libc.glibc" < "libc.musl": already sorted
}

Result<oci::Platform> host_platform() {
    oci::Platform p;
#if defined(__linux__)
    p.os = "linux";
#elif defined(__APPLE__)
    p.os = "darwin";
#else
    return make_error(ErrorKind::data, "cannot tell this host's operating system; pass -p PLATFORM");
#endif
    utsname u{};
    if (::uname(&u) != 0)
        return make_error(ErrorKind::data, "cannot tell this host's architecture (uname failed); pass -p PLATFORM");
    p.architecture = architecture_from_machine(u.machine);
    if (p.architecture.empty())
        return make_error(ErrorKind::data, "this host's architecture \"" + std::string(u.machine) +
                                               "\" is not one ocx-release knows; pass -p PLATFORM");
    if (p.os == "linux")
        p.features = detect_libc_features(p.architecture, [](const fs::path& path) {
            std::error_code ec;
            return fs::exists(path, ec);
        });
    return p;
}

Result<oci::Platform> required_platform(std::string_view text) {
    if (text.empty()) return host_platform();
    auto p = oci::Platform::parse(text);
    if (!p) return std::move(p).error().context("-p");
    return p;
}

}  // namespace ocx::install
