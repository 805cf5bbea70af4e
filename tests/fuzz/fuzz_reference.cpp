// oci::Reference::parse / parse_name: never crash; a parsed reference's text form parses back to
// the same reference.
#include <string>

#include "fuzz_check.hpp"
#include "oci/reference.hpp"

namespace {
void round_trip(const ocx::oci::Reference& r, bool name_only) {
    const std::string s = r.str();
    auto again = name_only ? ocx::oci::Reference::parse_name(s, nullptr) : ocx::oci::Reference::parse(s, nullptr);
    FUZZ_CHECK(again.ok(), s);
    FUZZ_CHECK(again->str() == s, s + " -> " + again->str());
    FUZZ_CHECK(again->repository_str() == r.repository_str(), s);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz_text(data, size);
    if (auto r = ocx::oci::Reference::parse(text, nullptr)) round_trip(*r, false);
    if (auto r = ocx::oci::Reference::parse(text, "registry.example:5000")) round_trip(*r, false);
    if (auto r = ocx::oci::Reference::parse_name(text, nullptr)) round_trip(*r, true);
    (void)ocx::oci::normalize_tag(text);
    (void)ocx::oci::is_loopback_host(text);
    return 0;
}
