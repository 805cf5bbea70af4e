#pragma once
// Retrying transient failures: exponential backoff with full jitter ("Exponential Backoff And
// Jitter": delay = uniform(0, min(cap, base * 2^n))), a server's Retry-After honoured as a floor,
// bounded by a number of attempts and by a retry window. Time, sleeping and randomness come from
// an injected RetryClock so unit tests neither sleep nor depend on chance.
//
// Only ErrorKind::transient errors are retried (docs/cli.md, "Exit codes": 75 = retrying may help);
// everything else is returned at once. The window opens at the first failure, not at the start:
// a 1 GiB upload that takes three minutes and then hits a reset still gets its retries, while a
// registry that keeps failing is given up on about two minutes after trouble began.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "util/result.hpp"

namespace ocx {

struct RetryPolicy {
    int max_attempts = 5;                            // attempts in all, the first included
    std::chrono::milliseconds initial_delay{500};    // backoff base (first retry waits up to this)
    std::chrono::milliseconds max_delay{30'000};     // cap of one backoff step (not of Retry-After)
    std::chrono::milliseconds max_elapsed{120'000};  // retry window, from the first failure
};

/// The seams a retry loop touches: a monotonic clock, a sleeper and a jitter source in [0, 1).
struct RetryClock {
    std::function<std::chrono::steady_clock::time_point()> now;
    std::function<void(std::chrono::milliseconds)> sleep;
    std::function<double()> uniform;

    /// steady_clock, std::this_thread::sleep_for and a per-thread Mersenne twister.
    static RetryClock system();
};

/// What a failed attempt tells the loop beyond its Error.
struct RetryHint {
    std::optional<std::chrono::milliseconds> retry_after;  // the server's Retry-After, if sent
    bool final = false;  // this failure must not be retried (e.g. bytes already reached a sink)
};

/// Decides after each failed attempt whether to try again and how long to wait first.
class Backoff {
public:
    Backoff(const RetryPolicy& policy, const RetryClock& clock) : policy_(policy), clock_(clock) {}

    /// Records a failed attempt; returns the delay before the next one, or nullopt to give up
    /// (then give_up_reason() says why, e.g. "after 5 attempts").
    std::optional<std::chrono::milliseconds> next(const RetryHint& hint);
    /// Attempts recorded so far.
    int attempts() const { return attempts_; }
    const std::string& give_up_reason() const { return reason_; }

private:
    RetryPolicy policy_;
    const RetryClock& clock_;
    int attempts_ = 0;
    std::optional<std::chrono::steady_clock::time_point> first_failure_;
    std::string reason_;
};

/// "1.5 s", "250 ms" — for log lines and messages.
std::string format_delay(std::chrono::milliseconds delay);

/// Logs one retry decision (a warning: CI logs should show that the network misbehaved);
/// `what` is put in front unless the message already starts with it.
void log_retry(std::string_view what, const Error& error, std::chrono::milliseconds delay, int next_attempt,
               int max_attempts);

/// Runs `attempt(RetryHint&)` (returning Result<T>) until it succeeds, fails in a way
/// `worth_retrying(const Error&)` declines, marks its failure final, or the policy gives up.
/// `what` names the operation in logs. A give-up after several attempts (or against a server's
/// Retry-After) appends "(gave up after N attempts)"-style context.
template <class T, class Worth, class Attempt>
Result<T> retry_if(const RetryPolicy& policy, const RetryClock& clock, std::string_view what, Worth&& worth_retrying,
                   Attempt&& attempt) {
    Backoff backoff(policy, clock);
    for (;;) {
        RetryHint hint;
        Result<T> result = attempt(hint);
        if (result.ok()) return result;
        if (!worth_retrying(result.error()) || hint.final) return result;
        std::optional<std::chrono::milliseconds> delay = backoff.next(hint);
        if (!delay) {
            if (backoff.attempts() <= 1 && !hint.retry_after) return result;
            Error error = std::move(result).error();
            error.message += " (gave up " + backoff.give_up_reason() + ")";
            return error;
        }
        log_retry(what, result.error(), *delay, backoff.attempts() + 1, policy.max_attempts);
        clock.sleep(*delay);
    }
}

/// retry_if for ErrorKind::transient failures, the ones retrying may help (docs/cli.md, "Exit codes").
template <class T, class Attempt>
Result<T> retry(const RetryPolicy& policy, const RetryClock& clock, std::string_view what, Attempt&& attempt) {
    return retry_if<T>(
        policy, clock, what, [](const Error& e) { return e.kind == ErrorKind::transient; }, std::forward<Attempt>(attempt));
}

}  // namespace ocx
