#include "util/retry.hpp"

#include <algorithm>
#include <cstdio>
#include <random>
#include <thread>

#include "util/log.hpp"

namespace ocx {

using std::chrono::milliseconds;

RetryClock RetryClock::system() {
    RetryClock clock;
    clock.now = [] { return std::chrono::steady_clock::now(); };
    clock.sleep = [](milliseconds delay) { std::this_thread::sleep_for(delay); };
    clock.uniform = [] {
        thread_local std::mt19937_64 engine{std::random_device{}()};
        return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    };
    return clock;
}

std::optional<milliseconds> Backoff::next(const RetryHint& hint) {
    ++attempts_;
    const auto now = clock_.now();
    if (!first_failure_) first_failure_ = now;
    if (attempts_ >= policy_.max_attempts) {
        reason_ = "after " + std::to_string(attempts_) + (attempts_ == 1 ? " attempt" : " attempts");
        return std::nullopt;
    }

    // Full jitter: uniform in [0, min(cap, base * 2^(n-1))]. The shift is bounded so it cannot overflow.
    const int shift = std::min(attempts_ - 1, 30);
    const auto ceiling = std::min(policy_.max_delay, policy_.initial_delay * (std::int64_t{1} << shift));
    double u = clock_.uniform();
    u = std::clamp(u, 0.0, 1.0);
    auto delay = milliseconds(static_cast<std::int64_t>(u * static_cast<double>(ceiling.count())));
    // Retry-After is a floor: the server knows better than our schedule when it will take requests.
    if (hint.retry_after) delay = std::max(delay, *hint.retry_after);

    const auto elapsed = std::chrono::duration_cast<milliseconds>(now - *first_failure_);
    if (elapsed + delay > policy_.max_elapsed) {
        if (hint.retry_after && *hint.retry_after > policy_.max_elapsed - elapsed)
            reason_ = "after " + std::to_string(attempts_) + (attempts_ == 1 ? " attempt" : " attempts") +
                      ": the registry asked to wait " + format_delay(*hint.retry_after) + ", beyond the " +
                      format_delay(policy_.max_elapsed) + " retry window";
        else
            reason_ = "after " + std::to_string(attempts_) + " attempts in " + format_delay(elapsed) + ": retry window of " +
                      format_delay(policy_.max_elapsed) + " used up";
        return std::nullopt;
    }
    return delay;
}

std::string format_delay(milliseconds delay) {
    if (delay < milliseconds(1000)) return std::to_string(delay.count()) + " ms";
    char buf[32];
    const double seconds = static_cast<double>(delay.count()) / 1000.0;
    if (delay.count() % 1000 == 0)
        std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(delay.count() / 1000));
    else
        std::snprintf(buf, sizeof buf, "%.1f s", seconds);
    return buf;
}

void log_retry(std::string_view what, const Error& error, milliseconds delay, int next_attempt, int max_attempts) {
    // Messages usually start with the operation already ("PUT manifest …: HTTP 503"); say it once.
    const bool named = error.message.compare(0, what.size(), what) == 0;
    log::warn((named ? std::string() : std::string(what) + ": ") + error.message + "; retrying in " + format_delay(delay) +
              " (attempt " + std::to_string(next_attempt) + " of " + std::to_string(max_attempts) + ")");
}

}  // namespace ocx
