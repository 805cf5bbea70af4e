#pragma once
// Limits on what unpacking a package may produce, against decompression bombs (a 514 KiB .tar.xz
// of zeros unpacks to 2 GiB; a few KiB of xz hold a million empty members). Counted while
// reading: a member's declared size is added before any of its bytes are written, so a limit
// stops the walk (push's archive check) or the extraction (install, exec's cache) at the first
// member that would cross it.
//
// The default byte limit follows the archive: max(kUnpackFloor, kUnpackRatio × compressed
// bytes). Real packages unpack to a few times their xz size — measured with `tar | xz -3` on
// Debian 12: /usr/lib/gcc 3.7×, /usr/share/doc 2.4×, /usr/include (all text) 12.1×; a gcc 12
// bundle 3.9× (docs/performance.md) — so 100× leaves nearly an order of magnitude above plain
// headers for padded data, and scales to any toolchain (a 1 GiB archive may unpack to 100 GiB).
// The 1 GiB floor keeps small packages with odd ratios working (under 10 MiB of xz the ratio
// alone would allow less) and bounds what any bomb can cost: the 514 KiB bomb above is refused. A million members is more
// than any toolchain we know ships (an LLVM install is ~10k files, a full SDK a few 100k) and keeps the extractor's path map
// to some 100 MiB.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ocx::bundle {

inline constexpr std::uint64_t kUnpackFloor = 1ull << 30;
inline constexpr std::uint64_t kUnpackRatio = 100;
inline constexpr std::uint64_t kDefaultMaxEntries = 1'000'000;

struct UnpackLimits {
    std::optional<std::uint64_t> max_bytes;          // regular file bytes; nullopt: the default rule above
    std::uint64_t max_entries = kDefaultMaxEntries;  // members, of every type
};

/// The unpacked-byte limit for archives of `compressed` bytes in all.
std::uint64_t max_unpacked_bytes(const UnpackLimits& limits, std::uint64_t compressed);

/// Checks one more member of `size` declared bytes, after `entries` members and `bytes` bytes
/// before it (both updated on success). ErrorKind::data saying which limit is hit and how to
/// raise it; the caller prefixes the archive and member.
Status count_member(const UnpackLimits& limits, std::uint64_t compressed, std::uint64_t size, std::uint64_t& entries,
                    std::uint64_t& bytes);

/// Checks a whole archive of `compressed` bytes holding `entries` members and `bytes` file bytes,
/// as its extraction will count it (a bundle `create` just wrote, before it is published): the
/// same messages as count_member.
Status check_totals(const UnpackLimits& limits, std::uint64_t compressed, std::uint64_t entries, std::uint64_t bytes);

/// A byte count: digits with an optional binary unit K, M, G or T (also KiB, MiB, GiB, TiB; case
/// ignored): "4G" is 4 GiB. ErrorKind::usage for anything else or 0.
Result<std::uint64_t> parse_size(std::string_view text);

/// "4 GiB", "512 MiB", "123 bytes" — the largest unit that divides `bytes` exactly.
std::string size_text(std::uint64_t bytes);

}  // namespace ocx::bundle
