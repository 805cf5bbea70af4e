#!/usr/bin/env bash
# The README's test command: install what is missing, configure, build (warnings are errors),
# run every test (unit + integration against real registries). Exits non-zero on any failure.
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         only a ctest label (extra args go to ctest)
#   OCX_SANITIZE=ON scripts/test.sh   the same under ASan+UBSan (build dir build-asan)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh

sanitize=${OCX_SANITIZE:-OFF}
build_dir=${OCX_BUILD_DIR:-build}
[ "$sanitize" = ON ] && build_dir=${OCX_BUILD_DIR:-build-asan}

cmake -S . -B "$build_dir" -G Ninja -DOCX_WERROR=ON -DOCX_SANITIZE="$sanitize" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"

# Integration tests start their own registries on free loopback ports; two run at once on 2 cores.
ctest --test-dir "$build_dir" --output-on-failure -j 2 "$@"
