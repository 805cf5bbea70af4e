#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <vector>

#include "util/log.hpp"
#include "util/retry.hpp"

using namespace ocx;
using std::chrono::milliseconds;

namespace {

// A clock that only moves when the code under test sleeps; records every sleep.
struct FakeClock {
    std::chrono::steady_clock::time_point t{};
    std::vector<milliseconds> sleeps;
    double jitter = 1.0;  // fraction of the backoff ceiling returned by uniform()

    RetryClock seam() {
        RetryClock c;
        c.now = [this] { return t; };
        c.sleep = [this](milliseconds d) {
            sleeps.push_back(d);
            t += d;
        };
        c.uniform = [this] { return jitter; };
        return c;
    }
};

struct QuietLog {
    log::Level saved = log::level();
    QuietLog() { log::set_level(log::Level::quiet); }
    ~QuietLog() { log::set_level(saved); }
};

Error transient(std::string m) { return make_error(ErrorKind::transient, std::move(m)); }

}  // namespace

TEST_CASE("backoff grows exponentially with full jitter, capped") {
    FakeClock fake;
    RetryClock clock = fake.seam();
    RetryPolicy policy;
    policy.max_attempts = 10;
    policy.initial_delay = milliseconds(100);
    policy.max_delay = milliseconds(1000);
    policy.max_elapsed = milliseconds(1'000'000);
    Backoff backoff(policy, clock);

    SUBCASE("the ceiling doubles until the cap") {
        std::vector<milliseconds> delays;
        for (int i = 0; i < 6; ++i) delays.push_back(*backoff.next({}));
        CHECK(delays == std::vector<milliseconds>{milliseconds(100), milliseconds(200), milliseconds(400), milliseconds(800),
                                                  milliseconds(1000), milliseconds(1000)});
    }
    SUBCASE("the delay is a uniform fraction of the ceiling (full jitter)") {
        fake.jitter = 0.25;
        CHECK(*backoff.next({}) == milliseconds(25));
        CHECK(*backoff.next({}) == milliseconds(50));
        fake.jitter = 0.0;
        CHECK(*backoff.next({}) == milliseconds(0));
    }
    SUBCASE("Retry-After is a floor, even above the per-step cap") {
        fake.jitter = 0.5;
        RetryHint hint;
        hint.retry_after = milliseconds(7000);
        CHECK(*backoff.next(hint) == milliseconds(7000));
        hint.retry_after = milliseconds(10);
        CHECK(*backoff.next(hint) == milliseconds(100));  // jitter 0.5 * 200 beats a smaller Retry-After
    }
}

TEST_CASE("backoff gives up by attempts and by the retry window") {
    FakeClock fake;
    RetryClock clock = fake.seam();
    RetryPolicy policy;
    policy.max_attempts = 3;
    policy.initial_delay = milliseconds(1000);
    policy.max_delay = milliseconds(1000);
    policy.max_elapsed = milliseconds(5000);
    Backoff backoff(policy, clock);

    SUBCASE("attempts") {
        CHECK(backoff.next({}).has_value());
        CHECK(backoff.next({}).has_value());
        CHECK_FALSE(backoff.next({}).has_value());
        CHECK(backoff.give_up_reason() == "after 3 attempts");
    }
    SUBCASE("window: time spent in attempts counts") {
        policy.max_attempts = 100;
        Backoff b(policy, clock);
        CHECK(b.next({}).has_value());
        fake.t += milliseconds(4500);  // a slow second attempt
        CHECK_FALSE(b.next({}).has_value());
        CHECK(b.give_up_reason() == "after 2 attempts in 4.5 s: retry window of 5 s used up");
    }
    SUBCASE("a Retry-After beyond the window gives up at once") {
        RetryHint hint;
        hint.retry_after = milliseconds(60'000);
        CHECK_FALSE(backoff.next(hint).has_value());
        CHECK(backoff.give_up_reason() == "after 1 attempt: the registry asked to wait 60 s, beyond the 5 s retry window");
    }
}

TEST_CASE("retry loop") {
    QuietLog quiet;
    FakeClock fake;
    RetryClock clock = fake.seam();
    RetryPolicy policy;
    policy.initial_delay = milliseconds(100);
    int calls = 0;

    SUBCASE("transient failures are retried until success, sleeping in between") {
        Result<int> r = retry<int>(policy, clock, "GET x", [&](RetryHint&) -> Result<int> {
            if (++calls < 3) return transient("HTTP 503");
            return 7;
        });
        REQUIRE(r.ok());
        CHECK(*r == 7);
        CHECK(calls == 3);
        CHECK(fake.sleeps == std::vector<milliseconds>{milliseconds(100), milliseconds(200)});
    }
    SUBCASE("Retry-After from the attempt is honoured") {
        Result<int> r = retry<int>(policy, clock, "GET x", [&](RetryHint& hint) -> Result<int> {
            if (++calls == 1) {
                hint.retry_after = milliseconds(3000);
                return transient("HTTP 429");
            }
            return 1;
        });
        CHECK(r.ok());
        CHECK(fake.sleeps == std::vector<milliseconds>{milliseconds(3000)});
    }
    SUBCASE("attempts are bounded and the error says so") {
        Result<int> r = retry<int>(policy, clock, "GET x", [&](RetryHint&) -> Result<int> {
            ++calls;
            return transient("GET x: connection refused");
        });
        REQUIRE_FALSE(r.ok());
        CHECK(calls == 5);
        CHECK(fake.sleeps.size() == 4);
        CHECK(r.error().kind == ErrorKind::transient);
        CHECK(r.error().message == "GET x: connection refused (gave up after 5 attempts)");
    }
    SUBCASE("non-transient errors are returned at once") {
        Result<int> r = retry<int>(policy, clock, "GET x", [&](RetryHint&) -> Result<int> {
            ++calls;
            return make_error(ErrorKind::permission, "HTTP 403");
        });
        CHECK(calls == 1);
        CHECK(fake.sleeps.empty());
        CHECK(r.error().message == "HTTP 403");
    }
    SUBCASE("a failure marked final is not retried") {
        Result<int> r = retry<int>(policy, clock, "GET x", [&](RetryHint& hint) -> Result<int> {
            ++calls;
            hint.final = true;
            return transient("connection reset after 10 bytes");
        });
        CHECK(calls == 1);
        CHECK(r.error().message == "connection reset after 10 bytes");
    }
    SUBCASE("Status results work too") {
        Status s = retry<void>(policy, clock, "PUT y", [&](RetryHint&) -> Status {
            if (++calls < 2) return transient("reset");
            return {};
        });
        CHECK(s.ok());
        CHECK(calls == 2);
    }
}

TEST_CASE("format_delay") {
    CHECK(format_delay(milliseconds(250)) == "250 ms");
    CHECK(format_delay(milliseconds(2000)) == "2 s");
    CHECK(format_delay(milliseconds(1500)) == "1.5 s");
}

TEST_CASE("log_retry names the operation once") {
    // The log writes to stderr: point fd 2 at a temporary file for the duration.
    log::Level saved = log::level();
    log::set_level(log::Level::normal);
    std::FILE* tmp = std::tmpfile();
    REQUIRE(tmp != nullptr);
    const int saved_fd = ::dup(2);
    ::dup2(::fileno(tmp), 2);
    log_retry("PUT manifest r/x:1", make_error(ErrorKind::transient, "PUT manifest r/x:1: HTTP 503"), milliseconds(1500), 2,
              5);
    log_retry("upload blob b", make_error(ErrorKind::transient, "PATCH u: Connection reset"), milliseconds(20), 3, 5);
    std::fflush(stderr);
    ::dup2(saved_fd, 2);
    ::close(saved_fd);
    log::set_level(saved);
    std::rewind(tmp);
    std::string text;
    char buf[512];
    while (std::fgets(buf, sizeof buf, tmp)) text += buf;
    std::fclose(tmp);
    CHECK(text ==
          "warning: PUT manifest r/x:1: HTTP 503; retrying in 1.5 s (attempt 2 of 5)\n"
          "warning: upload blob b: PATCH u: Connection reset; retrying in 20 ms (attempt 3 of 5)\n");
}
