#pragma once
// The platform of the machine ocx-release runs on, as the requirement for platform selection
// (install/select.hpp): os and architecture from the build target and uname(2), plus the libc
// families the host can run as os.features (Linux only).
//
// Libc detection looks for the dynamic loaders on disk, at the fixed paths glibc and musl
// install them for the host's architecture (e.g. /lib64/ld-linux-x86-64.so.2 or
// /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 for glibc, /lib/ld-musl-x86_64.so.1 for musl).
// Both found (a host with musl-tools) means both features, as OCX does; none found (NixOS without
// nix-ld, a static-only container) means none, so only entries without libc features match and
// `-p` has to say more. We do not ask our own libc (gnu_get_libc_version): that tells how this
// binary was linked, not what the host can run; nor do we run `ldd`: no subprocesses here.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/platform.hpp"
#include "util/result.hpp"

namespace ocx::install {

/// OCI architecture name for a uname(2) machine string ("x86_64" -> "amd64"); "" when unsupported.
std::string architecture_from_machine(std::string_view machine);

/// The libc features ("libc.glibc", "libc.musl", sorted) a Linux host of `architecture` offers,
/// deciding by `exists` on the loader paths (see the file comment). Pure given `exists`.
std::vector<std::string> detect_libc_features(std::string_view architecture,
                                              const std::function<bool(const std::filesystem::path&)>& exists);

/// The host platform with its libc features; ErrorKind::data when the host is not a supported
/// os/arch pair (the message says to pass -p).
Result<oci::Platform> host_platform();

/// The requirement for selection: `text` parsed when given (its features then stand for the
/// host's), else host_platform().
Result<oci::Platform> required_platform(std::string_view text);

}  // namespace ocx::install
