#!/usr/bin/env bash
# Style checks, run by scripts/test.sh after the tests:
#   1. clang-format (.clang-format) over src/ and tests/unit: every file must be formatted;
#   2. clang-tidy (.clang-tidy) over src/*.cpp through BUILD_DIR/compile_commands.json (the
#      headers of src/ are checked where they are included). Every finding fails, a function
#      over the size limit (80 lines) too.
# Installs clang-format and clang-tidy through scripts/install-deps.sh when they are missing.
#
#   scripts/lint.sh [BUILD_DIR]          check (BUILD_DIR defaults to build, configured already)
#   scripts/lint.sh --fix [BUILD_DIR]    rewrite the files clang-format would change, then check
#   scripts/lint.sh --format-only        only step 1 (no build directory needed)
#
# Exit codes: 0 clean, 1 a finding (printed), 64 usage, 69 no compile_commands.json, and those of
# install-deps.sh (69, 77) when the tools are missing and cannot be installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { echo "lint: $*" >&2; }

fix=0
tidy=1
build_dir=build
while [ $# -gt 0 ]; do
  case $1 in
    --fix) fix=1 ;;
    --format-only) tidy=0 ;;
    -h | --help) sed -n '2,/^set -e/{/^set -e/d;p;}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) say "unknown argument '$1' (try --help)"; exit 64 ;;
    *) build_dir=$1 ;;
  esac
  shift
done

if ! command -v clang-format >/dev/null 2>&1 || ! command -v clang-tidy >/dev/null 2>&1; then
  bash scripts/install-deps.sh lint
fi
jobs=$(nproc 2>/dev/null || sysctl -n hw.ncpu)

# The files, from git when this is a checkout (so build trees and untracked scratch are left
# alone), else from the tree.
list() { # list DIR...: the C++ sources and headers under DIR, NUL-separated
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    local d patterns=()
    for d in "$@"; do patterns+=("$d/*.cpp" "$d/*.hpp"); done
    git ls-files -z -- "${patterns[@]}"
  else
    find "$@" \( -name '*.cpp' -o -name '*.hpp' \) -print0 | sort -z
  fi
}

status=0

if [ "$fix" = 1 ]; then
  list src tests/unit | xargs -0 -r clang-format -i
fi
# --dry-run -Werror names each file and line clang-format would change.
if ! list src tests/unit | xargs -0 -r -n 25 -P "$jobs" clang-format --dry-run -Werror; then
  say "clang-format: the files above are not formatted (scripts/lint.sh --fix formats them)"
  status=1
fi

if [ "$tidy" = 1 ]; then
  if [ ! -f "$build_dir/compile_commands.json" ]; then
    say "$build_dir/compile_commands.json is missing: configure first (cmake -S . -B $build_dir -G Ninja)"
    exit 69
  fi
  out=$(mktemp)
  trap 'rm -f "$out"' EXIT
  # One file per clang-tidy process, $jobs at once; its exit code says whether an error was found.
  # The compile commands are GCC's: an option clang does not know (-Wno-restrict, which the
  # Release build adds for GCC 12.2) must not become an error under -Werror.
  tidy_failed=0
  if ! list src | tr '\0' '\n' | grep '\.cpp$' | grep -v '^src/portable/' |
    xargs -r -n 1 -P "$jobs" clang-tidy -p "$build_dir" --quiet --extra-arg=-Wno-unknown-warning-option >"$out" 2>&1; then
    status=1
    tidy_failed=1
  fi
  # Each finding once (a header's findings repeat for every file that includes it), and errors
  # that name no place (a compile option, a missing file); a driver warning that names no place
  # (an argument clang does not use) is not a finding.
  findings=$(grep -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error): |^error: ' "$out" | sort -u || true)
  errors=$(printf '%s\n' "$findings" | grep -v 'readability-function-size' | grep . || true)
  long=$(printf '%s\n' "$findings" | grep 'readability-function-size' | grep . || true)
  [ -n "$long" ] && status=1
  if [ -n "$errors" ]; then
    say "clang-tidy findings:"
    printf '%s\n' "$errors" >&2
    status=1
  fi
  if [ "$tidy_failed" = 1 ] && [ -z "$findings" ]; then
    say "clang-tidy failed without a finding; the end of its output:"
    grep -v ' warnings\? generated\.$' "$out" | tail -n 20 >&2
  fi
  if [ -n "$long" ]; then
    say "functions over the size limit ($(printf '%s\n' "$long" | wc -l | tr -d ' ')), split them:"
    printf '%s\n' "$long" | sed -E 's/^([^:]+:[0-9]+):[0-9]+: warning: (function .*) exceeds .*/  \1 \2/' >&2
  fi
fi

exit "$status"
