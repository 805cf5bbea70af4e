// plan::parse_version: never crashes; to_tag parses back to the same version; the order is
// reflexive and antisymmetric on pairs (the input split at its first newline).
#include <compare>
#include <string>

#include "fuzz_check.hpp"
#include "plan/version.hpp"

using ocx::plan::parse_version;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz_text(data, size);
    const auto nl = text.find('\n');
    const auto a = parse_version(text.substr(0, nl));
    if (a) {
        const std::string tag = ocx::plan::to_tag(*a);
        const auto again = parse_version(tag);
        FUZZ_CHECK(again.has_value(), tag);
        FUZZ_CHECK(*again == *a, tag);
        FUZZ_CHECK((*a <=> *a) == std::partial_ordering::equivalent, tag);
        if (auto up = ocx::plan::parent(*a)) {
            FUZZ_CHECK(ocx::plan::same_track(*up, *a), tag);
            FUZZ_CHECK((*up <=> *a) == std::partial_ordering::greater, tag + " parent " + ocx::plan::to_tag(*up));
        }
    }
    if (nl == std::string_view::npos) return 0;
    const auto b = parse_version(text.substr(nl + 1));
    if (a && b) {
        const auto ab = *a <=> *b, ba = *b <=> *a;
        const std::string both = ocx::plan::to_tag(*a) + " vs " + ocx::plan::to_tag(*b);
        FUZZ_CHECK((ab == std::partial_ordering::less) == (ba == std::partial_ordering::greater), both);
        FUZZ_CHECK((ab == std::partial_ordering::equivalent) == (ba == std::partial_ordering::equivalent), both);
        FUZZ_CHECK((ab == std::partial_ordering::unordered) == !ocx::plan::same_track(*a, *b), both);
        FUZZ_CHECK((ab == std::partial_ordering::equivalent) == (*a == *b), both);
    }
    return 0;
}
