#!/usr/bin/env bash
# The GitHub Action's install step (action.yml): finds or builds ocx-release and tells the next
# step where it is (output `binary`; its directory is also added to $GITHUB_PATH, so later steps,
# e.g. a build script running `ocx-release create`, can call it).
#
# Order: input `binary` (INPUT_BINARY) -> `ocx-release` on PATH -> a cached build of this action's
# own source -> a fresh build, cached for next time. The cache key is a hash of the source
# (CMakeLists.txt, cmake/, src/), so a new action version builds once and an unchanged one never
# rebuilds:  $RUNNER_TOOL_CACHE/ocx-release/<hash>/ocx-release  (self-hosted runners keep it), else
# ~/.cache/ocx-release/<hash>/ocx-release  (add it to actions/cache to keep it on hosted runners).
#
# Build dependencies: Linux via scripts/install-deps.sh (apt, Debian 12 package names; sudo when
# not root), macOS via Homebrew (boost curl libarchive xz openssl doctest cmake ninja);
# OCX_INSTALL_DEPS=0 skips that step (an image that already has the build tools).
# Written for bash 3.2 too (macOS runners' /bin/bash).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/.." && pwd)

say() { echo "install: $*" >&2; }
die() {
  [ "${GITHUB_ACTIONS:-}" = true ] && echo "::error title=ocx-release install::$1"
  echo "install: error: $1" >&2
  exit "${2:-69}"
}

emit() { # emit PATH: the result, for the next step and for people
  local bin=$1
  "$bin" --version >/dev/null 2>&1 || die "$bin does not run (\`$bin --version\` failed)"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "binary=$bin" >>"$GITHUB_OUTPUT"
  fi
  if [ -n "${GITHUB_PATH:-}" ]; then
    dirname "$bin" >>"$GITHUB_PATH"
  fi
  say "using $bin ($("$bin" --version 2>/dev/null))"
  printf '%s\n' "$bin"
  exit 0
}

if [ -n "${INPUT_BINARY:-}" ]; then
  if [ ! -f "$INPUT_BINARY" ] || [ ! -x "$INPUT_BINARY" ]; then
    die "input 'binary': $INPUT_BINARY is not an executable file" 64
  fi
  emit "$(cd "$(dirname "$INPUT_BINARY")" && pwd)/$(basename "$INPUT_BINARY")"
fi
if found=$(command -v ocx-release 2>/dev/null); then
  emit "$found"
fi

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum | cut -d' ' -f1; else shasum -a 256 | cut -d' ' -f1; fi
}

# Hash of everything the binary is built from: file names and contents, in a fixed order.
source_hash() {
  (
    cd "$source_dir"
    find CMakeLists.txt cmake src -type f | LC_ALL=C sort | while IFS= read -r f; do
      printf '%s %s\n' "$(sha256 <"$f")" "$f"
    done
  ) | sha256 | cut -c1-16
}

if [ ! -f "$source_dir/CMakeLists.txt" ] || [ ! -d "$source_dir/src" ]; then
  die "no ocx-release on PATH and no source next to the action ($source_dir); give input 'binary'"
fi
hash=$(source_hash)
if [ -n "${RUNNER_TOOL_CACHE:-}" ]; then
  cache="$RUNNER_TOOL_CACHE/ocx-release/$hash"
else
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/ocx-release/$hash"
fi
if [ -x "$cache/ocx-release" ]; then
  say "cached build $hash"
  emit "$cache/ocx-release"
fi

say "building ocx-release from $source_dir (source $hash)"
cmake_args=(-S "$source_dir" -B "$cache/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOCX_BUILD_TESTS=OFF)
case $(uname -s) in
  Linux)
    if [ "${OCX_INSTALL_DEPS:-1}" != 0 ] && [ -f "$source_dir/scripts/install-deps.sh" ]; then
      if [ "$(id -u)" -eq 0 ]; then
        bash "$source_dir/scripts/install-deps.sh" || die "scripts/install-deps.sh failed (it expects Debian 12 package names; on other distributions install the build dependencies first or give input 'binary')"
      elif command -v sudo >/dev/null 2>&1; then
        sudo -n bash "$source_dir/scripts/install-deps.sh" || die "scripts/install-deps.sh failed (it expects Debian 12 package names; on other distributions install the build dependencies first or give input 'binary')"
      else
        bash "$source_dir/scripts/install-deps.sh" || die "scripts/install-deps.sh needs root"
      fi
    fi
    ;;
  Darwin)
    command -v brew >/dev/null 2>&1 || die "Homebrew is needed to build ocx-release on macOS"
    missing=()
    [ "${OCX_INSTALL_DEPS:-1}" = 0 ] || for formula in boost curl libarchive xz openssl@3 doctest cmake ninja; do
      brew list --versions "$formula" >/dev/null 2>&1 || missing+=("$formula")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
      say "brew install ${missing[*]}"
      HOMEBREW_NO_AUTO_UPDATE=1 brew install "${missing[@]}" >&2
    fi
    # curl, libarchive and openssl are keg-only: point CMake at them.
    prefixes="$(brew --prefix libarchive);$(brew --prefix curl);$(brew --prefix openssl@3);$(brew --prefix)"
    cmake_args+=("-DCMAKE_PREFIX_PATH=$prefixes")
    ;;
  *) die "building ocx-release on $(uname -s) is not supported by this action; give input 'binary'" ;;
esac

mkdir -p "$cache"
cmake "${cmake_args[@]}" >&2
cmake --build "$cache/build" --target ocx-release >&2
# Publish into the cache atomically: a concurrent job sees either nothing or a whole binary.
cp "$cache/build/ocx-release" "$cache/ocx-release.tmp.$$"
mv -f "$cache/ocx-release.tmp.$$" "$cache/ocx-release"
rm -rf "$cache/build"
emit "$cache/ocx-release"
