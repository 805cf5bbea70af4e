#pragma once
// One platform, OCX `package push` semantics (docs/wire-format.md §3, §5): content, then the primary
// tag, then rolling tags most specific first, then explicit aliases, then the canonical tag.
// An interruption leaves rolling tags stale, never pointing at missing content.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "publish/content.hpp"
#include "publish/tags.hpp"
#include "report/report.hpp"

namespace ocx::publish {

struct PushOptions {
    std::string tag;
    bool cascade = false;
    bool new_repository = false;
    bool canonical_tag = true;
    oci::Annotations annotations;
    std::vector<std::string> aliases;
    std::string mount_from;  // repository to cross-mount blobs from ("" = none)
    WriteOptions write;
    std::function<void(std::uint64_t)> on_bytes;  // layer bytes sent so far (push_content), for progress
    report::BlobCounts* layer_counts = nullptr;   // when set, receives the layer blobs' counts (OCX's push JSON)
    /// Runs once the platform's manifest is in place and before any tag names it: what must be
    /// there first (the SBOM and signatures of --sbom/--sign-key). Errors go into the report;
    /// false stops the push with no tag written.
    std::function<bool(const report::PlatformResult&, report::Report&)> before_tags;
};

/// Pushes one platform and reports every digest and tag move. Never throws; failures are in
/// report.errors with status `failed` (content may be in place; no tag points at missing content).
report::Report push_platform(store::Target& target, const std::string& package, const PlatformContent& content,
                             const PushOptions& options);

}  // namespace ocx::publish
