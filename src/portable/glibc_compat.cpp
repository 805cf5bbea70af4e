// Only in portable Linux builds (-DOCX_PORTABLE=ON), which link libstdc++ statically and must run
// on glibc 2.35 (Ubuntu 22.04). Built against glibc >= 2.36, libstdc++'s std::random_device calls
// arc4random, which glibc only has since 2.36: the link redirects that one reference here
// (-Wl,--wrap=arc4random, CMakeLists.txt), and this asks the kernel directly, as glibc's own
// arc4random does (getrandom(2), glibc 2.25). Not part of ocx_core; nothing else calls it.
#include <sys/random.h>
#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" std::uint32_t __wrap_arc4random(void);

extern "C" std::uint32_t __wrap_arc4random(void) {
    unsigned char bytes[sizeof(std::uint32_t)];
    std::size_t got = 0;
    while (got < sizeof bytes) {
        const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
        } else if (n < 0 && errno != EINTR) {
            std::abort();  // arc4random has no way to fail either
        }
    }
    std::uint32_t value = 0;
    for (const unsigned char b : bytes) value = (value << 8) | b;
    return value;
}
