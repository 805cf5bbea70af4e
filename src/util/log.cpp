#include "util/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "util/escape.hpp"
#include "util/redact.hpp"

namespace ocx::log {

namespace {
std::atomic<Level> g_level{Level::normal};
std::mutex g_mutex;
std::string g_status;  // the live line currently drawn, "" when none

void emit(std::string_view prefix, std::string_view message) {
    std::string line(prefix);
    // Outside text is escaped where it is quoted (util/escape.hpp); this is the last guard: no
    // control character and no workflow-command line reaches the log, whoever built the message.
    line += escape_message(redact(message));
    line += '\n';
    std::lock_guard lock(g_mutex);
    if (!g_status.empty()) line = "\r\033[K" + line + g_status;
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}
}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }

void error(std::string_view message) { emit("error: ", message); }
void warn(std::string_view message) {
    if (g_level >= Level::normal) emit("warning: ", message);
}
void info(std::string_view message) {
    if (g_level >= Level::normal) emit("", message);
}
void verbose(std::string_view message) {
    if (g_level >= Level::verbose) emit("", message);
}
void set_status(std::string_view text) {
    std::string status = escape_text(redact(text), 200);
    std::lock_guard lock(g_mutex);
    std::string out = "\r\033[K" + status;
    g_status = status;
    std::fwrite(out.data(), 1, out.size(), stderr);
    std::fflush(stderr);
}

void debug(std::string_view message) {
    if (g_level >= Level::debug) emit("debug: ", message);
}

}  // namespace ocx::log
