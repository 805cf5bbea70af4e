#pragma once
// Numbers for people: byte counts in binary units, rates and durations, as the summary and the
// progress display print them. Pure functions, no locale (a '.' decimal point everywhere).

#include <cstdint>
#include <string>

namespace ocx {

/// "0 B", "999 B", "1.0 KiB", "12.3 MiB", "1.50 GiB": one decimal below 100 of a unit, none above
/// ("123 MiB"); GiB keeps two decimals (release sizes live there).
std::string human_bytes(std::uint64_t bytes);

/// human_bytes per second: "12.3 MiB/s".
std::string human_rate(double bytes_per_second);

/// "0s", "42s", "3m05s", "1h02m": for ETAs and elapsed times (rounded down to whole seconds).
std::string human_duration(double seconds);

}  // namespace ocx
