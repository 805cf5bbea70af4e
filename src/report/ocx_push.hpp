#pragma once
// OCX's own push report, printed by the `package push` alias with --format json (docs/cli.md
// "OCX's push report"): tooling written for `ocx package push --format json` (ocx-mirror, OCX's
// workflows) parses exactly this one-line object, keys in this order:
//   {"identifier":"<registry>/<repo>:<tag>","status":"pushed","manifest_digest":"<index digest>",
//    "cascade_tags_written":[…],"canonical_tags_written":[…],
//    "layers":{"mounted":N,"uploaded":N,"verified":N}}
// Pure: values in, text out.

#include <string>
#include <vector>

#include "report/report.hpp"

namespace ocx::report {

/// The OCX JSON of a published push report (one line, newline-terminated). `identifier` is the
/// package reference with its tag; `layers` counts the layer blobs alone (verified = already
/// present). manifest_digest is the index at the primary tag after the merge; cascade tags are the
/// rolling tags that now point at it (created, moved or already there).
std::string to_ocx_push_json(const Report& report, const std::string& identifier, const BlobCounts& layers);

/// The line --announce-file appends: the primary tag, then the cascade tags, comma-joined, each once.
std::string announce_line(const Report& report);

}  // namespace ocx::report
