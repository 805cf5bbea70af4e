#pragma once
// `copy SRC DST` (docs/cli.md "copy"): a published release promoted to another repository,
// registry or `oci:` layout byte for byte, in the write order of docs/wire-format.md §5, so an
// interrupted copy leaves no tag pointing at missing content and a rerun converges:
//   1. each platform's blobs (HEAD first: present ones are skipped; on the same registry they are
//      mounted from the source repository; else streamed through a temporary file and checked
//      against their digest before the upload), then its manifest by digest, the same bytes;
//   2. the source index by digest (only when every platform is copied);
//   3. DST's tag: the source index's own bytes when the tag is absent or already holds them;
//      otherwise the copied entries are merged into the index there (tags.hpp), and a platform of a
//      version tag that would change is refused unless `replace`;
//   4. with `cascade`, the rolling tags of DST recomputed against DST's own tags (plan_tags, the
//      code release uses), never copied;
//   5. each platform manifest's canonical tag (`sha256.<hex>`).
// With a platform filter the index at DST lists only those platforms: it is rebuilt (merged), so
// its digest differs from the source index's; every platform manifest keeps its digest.

#include <string>
#include <vector>

#include "oci/platform.hpp"
#include "publish/tags.hpp"
#include "report/report.hpp"

namespace ocx::publish {

struct CopyOptions {
    std::vector<oci::Platform> platforms;  // empty: every platform (and the source index's own digest)
    bool cascade = false;
    bool replace = false;
    bool dry_run = false;    // read both sides, write nothing, report the plan
    std::string mount_from;  // the source repository when both are on one registry
    WriteOptions write;
};

/// Copies `src_tag` of `src` to `dst_tag` of `dst` (`dst_package` names it in the report). Never
/// throws; failures are report errors with status failed (or partial once a tag was written).
report::Report copy_release(store::Target& src, const std::string& src_tag, store::Target& dst,
                            const std::string& dst_package, const std::string& dst_tag, const CopyOptions& options);

}  // namespace ocx::publish
