#include <doctest/doctest.h>

#include "util/percent.hpp"

using namespace ocx;

TEST_CASE("percent_encode_unreserved keeps only unreserved characters") {
    CHECK(percent_encode_unreserved("repository:acme/tool:pull,push") == "repository%3Aacme%2Ftool%3Apull%2Cpush");
    CHECK(percent_encode_unreserved("a-b_c.d~e") == "a-b_c.d~e");
    CHECK(percent_encode_unreserved(" é") == "%20%C3%A9");
    SUBCASE("lower-case hex and a space as '+', the forms a server may echo") {
        CHECK(percent_encode_unreserved("a b/é", HexCase::lower) == "a%20b%2f%c3%a9");
        CHECK(percent_encode_unreserved("a b/é", HexCase::upper, SpaceAs::plus) == "a+b%2F%C3%A9");
    }
}
