#pragma once
// Dependency identifiers in published metadata (docs/wire-format.md §4, `dependencies[]`):
//   HOST[:PORT]/REPOSITORY[:TAG]@sha256:<64 hex>
// The registry host is explicit (a first component holding '.' or ':', or `localhost`, as Docker
// decides) because a consumer resolves it on another machine where no default registry applies,
// and the digest pins the platform manifest so every install gets the same bytes. Repository
// components follow the OCI distribution spec grammar; the tag is kept for people, the digest
// is what counts. (oci::Reference parses general references; this is the stricter published form.)

#include <string>
#include <string_view>

#include "digest/digest.hpp"
#include "util/result.hpp"

namespace ocx::metadata {

struct DependencyIdentifier {
    std::string registry;    // "registry.example", "127.0.0.1:5000"
    std::string repository;  // "acme/cmake"
    std::string tag;         // "3.28", empty when absent
    Digest digest;

    /// "registry/repository": what two dependencies must not share.
    std::string location() const { return registry + "/" + repository; }
    /// Last repository component ("cmake"): the name a dependency goes by when `name` is absent.
    std::string basename() const;
};

/// Parses a published dependency identifier. Errors are ErrorKind::data, quote the text, and say
/// what to write instead (no JSON path).
Result<DependencyIdentifier> parse_dependency_identifier(std::string_view text);

}  // namespace ocx::metadata
