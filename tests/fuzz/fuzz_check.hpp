#pragma once
// A property check for libFuzzer targets: on failure print what broke and abort, so libFuzzer
// saves the input as a crash artifact.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond, what)                                                              \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            std::fprintf(stderr, "property failed: %s (%s:%d): %s\n", #cond, __FILE__, __LINE__, \
                         std::string(what).c_str());                                        \
            std::abort();                                                                   \
        }                                                                                   \
    } while (0)

inline std::string_view fuzz_text(const unsigned char* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}
