#include <doctest/doctest.h>

#include <archive.h>
#include <curl/curl.h>
#include <lzma.h>
#include <openssl/opensslv.h>
#include <boost/version.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "bundle/library_version.hpp"
#include "cli/version.hpp"
#include "digest/library_version.hpp"
#include "registry/library_version.hpp"

using namespace ocx;

namespace {

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

// The test binary links the same libraries as the tool, and on the build machine the loaded
// libraries are the ones whose headers it was compiled with: the run-time answers must agree with
// the headers' version macros.
TEST_CASE("library versions are the loaded libraries' own") {
    CHECK(registry::curl_library_version().rfind(std::string(LIBCURL_VERSION), 0) == 0);
    CHECK(bundle::libarchive_library_version() == std::to_string(ARCHIVE_VERSION_NUMBER / 1000000) + "." +
                                                      std::to_string(ARCHIVE_VERSION_NUMBER / 1000 % 1000) + "." +
                                                      std::to_string(ARCHIVE_VERSION_NUMBER % 1000));
    CHECK(bundle::liblzma_library_version() == LZMA_VERSION_STRING);
    CHECK(openssl_library_version() == std::to_string(OPENSSL_VERSION_MAJOR) + "." + std::to_string(OPENSSL_VERSION_MINOR) +
                                           "." + std::to_string(OPENSSL_VERSION_PATCH));
}

TEST_CASE("--version names the version, the commit and every library") {
    const auto out = lines(cli::version_text());
    REQUIRE(out.size() == 7);
    CHECK(out[0] == std::string("ocx-release ") + OCX_RELEASE_VERSION);
    CHECK(out[1].rfind("commit: ", 0) == 0);
    const std::string commit = out[1].substr(8);
    const bool hex =
        commit.size() >= 7 && commit.size() <= 40 && commit.find_first_not_of("0123456789abcdef") == std::string::npos;
    CHECK((hex || commit == "unknown"));
    CHECK(out[2] == "boost: " + std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
                        "." + std::to_string(BOOST_VERSION % 100));
    CHECK(out[3] == "libcurl: " + registry::curl_library_version());
    CHECK(out[4] == "libarchive: " + bundle::libarchive_library_version());
    CHECK(out[5] == "liblzma: " + bundle::liblzma_library_version());
    CHECK(out[6] == "openssl: " + openssl_library_version());
}
