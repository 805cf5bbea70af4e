#include "util/progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "util/log.hpp"

namespace ocx::progress {

namespace {
using Clock = std::chrono::steady_clock;

struct Entry {
    std::string label;
    std::uint64_t total = 0;
    std::uint64_t done = 0;
    Clock::time_point start = Clock::now();
};

struct State {
    std::mutex mutex;
    std::map<int, Entry> tasks;
    int next_id = 0;
    Clock::time_point last_draw{};
};

State& state() {
    static State s;
    return s;
}

bool detect_live() {
    if (::isatty(STDERR_FILENO) == 0) return false;
    const char* term = std::getenv("TERM");
    if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
    if (std::getenv("NO_COLOR") != nullptr || std::getenv("CI") != nullptr) return false;
    return true;
}

std::string human(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB"};
    int u = 0;
    while (bytes >= 1024 && u < 3) {
        bytes /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    return buf;
}

std::string render(const State& s) {
    std::string line;
    auto now = Clock::now();
    for (const auto& [id, e] : s.tasks) {
        if (!line.empty()) line += " | ";
        double secs = std::chrono::duration<double>(now - e.start).count();
        line += e.label + " " + human(static_cast<double>(e.done));
        if (e.total != 0) line += "/" + human(static_cast<double>(e.total));
        if (secs > 0.2) line += " " + human(static_cast<double>(e.done) / secs) + "/s";
    }
    return line;
}

void draw(State& s, bool force) {
    auto now = Clock::now();
    if (!force && now - s.last_draw < std::chrono::milliseconds(100)) return;
    s.last_draw = now;
    log::set_status(render(s));
}
}  // namespace

bool live() {
    static const bool is_live = detect_live();
    return is_live && log::level() >= log::Level::normal;
}

Task::Task(std::string label, std::uint64_t total) : id_(-1) {
    if (!live()) return;
    auto& s = state();
    std::lock_guard lock(s.mutex);
    id_ = s.next_id++;
    s.tasks[id_] = Entry{std::move(label), total, 0, Clock::now()};
    draw(s, true);
}

Task::~Task() {
    if (id_ < 0) return;
    auto& s = state();
    std::lock_guard lock(s.mutex);
    s.tasks.erase(id_);
    draw(s, true);
}

void Task::update(std::uint64_t done) {
    if (id_ < 0) return;
    auto& s = state();
    std::lock_guard lock(s.mutex);
    s.tasks[id_].done = done;
    draw(s, false);
}

}  // namespace ocx::progress
