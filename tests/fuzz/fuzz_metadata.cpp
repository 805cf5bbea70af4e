// metadata::parse: never crashes on any bytes; the published form of parsed metadata parses back
// to the same published form (what create writes as the sidecar, push reads again).
#include <string>

#include "fuzz_check.hpp"
#include "metadata/metadata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    auto m = ocx::metadata::parse(fuzz_text(data, size), "fuzz.json");
    if (!m) return 0;
    const std::string compact = ocx::metadata::to_compact(*m);
    auto again = ocx::metadata::parse(compact, "compact.json");
    FUZZ_CHECK(again.ok(), compact + "\n" + (again.ok() ? std::string() : again.error().message));
    FUZZ_CHECK(ocx::metadata::to_compact(*again) == compact, compact);
    auto pretty = ocx::metadata::parse(ocx::metadata::to_pretty(*m), "pretty.json");
    FUZZ_CHECK(pretty.ok() && ocx::metadata::to_compact(*pretty) == compact, compact);
    return 0;
}
