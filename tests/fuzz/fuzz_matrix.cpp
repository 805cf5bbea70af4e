// plan::parse_matrix: never crashes and always terminates on any bytes, with or without a --tag
// override; a matrix it accepts has a package, a tag and at least one platform.
#include <chrono>
#include <string>

#include "fuzz_check.hpp"
#include "plan/matrix.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz_text(data, size);
    ocx::plan::MatrixOverrides overrides;
    overrides.now = std::chrono::system_clock::time_point(std::chrono::seconds(1717000000));
    for (int pass = 0; pass < 2; ++pass) {
        if (pass == 1) overrides.tag = "2.0.0+build1";
        ocx::json::Diagnostics diag;
        auto m = ocx::plan::parse_matrix(text, "/fuzz/release.json", overrides, diag);
        if (diag.empty()) {
            FUZZ_CHECK(!m.tag.empty(), std::string(text));
            FUZZ_CHECK(!m.platforms.empty(), std::string(text));
            FUZZ_CHECK(!m.package.repository.empty(), std::string(text));
            for (const auto& p : m.platforms)
                FUZZ_CHECK(ocx::plan::find_platform(m, p.platform.str()) != nullptr, p.platform.str());
        } else {
            (void)diag.to_error("/fuzz/release.json");
        }
    }
    return 0;
}
