#pragma once
// Progress for people on stderr: one display for a whole run (a release's platforms bundle and
// upload in parallel), fed with byte counts by the bundle writer and the blob uploads through
// Task, a small handle that knows nothing about terminals.
//  * tty:   one live line, redrawn in place at most ten times a second ("\r\033[K", through
//           log::set_status so log lines clear and redraw it): per platform what it is doing and
//           how far, then totals, percentage, rate and ETA.
//  * plain: for CI logs. Steps print their own one-line messages (log::info); besides, while
//           work is running, a "progress: …" line with percentage, bytes and rate at least every
//           `interval` (default 10 s), from a ticker thread so a stalled step still shows up.
//  * none:  nothing (-q, --progress none).
// `--progress auto` is tty when stderr is a terminal and TERM is not "dumb", else plain.
// The formatting half (Snapshot, render_*, PlainSchedule) is pure, for unit tests.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ocx::progress {

enum class Mode { none, plain, tty };
enum class Phase { bundle, upload };

/// Parses --progress: "auto" resolves with `stderr_is_terminal` and `term` ($TERM, may be null).
Result<Mode> parse_mode(std::string_view text, bool stderr_is_terminal, const char* term);

/// What the running process shows: stderr's terminal-ness and $TERM for "auto".
Result<Mode> mode_for_flag(std::string_view text);

/// Starts the display (none until called). Plain mode starts a ticker that prints a progress
/// line whenever `interval` passed without one while tasks run.
void start(Mode mode, std::chrono::milliseconds interval = std::chrono::seconds(10));
/// Stops the ticker and clears the live line. Safe to call when not started.
void stop();
/// The started mode (Mode::none before start()).
Mode mode();

/// Announces work before it starts, so totals and percentages cover the whole run: `bytes` of
/// `phase` for `item` (a platform, or an archive name). Announcing again replaces the figure
/// (an upload's real size once its bundle is made).
void expect(const std::string& item, Phase phase, std::uint64_t bytes);

/// One running step of an item (thread-safe). Reports bytes done so far; on destruction the
/// step counts as finished with what it reported.
class Task {
public:
    Task(std::string item, Phase phase, std::uint64_t total = 0);
    ~Task();
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;

    /// Bytes done so far of this step (may go back: a retried upload starts over).
    void update(std::uint64_t done);

private:
    std::string item_;
    Phase phase_;
    bool active_;
};

// -- the pure half ------------------------------------------------------------------------------

struct Counter {
    std::uint64_t done = 0;
    std::uint64_t total = 0;
};

struct ItemState {
    std::string name;
    Counter bundle, upload;
    std::optional<Phase> running;  // the step under way, if any
};

struct Snapshot {
    std::vector<ItemState> items;  // in the order they were announced
    double elapsed_seconds = 0;
};

/// Done and total bytes over every item and phase.
Counter totals(const Snapshot& s);
/// Percentage done (0–100; 0 when nothing is known yet).
int percent(const Snapshot& s);
/// Bytes per second so far.
double rate(const Snapshot& s);
/// Seconds left at the rate so far; nullopt when not estimable yet.
std::optional<double> eta_seconds(const Snapshot& s);

/// The live line: "linux/amd64 bundle 40% | darwin/arm64 upload 1.2/3.4 MiB | 37% 12.3 MiB/s ETA 8s".
std::string render_tty(const Snapshot& s);
/// The CI line: "progress: 37% (45.6 MiB of 123 MiB, 12.3 MiB/s, ETA 8s); bundling linux/amd64, uploading darwin/arm64".
std::string render_plain(const Snapshot& s);

/// When plain progress lines are due: one `interval` after the previous one (or the start).
class PlainSchedule {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    PlainSchedule(std::chrono::milliseconds interval, TimePoint start) : interval_(interval), last_(start) {}
    /// True when a line is due at `now`; then it counts as printed.
    bool due(TimePoint now);
    /// The moment the next line falls due.
    TimePoint next() const { return last_ + interval_; }

private:
    std::chrono::milliseconds interval_;
    TimePoint last_;
};

}  // namespace ocx::progress
