// Unpack limits (see limits.hpp).
#include "bundle/limits.hpp"

#include "bundle/names.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace ocx::bundle {

std::uint64_t max_unpacked_bytes(const UnpackLimits& limits, std::uint64_t compressed) {
    if (limits.max_bytes) return *limits.max_bytes;
    if (compressed > std::numeric_limits<std::uint64_t>::max() / kUnpackRatio)
        return std::numeric_limits<std::uint64_t>::max();
    return std::max(kUnpackFloor, kUnpackRatio * compressed);
}

Status count_member(const UnpackLimits& limits, std::uint64_t compressed, std::uint64_t size, std::uint64_t& entries,
                    std::uint64_t& bytes) {
    if (entries >= limits.max_entries)
        return make_error(ErrorKind::data, "more than " + std::to_string(limits.max_entries) +
                                               " members, the limit for unpacking (raise it with --max-entries or "
                                               "OCX_RELEASE_MAX_ENTRIES)");
    const std::uint64_t max = max_unpacked_bytes(limits, compressed);
    if (size > max || bytes > max - size) {
        const std::string rule = limits.max_bytes
                                     ? std::string("the limit set")
                                     : "the limit for " + std::to_string(compressed) + " compressed bytes: the larger of " +
                                           size_text(kUnpackFloor) + " and " + std::to_string(kUnpackRatio) + " times that";
        return make_error(ErrorKind::data, "unpacks to more than " + size_text(max) + ", " + rule +
                                               " (raise it with --max-unpacked-size or OCX_RELEASE_MAX_UNPACKED)");
    }
    ++entries;
    bytes += size;
    return {};
}

Status check_totals(const UnpackLimits& limits, std::uint64_t compressed, std::uint64_t entries, std::uint64_t bytes) {
    // count_member for one more member past entries - 1, holding all the bytes.
    std::uint64_t counted = entries > limits.max_entries ? limits.max_entries : 0;
    std::uint64_t sum = 0;
    return count_member(limits, compressed, bytes, counted, sum);
}

Result<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t value = 0;
    const char* begin = text.data();
    const char* end = text.data() + text.size();
    auto [rest, ec] = std::from_chars(begin, end, value);
    std::string unit;
    for (const char* p = rest; p != end; ++p) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(*p)));
    unsigned shift = 0;
    if (unit.empty() || unit == "b")
        shift = 0;
    else if (unit == "k" || unit == "kib")
        shift = 10;
    else if (unit == "m" || unit == "mib")
        shift = 20;
    else if (unit == "g" || unit == "gib")
        shift = 30;
    else if (unit == "t" || unit == "tib")
        shift = 40;
    else
        ec = std::errc::invalid_argument;
    if (ec != std::errc() || rest == begin || value == 0 || value > (std::numeric_limits<std::uint64_t>::max() >> shift))
        return make_error(ErrorKind::usage, quote_name(text) +
                                                " is not a size (a positive number of bytes, or with K, M, "
                                                "G or T: 4G)");
    return value << shift;
}

std::string size_text(std::uint64_t bytes) {
    static constexpr const char* kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    std::size_t unit = 0;
    while (unit + 1 < std::size(kUnits) && bytes >= 1024 && bytes % 1024 == 0) {
        bytes /= 1024;
        ++unit;
    }
    return std::to_string(bytes) + " " + kUnits[unit];
}

}  // namespace ocx::bundle
