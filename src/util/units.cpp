#include "util/units.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace ocx {

namespace {
std::string format_scaled(double value, int unit) {
    static constexpr std::array<const char*, 5> kUnits{"B", "KiB", "MiB", "GiB", "TiB"};
    char buf[32];
    if (unit == 0)
        std::snprintf(buf, sizeof buf, "%.0f %s", value, kUnits[0]);
    else if (unit >= 3)
        std::snprintf(buf, sizeof buf, "%.2f %s", value, kUnits[static_cast<std::size_t>(unit)]);
    else if (value < 99.95)
        std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[static_cast<std::size_t>(unit)]);
    else
        std::snprintf(buf, sizeof buf, "%.0f %s", value, kUnits[static_cast<std::size_t>(unit)]);
    return buf;
}

std::string scaled(double value) {
    int unit = 0;
    // 1023.96 KiB would print as "1024.0 KiB": move up once the rounded value reaches 1024.
    while (unit < 4 && value >= 1023.95) {
        value /= 1024;
        ++unit;
    }
    return format_scaled(value, unit);
}
}  // namespace

std::string human_bytes(std::uint64_t bytes) { return scaled(static_cast<double>(bytes)); }

std::string human_rate(double bytes_per_second) {
    if (!(bytes_per_second >= 0) || std::isinf(bytes_per_second)) bytes_per_second = 0;
    return scaled(bytes_per_second) + "/s";
}

std::string human_duration(double seconds) {
    if (!(seconds >= 0) || std::isinf(seconds)) seconds = 0;
    const auto total = static_cast<std::uint64_t>(seconds);
    char buf[32];
    if (total < 60)
        std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(total));
    else if (total < 3600)
        std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(total / 60),
                      static_cast<unsigned long long>(total % 60));
    else
        std::snprintf(buf, sizeof buf, "%lluh%02llum", static_cast<unsigned long long>(total / 3600),
                      static_cast<unsigned long long>(total % 3600 / 60));
    return buf;
}

}  // namespace ocx
