#include <doctest/doctest.h>

#include "util/progress.hpp"

using namespace ocx;
using namespace ocx::progress;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {
ItemState item(std::string name, Counter bundle, Counter upload, std::optional<Phase> running = std::nullopt) {
    return ItemState{std::move(name), bundle, upload, running};
}
constexpr std::uint64_t MiB = 1024 * 1024;
}  // namespace

TEST_CASE("totals, percentage, rate and ETA") {
    Snapshot s;
    CHECK(percent(s) == 0);
    CHECK_FALSE(eta_seconds(s).has_value());
    s.items = {item("linux/amd64", {30 * MiB, 40 * MiB}, {0, 40 * MiB}, Phase::bundle),
               item("linux/arm64", {0, 0}, {10 * MiB, 20 * MiB}, Phase::upload)};
    s.elapsed_seconds = 4;
    CHECK(totals(s).done == 40 * MiB);
    CHECK(totals(s).total == 100 * MiB);
    CHECK(percent(s) == 40);
    CHECK(rate(s) == doctest::Approx(10.0 * MiB));
    REQUIRE(eta_seconds(s).has_value());
    CHECK(*eta_seconds(s) == doctest::Approx(6.0));
    // A count beyond its estimate (a bundle larger than its tree) raises the total, never 100+%.
    s.items[0].bundle.done = 50 * MiB;
    CHECK(totals(s).total == 110 * MiB);
    CHECK(percent(s) <= 100);
    // Too early for an ETA.
    s.elapsed_seconds = 0.5;
    CHECK_FALSE(eta_seconds(s).has_value());
}

TEST_CASE("render_tty: running steps, then totals") {
    Snapshot s;
    s.items = {item("linux/amd64", {20 * MiB, 40 * MiB}, {0, 40 * MiB}, Phase::bundle),
               item("darwin/arm64", {40 * MiB, 40 * MiB}, {10 * MiB, 40 * MiB}, Phase::upload),
               item("linux/arm64", {0, 0}, {0, 0})};
    s.elapsed_seconds = 7;
    CHECK(render_tty(s) ==
          "linux/amd64 bundle 50% of 40.0 MiB | darwin/arm64 upload 25% of 40.0 MiB | total 43% (70.0 MiB of 160 MiB, "
          "10.0 MiB/s, ETA 9s)");
}

TEST_CASE("render_plain: one line with percentage and rate") {
    Snapshot s;
    s.items = {item("linux/amd64", {20 * MiB, 40 * MiB}, {0, 40 * MiB}, Phase::bundle)};
    s.elapsed_seconds = 2;
    CHECK(render_plain(s) == "progress: 25% (20.0 MiB of 80.0 MiB, 10.0 MiB/s, ETA 6s); bundling linux/amd64");
    // Nothing known yet: bytes and rate only.
    Snapshot empty;
    empty.items = {item("mytool.tar.xz", {3 * MiB, 0}, {0, 0}, Phase::bundle)};
    empty.elapsed_seconds = 3;
    CHECK(render_plain(empty) == "progress: 3.0 MiB (1.0 MiB/s); bundling mytool.tar.xz");
}

TEST_CASE("PlainSchedule: a line every interval, with an injected clock") {
    const std::chrono::steady_clock::time_point t0{};
    PlainSchedule schedule(seconds(10), t0);
    CHECK(schedule.next() == t0 + seconds(10));
    CHECK_FALSE(schedule.due(t0 + milliseconds(9'999)));
    CHECK(schedule.due(t0 + seconds(10)));
    CHECK_FALSE(schedule.due(t0 + seconds(15)));  // just printed: not again before 20 s
    CHECK(schedule.next() == t0 + seconds(20));
    CHECK(schedule.due(t0 + seconds(27)));  // late (a busy machine): due, and counted from then
    CHECK(schedule.next() == t0 + seconds(37));
}

TEST_CASE("parse_mode") {
    CHECK(*parse_mode("auto", true, "xterm-256color") == Mode::tty);
    CHECK(*parse_mode("auto", true, "dumb") == Mode::plain);
    CHECK(*parse_mode("auto", true, nullptr) == Mode::plain);
    CHECK(*parse_mode("auto", false, "xterm") == Mode::plain);
    CHECK(*parse_mode("tty", false, nullptr) == Mode::tty);
    CHECK(*parse_mode("plain", true, "xterm") == Mode::plain);
    CHECK(*parse_mode("none", true, "xterm") == Mode::none);
    auto bad = parse_mode("fancy", true, "xterm");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == ErrorKind::usage);
    CHECK(bad.error().message == "--progress: expected auto, tty, plain or none, got \"fancy\"");
}

TEST_CASE("tasks from several threads add up; none mode records nothing") {
    start(Mode::none);
    {
        Task t("x", Phase::bundle, 10);
        t.update(5);
    }
    stop();
    start(Mode::plain, std::chrono::hours(1));  // no ticker line during the test
    expect("a", Phase::bundle, 100);
    {
        Task a("a", Phase::bundle);
        Task b("b", Phase::upload, 50);
        a.update(40);
        b.update(50);
    }
    stop();
    CHECK(mode() == Mode::none);
}
