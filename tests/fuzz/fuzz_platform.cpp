// oci::Platform::parse: never crashes; a parsed platform's canonical string parses back to it.
#include <string>

#include "fuzz_check.hpp"
#include "oci/platform.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    auto p = ocx::oci::Platform::parse(fuzz_text(data, size));
    if (!p) return 0;
    const std::string s = p->str();
    auto again = ocx::oci::Platform::parse(s);
    FUZZ_CHECK(again.ok(), s);
    FUZZ_CHECK(*again == *p, s);
    FUZZ_CHECK(again->str() == s, s);
    (void)p->to_json();
    return 0;
}
