#pragma once
// Version tags as OCX reads them for rolling tags (docs/wire-format.md §5).
//
// Grammar: `[VARIANT-]MAJOR[.MINOR[.PATCH[-PRE][_BUILD]]]`
//  * MAJOR, MINOR, PATCH: decimal, no leading zeros ("0" itself is fine), fit in 64 bits;
//  * PRE, BUILD: [0-9A-Za-z]+ (no dots: "1.0.0-rc.1" is not a version); PRE and BUILD only after PATCH;
//  * BUILD is written with '_' (OCI tags cannot hold '+'); '+' is accepted for '_' on input;
//  * VARIANT: [a-z][a-z0-9.]*, never "latest".
// Splitting the variant: VARIANT cannot contain '-', so a tag that starts with a letter has its variant
// end at the FIRST '-' ("debian12.1-1.2.3" is variant "debian12.1", version 1.2.3); a tag that starts
// with a digit has no variant, so its '-' can only introduce PRE ("1.2.3-rc1" is a pre-release,
// "slim-1.2.3" a variant). Anything else ("v1.2.3", "latest", "sha256.<hex>", "slim") is not a version.
//
// Order (§5): versions of different variant tracks are unordered (tracks never mix). Within a track,
// MAJOR, MINOR, PATCH compare numerically, and a shorter (rolling) version sorts ABOVE everything it
// rolls over: 1 > 1.9.9, 1.2 > 1.2.99. For the same X.Y.Z, "a pre-release sorts below none" and "a build
// sorts below none" give one total order when PRE is compared first and BUILD second, each with
// "present < absent" and otherwise plain byte-wise string order:
//     X.Y.Z-a_b1 < X.Y.Z-a_b2 < X.Y.Z-a < X.Y.Z-b < X.Y.Z_b1 < X.Y.Z_b2 < X.Y.Z
// so every build of a pre-release lies between the pre-release's neighbours, and every build of X.Y.Z
// lies between X.Y.Z's pre-releases and X.Y.Z itself. This is the order OCX 0.5.8 uses; the cascade
// (cascade.hpp) relies on it: the builds of V lie strictly between V's other builds and V's rolling tag.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ocx::plan {

/// A parsed version tag. Invariants (held by parse_version): patch implies minor; pre and build
/// only with patch.
struct Version {
    std::string variant;  // "" = the default track (whose track tag is "latest")
    std::uint64_t major = 0;
    std::optional<std::uint64_t> minor;  // absent: the rolling major tag "X"
    std::optional<std::uint64_t> patch;  // absent: the rolling minor tag "X.Y"
    std::string pre;                     // "" when absent
    std::string build;                   // "" when absent

    bool is_prerelease() const { return !pre.empty(); }
    bool has_build() const { return !build.empty(); }

    /// Field-wise equality; equal versions have equal tags.
    friend bool operator==(const Version&, const Version&) = default;
    /// The §5 order; `unordered` across variant tracks.
    friend std::partial_ordering operator<=>(const Version& a, const Version& b);
};

/// Parses a tag per the grammar above; nullopt when the tag is not a version.
std::optional<Version> parse_version(std::string_view tag);

/// Whether `tag` names one release, which is published once: a full version ("1.4.0",
/// "slim-2.1.0-rc1", "1.4.0_20240101") or a SemVer pre-release of one whose dotted pre-release
/// OCX's grammar refuses ("1.4.0-rc.1"). Rolling and moving tags ("1.4", "latest", "nightly",
/// "edge") are not: moving them is what they are for.
bool names_a_release(std::string_view tag);

/// The canonical tag: "slim-1.2.3-rc1_20240101" (build always written with '_').
std::string to_tag(const Version& v);

/// The next rolling level up: X.Y.Z-P_B -> X.Y.Z-P, X.Y.Z_B -> X.Y.Z, X.Y.Z-P -> X.Y.Z, X.Y.Z -> X.Y,
/// X.Y -> X, X -> nullopt. The variant is kept.
std::optional<Version> parent(const Version& v);

/// True when both versions are on the same variant track (and therefore ordered).
inline bool same_track(const Version& a, const Version& b) { return a.variant == b.variant; }

}  // namespace ocx::plan
