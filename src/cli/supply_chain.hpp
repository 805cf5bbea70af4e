#pragma once
// The signing options of release, finalize and push (docs/cli.md "Supply chain"): --sign-key FILE
// or OCX_RELEASE_SIGN_KEY (a file's path, or the PEM text itself as a CI secret holds it),
// --sign-platforms. The key is read once and never logged; errors name the flag or variable only.

#include <boost/program_options.hpp>

#include <memory>
#include <optional>
#include <string>

#include "digest/signature.hpp"
#include "publish/supply_chain.hpp"
#include "util/result.hpp"

namespace ocx::cli {

struct SignOptions {
    std::string key_file;
    bool sign_platforms = false;
};

/// Adds --sign-key and --sign-platforms.
void add_sign_options(boost::program_options::options_description& desc, SignOptions& options);

/// The loaded key and the publish::SupplyChain pointing at it (heap-held so the pointer stays valid).
struct LoadedSupplyChain {
    std::optional<SigningKey> key;
    publish::SupplyChain chain;
};

/// Reads the key (when given), the creation time (SOURCE_DATE_EPOCH, else now) and, when
/// `provenance`, the CI environment. Errors: usage (key), data (a CI variable).
Result<std::unique_ptr<LoadedSupplyChain>> load_supply_chain(const SignOptions& options, bool provenance);

}  // namespace ocx::cli
