#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "util/log.hpp"

int main(int argc, char** argv) {
    // Progress lines of the code under test would drown doctest's output; errors still show.
    ocx::log::set_level(ocx::log::Level::quiet);
    return doctest::Context(argc, argv).run();
}
