#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, build dir build-fuzz) and runs them.
#   scripts/fuzz.sh                      every target for 60 s each
#   scripts/fuzz.sh -t 600 merge index   these targets, 10 minutes each
#   scripts/fuzz.sh -j 2 ...             libFuzzer workers per target (default 1)
# New inputs go to build-fuzz/tests/fuzz/corpus/<name> (the committed seeds in
# tests/fuzz/corpus/<name> are only read); crashes to build-fuzz/tests/fuzz/artifacts/. To keep
# an interesting input as a seed, copy it into tests/fuzz/corpus/<name>/ (or run with -m, which
# merges the work corpus into the seeds, minimized).
# Targets: platform reference version index merge metadata matrix member_rules xz_decoder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=60
workers=1
merge=0
while getopts "t:j:mh" opt; do
  case $opt in
    t) seconds=$OPTARG ;;
    j) workers=$OPTARG ;;
    m) merge=1 ;;
    *) sed -n '2,11p' "$0"; exit 64 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(platform reference version index merge metadata matrix member_rules xz_decoder)

command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 69; }
build=${OCX_FUZZ_BUILD_DIR:-build-fuzz}
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DOCX_FUZZ=ON -DOCX_SANITIZE=ON -DOCX_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}")

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  work="$build/tests/fuzz/corpus/$t"
  seeds="tests/fuzz/corpus/$t"
  artifacts="$build/tests/fuzz/artifacts"
  mkdir -p "$work" "$artifacts"
  echo "== fuzz_$t: ${seconds}s" >&2
  parallel=()
  # -jobs runs separate processes logging to fuzz-N.log; only worth it with several workers.
  [ "$workers" -gt 1 ] && parallel=(-jobs="$workers" -workers="$workers")
  if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       "${parallel[@]}" -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "$work" "$seeds"; then
    echo "fuzz_$t FAILED: see $artifacts/$t-*" >&2
    status=1
  fi
  if [ "$merge" = 1 ]; then
    "$build/tests/fuzz/fuzz_$t" -merge=1 "$seeds" "$work" >/dev/null 2>&1
  fi
done
exit $status
