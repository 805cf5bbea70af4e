#pragma once
// References to where packages live.
//  * Registry: `registry/repo[:tag][@digest]` (OCI distribution spec names); a reference without a
//    registry host takes OCX_DEFAULT_REGISTRY, else it is an error that says so. `+` in tags is
//    normalized to `_` (OCI tags cannot hold `+`).
//  * Layout: `oci:DIR[:TAG]` — an OCI image layout directory on disk.

#include <optional>
#include <string>
#include <string_view>

#include "digest/digest.hpp"
#include "util/result.hpp"

namespace ocx::oci {

struct Reference {
    enum class Kind { registry, layout };
    Kind kind = Kind::registry;
    std::string registry;    // host[:port], registry kind only ("registry.example", "127.0.0.1:5000")
    std::string repository;  // "acme/mytool" (registry) or the directory path (layout)
    std::string tag;         // empty when absent
    std::optional<Digest> digest;

    /// Parses a reference. `default_registry` is used when the text names no registry host
    /// (callers pass getenv("OCX_DEFAULT_REGISTRY") or nullptr).
    static Result<Reference> parse(std::string_view text, const char* default_registry);
    /// The same grammar, but a missing registry host is allowed (registry left empty): for
    /// commands that only name things, such as `create`.
    static Result<Reference> parse_name(std::string_view text, const char* default_registry);

    bool is_layout() const { return kind == Kind::layout; }
    /// Same place, another tag (digest dropped).
    Reference with_tag(std::string tag) const;
    /// Same place, by digest (tag dropped).
    Reference with_digest(Digest digest) const;
    /// "registry/repo" or "oci:DIR".
    std::string repository_str() const;
    /// Full text form: "registry/repo:tag@digest" / "oci:DIR:tag".
    std::string str() const;

private:
    static Result<Reference> parse_impl(std::string_view text, const char* default_registry, bool registry_required);
};

/// Validates a tag (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`) after normalizing `+` to `_`;
/// returns the normalized tag or an ErrorKind::data error quoting it.
Result<std::string> normalize_tag(std::string_view tag);

/// Why OCX reserves `tag` for itself, "" when it does not. Reserved (OCX's rule, its verdict table
/// in tests/data/oci/tag_verdicts.json): everything starting "__ocx" in any case (the catalog
/// description and other internal tags); "sha256." / "sha384." / "sha512." followed by exactly
/// 64 / 96 / 128 hex digits (canonical digest tags); "sha256-" and 64 hex digits, alone or with
/// ".sig" / ".att" (referrers-schema and signature/attestation tags). Look-alikes ("__oc",
/// "x__ocx", a 63-digit "sha256.") are not reserved.
std::string_view reserved_tag_reason(std::string_view tag);

/// For every tag this tool writes (release tag, aliases, push -i): an ErrorKind::data error
/// quoting the tag and the reason when it is reserved.
Status check_not_reserved(std::string_view tag);

/// True for hosts that may be spoken to over plain HTTP without being listed:
/// localhost, 127.0.0.0/8, [::1] (with or without a port), as Docker does.
bool is_loopback_host(std::string_view host_port);

}  // namespace ocx::oci
