#pragma once
// Progress for people on stderr. On an interactive terminal one live line shows every running
// task (bundling, uploading) with bytes and rate, redrawn at most ten times a second and cleared
// before any log line; in CI logs (not a TTY, CI set, TERM=dumb or NO_COLOR) nothing live is
// drawn and each finished step prints one plain line through log::info instead.

#include <cstdint>
#include <string>

namespace ocx::progress {

/// True when a live line is drawn (stderr is a TTY, not CI, TERM is not dumb, NO_COLOR unset,
/// and the log level is normal or above).
bool live();

/// A running task on the live line; removed from it when destroyed.
class Task {
public:
    Task(std::string label, std::uint64_t total = 0);
    ~Task();
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;

    /// Bytes done so far (thread-safe; cheap when not live).
    void update(std::uint64_t done);

private:
    int id_;
};

}  // namespace ocx::progress
