#pragma once
// Human output goes to stderr, always through these functions, so every line is redacted at
// formatting time (util/redact.hpp). stdout is reserved for machine output (--format json, --report -).

#include <string_view>

namespace ocx::log {

enum class Level { quiet = 0, normal = 1, verbose = 2, debug = 3 };

void set_level(Level level);
Level level();

/// "error: <msg>" — shown at every level.
void error(std::string_view message);
/// "warning: <msg>" — hidden by --quiet.
void warn(std::string_view message);
/// A plain progress/status line — hidden by --quiet.
void info(std::string_view message);
/// Extra detail for -v.
void verbose(std::string_view message);
/// Wire-level detail for -vv (requests, statuses).
void debug(std::string_view message);

/// Sets the live status line (terminal only; util/progress.hpp decides when). Log lines clear it
/// before printing and redraw it after. An empty text removes it.
void set_status(std::string_view text);

}  // namespace ocx::log
