#include "util/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "util/redact.hpp"

namespace ocx::log {

namespace {
std::atomic<Level> g_level{Level::normal};
std::mutex g_mutex;

void emit(std::string_view prefix, std::string_view message) {
    std::string line(prefix);
    line += redact(message);
    line += '\n';
    std::lock_guard lock(g_mutex);
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
void debug(std::string_view message) {
    if (g_level >= Level::debug) emit("debug: ", message);
}

}  // namespace ocx::log
