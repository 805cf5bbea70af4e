#pragma once
// What a release attaches to what it published (docs/cli.md "Supply chain"; the formats are
// docs/wire-format.md §7): per platform manifest its SBOM (unsigned CycloneDX; with a key also a
// signed attestation of it) and, with sign_platforms, its signature; to the index its signature
// (with a key) and the SLSA provenance (signed with a key, plain in-toto JSON without). Shards
// attach their platform's part, finalize the index's. Failures are report errors; dry runs list
// what would be attached and write nothing.

#include <optional>
#include <string>
#include <vector>

#include "attest/statement.hpp"
#include "digest/signature.hpp"
#include "publish/tags.hpp"
#include "report/report.hpp"
#include "store/target.hpp"

namespace ocx::publish {

struct SupplyChain {
    const SigningKey* key = nullptr;  // signs when set (never owned, never logged)
    bool sign_platforms = false;      // --sign-platforms: every platform manifest is signed too
    std::string created;              // RFC 3339 UTC, org.opencontainers.image.created of signed bundles
    attest::CiEnvironment ci;         // builder and invocation for the provenance
    std::string tool_version;
};

/// One pushed platform manifest and what goes with it.
struct PlatformSubject {
    std::string platform;
    Digest manifest;
    std::uint64_t size = 0;
    std::optional<std::string> sbom;  // the SBOM document (generated or the user's), if any
};

/// Attaches each platform's SBOM (and signed SBOM, platform signature as configured). Errors are
/// added to `rep` (step "attach <kind> <platform>"); returns false when one failed.
bool attach_platforms(store::Target* target, const std::vector<PlatformSubject>& platforms, const SupplyChain& chain,
                      const WriteOptions& write, bool dry_run, report::Report& rep);

/// Attaches the index's signature (with a key) and provenance (when `provenance`), the statement's
/// subjects being the index and every platform manifest of `rep`. Returns false when one failed.
bool attach_index(store::Target* target, const SupplyChain& chain, bool provenance, const std::string& tag,
                  const WriteOptions& write, bool dry_run, report::Report& rep);

}  // namespace ocx::publish
