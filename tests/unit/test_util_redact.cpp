#include <doctest/doctest.h>

#include "util/redact.hpp"

using namespace ocx;

// Secrets are process-wide: each case registers its own, unlikely anywhere else.

TEST_CASE("redact: URL user-info, with or without a scheme") {
    CHECK(redact("GET https://alice:pw@registry.example/v2/") == "GET https://***@registry.example/v2/");
    CHECK(redact("invalid reference \"alice:s3cret@registry.example:5000/acme/tool:1.0\"") ==
          "invalid reference \"***@registry.example:5000/acme/tool:1.0\"");
    CHECK(redact("ref alice:s3cret@127.0.0.1:5000/acme/tool") == "ref ***@127.0.0.1:5000/acme/tool");
    CHECK(redact("ref alice:s3cret@[::1]:5000/acme/tool") == "ref ***@[::1]:5000/acme/tool");
    // Not user-info: a digest reference, an e-mail address, a user without a password.
    CHECK(redact("acme/tool:1.0@sha256:0123abcdef") == "acme/tool:1.0@sha256:0123abcdef");
    CHECK(redact("tool:1.0@sha256:" + std::string(64, 'a') + "/x") == "tool:1.0@sha256:" + std::string(64, 'a') + "/x");
    CHECK(redact("mail ci@registry.example about it") == "mail ci@registry.example about it");
    CHECK(redact("git@registry.example/acme") == "git@registry.example/acme");
}

TEST_CASE("redact: secrets shorter than 4 characters, as whole words") {
    register_secret("Q7");
    CHECK(redact("password Q7 refused") == "password *** refused");
    CHECK(redact("\"Q7\"") == "\"***\"");
    CHECK(redact("Q7Q7 and aQ7 stay") == "Q7Q7 and aQ7 stay");
    register_secret("");
    CHECK(redact("nothing to mask") == "nothing to mask");
}

TEST_CASE("redact: percent-encoded echoes of a secret") {
    register_secret("p@ss w/rd:9!");
    CHECK(redact("echo p@ss w/rd:9!") == "echo ***");
    CHECK(redact("GET /token?password=x&echo=p%40ss%20w%2Frd%3A9%21") == "GET /token?password=***&echo=***");
    CHECK(redact("echo p%40ss%20w%2frd%3a9%21 end") == "echo *** end");
    CHECK(redact("form p%40ss+w%2Frd%3A9%21 end") == "form *** end");
}
