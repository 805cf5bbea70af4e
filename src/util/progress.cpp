#include "util/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "util/log.hpp"
#include "util/units.hpp"

namespace ocx::progress {

namespace {
using Clock = std::chrono::steady_clock;

std::string_view phase_word(Phase p) { return p == Phase::bundle ? "bundle" : "upload"; }
std::string_view phase_verb(Phase p) { return p == Phase::bundle ? "bundling" : "uploading"; }

Counter& counter(ItemState& item, Phase p) { return p == Phase::bundle ? item.bundle : item.upload; }
const Counter& counter(const ItemState& item, Phase p) { return p == Phase::bundle ? item.bundle : item.upload; }

// The display of this process: one, shared by every thread.
struct Display {
    std::mutex mutex;
    std::condition_variable wake;
    Mode mode = Mode::none;
    std::chrono::milliseconds interval{10'000};
    Snapshot state;
    Clock::time_point start{};
    Clock::time_point last_draw{};
    int running = 0;  // tasks under way
    bool stopping = false;
    std::thread ticker;

    ItemState& item(const std::string& name) {
        for (auto& i : state.items)
            if (i.name == name) return i;
        state.items.push_back(ItemState{name, {}, {}, std::nullopt});
        return state.items.back();
    }
    Snapshot snapshot_locked() {
        Snapshot s = state;
        s.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
        return s;
    }
    void draw_locked(bool force) {
        if (mode != Mode::tty) return;
        const auto now = Clock::now();
        if (!force && now - last_draw < std::chrono::milliseconds(100)) return;
        last_draw = now;
        log::set_status(running > 0 ? render_tty(snapshot_locked()) : std::string());
    }
    void tick() {
        std::unique_lock lock(mutex);
        PlainSchedule schedule(interval, Clock::now());
        while (!stopping) {
            wake.wait_until(lock, schedule.next(), [&] { return stopping; });
            if (stopping) break;
            if (schedule.due(Clock::now()) && running > 0) {
                const std::string line = render_plain(snapshot_locked());
                lock.unlock();
                log::info(line);
                lock.lock();
            }
        }
    }
};

Display& display() {
    static Display d;
    return d;
}
}  // namespace

Result<Mode> parse_mode(std::string_view text, bool stderr_is_terminal, const char* term) {
    if (text == "none") return Mode::none;
    if (text == "plain") return Mode::plain;
    if (text == "tty") return Mode::tty;
    if (text == "auto") {
        const bool dumb = term == nullptr || std::strcmp(term, "dumb") == 0 || term[0] == '\0';
        return stderr_is_terminal && !dumb ? Mode::tty : Mode::plain;
    }
    return make_error(ErrorKind::usage, "--progress: expected auto, tty, plain or none, got \"" + std::string(text) + "\"");
}

Result<Mode> mode_for_flag(std::string_view text) {
    return parse_mode(text, ::isatty(STDERR_FILENO) != 0, std::getenv("TERM"));
}

void start(Mode m, std::chrono::milliseconds interval) {
    stop();
    auto& d = display();
    std::lock_guard lock(d.mutex);
    d.mode = m;
    d.interval = interval;
    d.state = Snapshot{};
    d.start = Clock::now();
    d.stopping = false;
    if (m == Mode::plain) d.ticker = std::thread([&d] { d.tick(); });
}

void stop() {
    auto& d = display();
    std::thread ticker;
    {
        std::lock_guard lock(d.mutex);
        d.stopping = true;
        ticker = std::move(d.ticker);
        if (d.mode == Mode::tty) log::set_status("");
        d.mode = Mode::none;
    }
    d.wake.notify_all();
    if (ticker.joinable()) ticker.join();
}

Mode mode() {
    auto& d = display();
    std::lock_guard lock(d.mutex);
    return d.mode;
}

void expect(const std::string& name, Phase phase, std::uint64_t bytes) {
    auto& d = display();
    std::lock_guard lock(d.mutex);
    if (d.mode == Mode::none) return;
    counter(d.item(name), phase).total = bytes;
}

Task::Task(std::string item, Phase phase, std::uint64_t total) : item_(std::move(item)), phase_(phase), active_(false) {
    auto& d = display();
    std::lock_guard lock(d.mutex);
    if (d.mode == Mode::none) return;
    active_ = true;
    ItemState& it = d.item(item_);
    it.running = phase_;
    Counter& c = counter(it, phase_);
    if (total != 0) c.total = total;
    c.done = 0;
    ++d.running;
    d.draw_locked(true);
}

Task::~Task() {
    if (!active_) return;
    auto& d = display();
    std::lock_guard lock(d.mutex);
    ItemState& it = d.item(item_);
    if (it.running == phase_) it.running.reset();
    Counter& c = counter(it, phase_);
    // Finished: what it did is the whole of it (a bundle's input size was an estimate).
    c.total = std::max(c.total, c.done);
    if (c.done < c.total) c.done = c.total;
    --d.running;
    d.draw_locked(true);
}

void Task::update(std::uint64_t done) {
    if (!active_) return;
    auto& d = display();
    std::lock_guard lock(d.mutex);
    Counter& c = counter(d.item(item_), phase_);
    c.done = done;
    if (c.total != 0 && c.done > c.total) c.total = c.done;
    d.draw_locked(false);
}

// -- the pure half ------------------------------------------------------------------------------

namespace {
// A step running without a known size (create's bundle): no percentage can be given.
bool size_unknown(const Snapshot& s) {
    for (const auto& i : s.items)
        if (i.running && counter(i, *i.running).total == 0) return true;
    return false;
}
}  // namespace

Counter totals(const Snapshot& s) {
    Counter t;
    for (const auto& i : s.items) {
        t.done += i.bundle.done + i.upload.done;
        t.total += std::max(i.bundle.total, i.bundle.done) + std::max(i.upload.total, i.upload.done);
    }
    return t;
}

int percent(const Snapshot& s) {
    const Counter t = totals(s);
    if (t.total == 0 || size_unknown(s)) return 0;
    return static_cast<int>(std::min<std::uint64_t>(100, t.done * 100 / t.total));
}

double rate(const Snapshot& s) {
    if (s.elapsed_seconds <= 0) return 0;
    return static_cast<double>(totals(s).done) / s.elapsed_seconds;
}

std::optional<double> eta_seconds(const Snapshot& s) {
    const Counter t = totals(s);
    const double r = rate(s);
    if (t.total == 0 || t.done == 0 || r <= 0 || s.elapsed_seconds < 1 || size_unknown(s)) return std::nullopt;
    return static_cast<double>(t.total - std::min(t.done, t.total)) / r;
}

namespace {
std::string fraction(const Counter& c) {
    if (c.total == 0) return human_bytes(c.done);
    return std::to_string(std::min<std::uint64_t>(100, c.done * 100 / c.total)) + "% of " + human_bytes(c.total);
}

std::string summary(const Snapshot& s) {
    const Counter t = totals(s);
    if (t.total == 0 || size_unknown(s)) return human_bytes(t.done) + " (" + human_rate(rate(s)) + ")";
    std::string out = std::to_string(percent(s)) + "% (" + human_bytes(t.done) + " of " + human_bytes(t.total) + ", " +
                      human_rate(rate(s));
    if (const auto eta = eta_seconds(s)) out += ", ETA " + human_duration(*eta);
    return out + ")";
}
}  // namespace

std::string render_tty(const Snapshot& s) {
    std::string line;
    for (const auto& i : s.items) {
        if (!i.running) continue;
        if (!line.empty()) line += " | ";
        line += i.name + " " + std::string(phase_word(*i.running)) + " " + fraction(counter(i, *i.running));
    }
    if (!line.empty()) line += " | ";
    return line + "total " + summary(s);
}

std::string render_plain(const Snapshot& s) {
    std::string line = "progress: " + summary(s);
    std::string running;
    for (const auto& i : s.items)
        if (i.running) running += (running.empty() ? "" : ", ") + std::string(phase_verb(*i.running)) + " " + i.name;
    if (!running.empty()) line += "; " + running;
    return line;
}

bool PlainSchedule::due(TimePoint now) {
    if (now < last_ + interval_) return false;
    last_ = now;
    return true;
}

}  // namespace ocx::progress
