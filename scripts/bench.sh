#!/usr/bin/env bash
# Benchmarks ocx-release side by side with the tools people would use instead, every scenario
# measured in the same run (medians, ratios), printed as Markdown tables (docs/performance.md
# holds a committed run and what the numbers mean).
#
# usage: scripts/bench.sh [--quick] [--runs N] [SCENARIO...]
#   SCENARIO: create   ocx-release create vs tar --sort=name ... | xz (via scripts/bench_create.sh)
#             push     first push of a 60 MiB layer: ocx-release vs bare curl vs skopeo copy
#                      (+ the upload strategy: monolithic vs chunk sizes)
#             repush   the same content again: wall, requests, bytes uploaded vs hashing the file
#             release  4 platforms end to end vs create + push per platform vs the creates alone
#             overlap  the same release through a proxy that delays every upload (is it hidden?)
#             memory   peak RSS pushing a 1 GiB layer and bundling a 1 GiB tree
#           default: all of them, in that order (under 10 minutes on 2 idle cores)
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
  [[ $arg == -h || $arg == --help ]] && { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
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
