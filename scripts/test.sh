#!/usr/bin/env bash
# The README's test command: install what is missing, configure, build (warnings are errors),
# run every test. Exits non-zero on any failure. Stages:
#   1. the tool (as the release package builds it) + unit tests + integration tests against real
#      registries (build/)
#   2. style: scripts/lint.sh (clang-format over src/ and tests/unit, clang-tidy over src/), run
#      beside the tests of stage 1; a finding fails the suite at the end
#   3. libFuzzer targets for the parsers and the merge under ASan+UBSan, a short bounded run
#      each (build-fuzz/)
#   4. with OCX_ASAN_UNIT=1: the unit tests again under ASan+UBSan (build-asan/). Off by default:
#      a second full build would push the suite past 15 minutes on 2 cores.
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         stage 1 only, one ctest label (extra args go to ctest)
#   OCX_SANITIZE=ON scripts/test.sh   stage 1 under ASan+UBSan (build dir build-asan)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || sysctl -n hw.ncpu) # macOS has no nproc

sanitize=${OCX_SANITIZE:-OFF}
build_dir=${OCX_BUILD_DIR:-build}
[ "$sanitize" = ON ] && build_dir=${OCX_BUILD_DIR:-build-asan}

# Stage 1 builds what ships (Release, OCX_PORTABLE: scripts/package.sh's settings), so the tests
# run the binary the package holds and the package test packs this build instead of making another.
shipping=()
[ "$sanitize" = ON ] || shipping=(-DCMAKE_BUILD_TYPE=Release -DOCX_PORTABLE=ON)
cmake -S . -B "$build_dir" -G Ninja -DOCX_WERROR=ON -DOCX_SANITIZE="$sanitize" ${shipping[@]+"${shipping[@]}"} >/dev/null
cmake --build "$build_dir" -j "$jobs"

# Extra args ask for a part of stage 1 (and a sanitizer build is stage 1 alone): nothing runs beside it.
if [ "$#" -gt 0 ] || [ "$sanitize" = ON ]; then
  # Integration tests start their own registries on free loopback ports; two run at once on 2 cores.
  exec ctest --test-dir "$build_dir" --output-on-failure -j 2 "$@"
fi

# Stage 2 runs beside the tests: they wait on registries and child processes for over half their
# time (55% of 2 cores idle, measured), which clang-tidy fills. Its report follows theirs.
# Niced, so the tests' own processes (registries, timeouts) come first.
lint_log=$(mktemp)
lint_pid=
stop_lint() { # a cancelled run (Ctrl-C, a CI timeout) leaves no clang-tidy behind: its whole group
  if [ -n "$lint_pid" ]; then kill -TERM -- "-$lint_pid" 2>/dev/null || true; fi
}
trap 'stop_lint; rm -f "$lint_log"' EXIT
trap 'exit 130' INT TERM
set -m # job control: the background job gets a process group of its own
nice -n 10 bash scripts/lint.sh "$build_dir" >"$lint_log" 2>&1 &
lint_pid=$!
set +m
ctest_status=0
ctest --test-dir "$build_dir" --output-on-failure -j 2 || ctest_status=$?
lint_status=0
wait "$lint_pid" || lint_status=$?
lint_pid=
echo "== style: clang-format and clang-tidy (scripts/lint.sh), run beside the tests" >&2
cat "$lint_log" >&2
[ "$lint_status" = 0 ] && echo "lint: clean" >&2
[ "$ctest_status" = 0 ] || exit "$ctest_status"

echo "== fuzzing the parsers and the merge (clang, ASan+UBSan, 2 s per target)" >&2
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DOCX_FUZZ=ON -DOCX_SANITIZE=ON -DOCX_BUILD_TESTS=OFF \
  -DOCX_WERROR=ON >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_all
ctest --test-dir build-fuzz/tests/fuzz --output-on-failure -j 2

if [ "${OCX_ASAN_UNIT:-0}" = 1 ]; then
  echo "== unit tests under ASan+UBSan" >&2
  cmake -S . -B build-asan -G Ninja -DOCX_WERROR=ON -DOCX_SANITIZE=ON >/dev/null
  cmake --build build-asan -j "$jobs" --target ocx_unit_tests
  ctest --test-dir build-asan --output-on-failure -L unit
fi

exit "$lint_status"
