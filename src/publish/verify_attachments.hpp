#pragma once
// `verify` for the report's attachments (docs/cli.md "Supply chain"): each is among its subject's
// referrers (Referrers API or fallback tag), its manifest names that subject and its document hashes
// to what the manifest says. With a public key, every signed one must verify: a message signature
// over the subject's manifest bytes, a DSSE envelope over its pre-authentication encoding with a
// statement naming the subject; and the index must carry a signature at all.

#include "digest/signature.hpp"
#include "publish/verify.hpp"
#include "report/report.hpp"
#include "store/target.hpp"

namespace ocx::publish {

/// Adds a problem per missing or bad attachment to `result` (and counts its checks). Read errors
/// are returned as errors.
Status verify_attachments(store::Target& target, const report::Report& report, const SigningKey* key, VerifyResult& result);

}  // namespace ocx::publish
