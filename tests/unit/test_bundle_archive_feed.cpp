#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "bundle/archive_feed.hpp"

using namespace ocx::bundle;

namespace {
std::string read_all(ArchiveFeed& feed) {
    std::string out;
    char buf[3];
    for (std::size_t n; (n = feed.read(buf, sizeof buf)) > 0;) out.append(buf, n);
    return out;
}
}  // namespace

TEST_CASE("ArchiveFeed hands the upload's bytes to the check in order, once") {
    SUBCASE("pieces arrive as offered; a retry's repeated bytes are skipped") {
        ArchiveFeed feed(10, 100);
        CHECK(feed.offer(0, "abcd", 4));
        CHECK(feed.offer(0, "abcdef", 6));  // a retried upload reads from the start again
        CHECK(feed.offer(6, "ghij", 4));
        feed.close();
        CHECK(read_all(feed) == "abcdefghij");
        CHECK(feed.offered() == 10);
    }
    SUBCASE("a piece past a gap is left out; the check then sees a short input") {
        ArchiveFeed feed(8, 100);
        CHECK(feed.offer(0, "ab", 2));
        CHECK(feed.offer(4, "ef", 2));
        feed.close();
        CHECK(read_all(feed) == "ab");
    }
    SUBCASE("an upload that runs ahead waits for the check (bounded buffer)") {
        ArchiveFeed feed(12, 4);
        std::string got;
        std::thread check([&] { got = read_all(feed); });
        for (std::uint64_t at = 0; at < 12; at += 4)
            CHECK(feed.offer(at, std::string("0123456789ab").substr(at, 4).data(), 4));
        feed.close();
        check.join();
        CHECK(got == "0123456789ab");
    }
}

TEST_CASE("ArchiveFeed after the check") {
    SUBCASE("a failed check stops an upload with more than a buffer left") {
        ArchiveFeed feed(100, 4);
        CHECK(feed.offer(0, "abcd", 4));
        feed.finish(false);
        CHECK_FALSE(feed.offer(4, "efgh", 4));
        CHECK(feed.abandon());
    }
    SUBCASE("near the end the upload is let finish") {
        ArchiveFeed feed(10, 4);
        CHECK(feed.offer(0, "abcd", 4));
        feed.finish(false);
        CHECK(feed.offer(4, "efgh", 4));  // 2 bytes left after it
        CHECK(feed.offer(8, "ij", 2));
    }
    SUBCASE("a passed check never stops the upload; an upload failing on its own is not the check's") {
        ArchiveFeed feed(100, 4);
        feed.finish(true);
        CHECK(feed.offer(0, "abcd", 4));
        CHECK_FALSE(feed.abandon());
    }
}
