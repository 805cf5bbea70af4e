// oci::ImageIndex::parse (and ImageManifest::parse): never crash; serialize() of a parsed index
// parses again and is a fixed point (what we push is what we would read back and push again).
#include <string>

#include "fuzz_check.hpp"
#include "oci/descriptor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz_text(data, size);
    (void)ocx::oci::sniff_media_type(text);
    if (auto m = ocx::oci::ImageManifest::parse(text)) {
        const std::string s = m->serialize();
        auto again = ocx::oci::ImageManifest::parse(s);
        FUZZ_CHECK(again.ok(), s);
        FUZZ_CHECK(again->serialize() == s, s);
    }
    auto idx = ocx::oci::ImageIndex::parse(text);
    if (!idx) return 0;
    const std::string s = idx->serialize();
    auto again = ocx::oci::ImageIndex::parse(s);
    FUZZ_CHECK(again.ok(), s);
    FUZZ_CHECK(again->serialize() == s, s + "\n -> " + again->serialize());
    return 0;
}
