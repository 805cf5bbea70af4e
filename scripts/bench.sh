#!/usr/bin/env bash
# Benchmarks ocx-release side by side with the tools people would use instead, every scenario
# measured in the same run (medians, ratios), printed as Markdown tables (docs/performance.md
# holds a committed run and what the numbers mean).
#
# usage: scripts/bench.sh [--quick] [--runs N] [SCENARIO...]
#   SCENARIO: create   ocx-release create vs tar --sort=name ... | xz (via scripts/bench_create.sh)
#             push     first push of a 60 MiB random layer and a real 53.6 MB bundle: ocx-release
#                      (walked = never seen here, recorded) vs bare curl vs skopeo copy vs xz -dc
#             strategy monolithic vs chunk sizes, and a cold page cache (not in the default run)
#             slowlink the never-seen real bundle through a proxy holding each blob upload 1 s
#             repush   the same content again: wall, requests, bytes uploaded vs hashing the file
#             release  4 platforms end to end vs create + push per platform vs the creates alone
#             prebuilt 2 directories + 2 never-seen prebuilt archives vs the compression alone
#             overlap  the same release through a proxy that delays every upload (is it hidden?)
#             memory   peak RSS pushing a 1 GiB layer and bundling a 1 GiB tree
#             presets  peak RSS walking 72 MiB of binaries at xz -0 … -9 and -9e
#           default: all but strategy, in that order
#   --quick  smaller sizes and fewer runs (a smoke test of the script, not numbers to quote)
#   --runs N runs per command (default: 3 for create and release, 5 for push and repush)
#   OCX_RELEASE_BIN: the binary (default: build/ocx-release); OCX_BENCH_DIR: keep the generated
#   trees and layers there between runs (default: a temporary directory, removed at exit)
# Needs: python3, docker-registry, curl, xz, GNU tar, sha256sum, openssl; skopeo (rows skipped without it).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${OCX_RELEASE_BIN:-$root/build/ocx-release}
[[ -x $bin ]] || { echo "bench: $bin not found (build it or set OCX_RELEASE_BIN)" >&2; exit 69; }
for arg in "$@"; do
  [[ $arg == -h || $arg == --help ]] && { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
done
for tool in python3 curl xz tar sha256sum openssl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 69; }
done

if [[ -n ${OCX_BENCH_DIR:-} ]]; then
  work=$OCX_BENCH_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/ocx-bench.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
export PYTHONDONTWRITEBYTECODE=1
python3 "$root/scripts/bench.py" --bin "$(realpath "$bin")" --work "$work" "$@"
