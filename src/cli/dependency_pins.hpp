#pragma once
// Dependency pins against the registry (docs/cli.md "Dependency pins"):
//  * create -m resolves a tag-only dependency to the digest of that tag's platform manifest for
//    the create's platform, by OCX's selection (install/select.hpp; `any` takes only an `any`
//    manifest), and with -p any refuses hand-written pins;
//  * push and release check, before any write, that every pin names a platform manifest that
//    exists: absent is ErrorKind::not_found (79), an image index ErrorKind::data (65).
// Each repository is opened for reading with the command's connection options.

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "cli/target.hpp"
#include "metadata/metadata.hpp"
#include "oci/platform.hpp"

namespace ocx::cli {

/// Pins the tag-only dependency identifiers of `metadata_text` for `platform` and returns the text
/// with them pinned (compact JSON) — unchanged when there are none. Errors name `source`.
Result<std::string> pin_dependencies(std::string_view metadata_text, const oci::Platform& platform,
                                     const TargetOptions& options, std::string_view source);

/// Checks pins, each identifier once per checker (a release checks every platform's metadata).
class PinCheck {
public:
    explicit PinCheck(TargetOptions options) : options_(std::move(options)) {}
    /// Every dependency of `meta` names an existing platform manifest. Errors name `source`.
    Status check(const metadata::Metadata& meta, std::string_view source);

private:
    TargetOptions options_;
    std::set<std::string> checked_;
};

}  // namespace ocx::cli
