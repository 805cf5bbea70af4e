#!/usr/bin/env bash
# The GitHub Action's install step (action.yml): puts ocx-release on PATH and tells the next step
# where it is (output `binary`; its directory is also added to $GITHUB_PATH, so later steps, e.g.
# a build script running `ocx-release create`, can call it).
#
# Order:
#   1. input `binary` (INPUT_BINARY): that file.
#   2. input `version` (INPUT_VERSION; default: this action's own VERSION file) from the tool
#      cache: $RUNNER_TOOL_CACHE/ocx-release/<version>/<arch>/ocx-release (outside Actions
#      ${XDG_CACHE_HOME:-~/.cache}/ocx-release/releases/<version>/<arch>), when a previous run
#      completed it (<arch>.complete next to it). No download.
#   3. `ocx-release` on PATH, when its `--version` is that version.
#   4. the release asset ocx-release-<version>-<os>-<arch>.tar.gz (os linux|darwin, arch
#      amd64|arm64) from $OCX_RELEASE_DOWNLOAD_URL/v<version>/ (default: this action's GitHub
#      releases, $GITHUB_SERVER_URL/<action repository>/releases/download), checked against
#      <asset>.sha256, unpacked into the tool cache. A missing asset (exit 79), a checksum
#      mismatch or an archive holding anything but ocx-release, README.md, LICENSE (65), or a
#      failed download (75) is an error, and nothing is installed.
#   5. a build from this action's source, for platforms without a release asset, or when input
#      `from-source` (INPUT_FROM_SOURCE=true) asks for it: dependencies through
#      scripts/install-deps.sh --build (Linux, sudo when not root) or Homebrew (macOS);
#      OCX_INSTALL_DEPS=0 skips that step. Cached by a hash of the source (CMakeLists.txt, cmake/,
#      src/, VERSION) in $RUNNER_TOOL_CACHE/ocx-release/source-<hash> (or ~/.cache/ocx-release/<hash>).
# Written for bash 3.2 too (macOS runners' /bin/bash).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/.." && pwd)

say() { echo "install: $*" >&2; }
# Workflow-command data: %, CR and LF escaped as the runner expects, so an input holding a line
# break cannot start a command line of its own.
command_data() {
  local s=${1//%/%25}
  s=${s//$'\r'/%0D}
  printf '%s' "${s//$'\n'/%0A}"
}
die() {
  if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::error title=ocx-release install::$(command_data "$1")"; fi
  echo "install: error: $(printf '%s' "$1" | tr '\r\n' '  ')" >&2
  exit "${2:-69}"
}

emit() { # emit PATH: the result, for the next step and for people
  local bin=$1 shown
  shown=$("$bin" --version 2>/dev/null | head -n 1) || die "$bin does not run (\`$bin --version\` failed)"
  [ -n "$shown" ] || die "$bin does not run (\`$bin --version\` failed)"
  # One line each in GITHUB_OUTPUT and GITHUB_PATH: a path with a line break would add others.
  case $bin in *$'\n'* | *$'\r'*) die "the path of the binary holds a line break" 64 ;; esac
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "binary=$bin" >>"$GITHUB_OUTPUT"
  fi
  if [ -n "${GITHUB_PATH:-}" ]; then
    dirname "$bin" >>"$GITHUB_PATH"
  fi
  say "using $bin ($shown)"
  printf '%s\n' "$bin"
  exit 0
}

if [ -n "${INPUT_BINARY:-}" ]; then
  if [ ! -f "$INPUT_BINARY" ] || [ ! -x "$INPUT_BINARY" ]; then
    die "input 'binary': $INPUT_BINARY is not an executable file" 64
  fi
  emit "$(cd "$(dirname "$INPUT_BINARY")" && pwd)/$(basename "$INPUT_BINARY")"
fi

# The version: input `version` (a leading v is allowed), else the action's own VERSION file.
version=${INPUT_VERSION:-}
version=${version#v}
if [ -z "$version" ]; then
  [ -f "$source_dir/VERSION" ] || die "input 'version' is empty and the action has no VERSION file ($source_dir)" 64
  version=$(head -n 1 "$source_dir/VERSION")
fi
if ! printf '%s\n' "$version" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$' || [ "${#version}" -gt 64 ]; then
  die "input 'version': expected MAJOR.MINOR.PATCH (e.g. 1.2.3), got '$(printf '%s' "$version" | head -c 64 | tr -c '[:alnum:].+-' '?')'" 64
fi
case ${INPUT_FROM_SOURCE:-false} in
  true | false | '') ;;
  *) die "input 'from-source': expected true or false, got '$(printf '%s' "$INPUT_FROM_SOURCE" | head -c 32 | tr -c '[:alnum:]' '?')'" 64 ;;
esac
from_source=${INPUT_FROM_SOURCE:-false}

os=""
arch=""
case $(uname -s) in Linux) os=linux ;; Darwin) os=darwin ;; esac
case $(uname -m) in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; esac

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum | cut -d' ' -f1; else shasum -a 256 | cut -d' ' -f1; fi
}

if [ -n "${RUNNER_TOOL_CACHE:-}" ]; then
  cache_root="$RUNNER_TOOL_CACHE/ocx-release"
  releases="$cache_root"
else
  cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/ocx-release"
  releases="$cache_root/releases"
fi

if [ "$from_source" != true ] && [ -n "$os" ] && [ -n "$arch" ]; then
  dir="$releases/$version/$arch"
  if [ -f "$dir.complete" ] && [ -x "$dir/ocx-release" ]; then
    say "ocx-release $version from the tool cache"
    emit "$dir/ocx-release"
  fi
  if found=$(command -v ocx-release 2>/dev/null) && [ "$("$found" --version 2>/dev/null | head -n 1)" = "ocx-release $version" ]; then
    emit "$found"
  fi

  asset="ocx-release-$version-$os-$arch.tar.gz"
  # The action's repository: the runner's variable, else the path it checked the action out to
  # (<tool dir>/_actions/OWNER/REPO/REF; the variable is empty inside composite steps on some
  # runners), else (`uses: ./`) the workflow's own repository.
  repo=${GITHUB_ACTION_REPOSITORY:-}
  case $repo:$source_dir in
    :*/_actions/*/*/*) repo=$(printf '%s\n' "${source_dir##*/_actions/}" | cut -d/ -f1-2) ;;
  esac
  repo=${repo:-${GITHUB_REPOSITORY:-}}
  base=${OCX_RELEASE_DOWNLOAD_URL:-}
  if [ -z "$base" ] && [ -n "${GITHUB_SERVER_URL:-}" ] && [ -n "$repo" ]; then
    base="$GITHUB_SERVER_URL/$repo/releases/download"
  fi
  if [ -n "$base" ]; then
    # HTTPS only, redirects included (the checksum comes from the same server, so the transport
    # is what vouches for both); plain HTTP only for a loopback mirror (tests, a local cache).
    protocols=(--proto =https --proto-redir =https)
    case $base in
      https://*) ;;
      http://127.0.0.1[:/]* | http://localhost[:/]* | "http://[::1]"[:/]*) protocols=(--proto =http --proto-redir =http) ;;
      *) die "OCX_RELEASE_DOWNLOAD_URL must be an https:// URL (plain http only on a loopback host), got '$(printf '%s' "$base" | head -c 200 | tr -c '[:alnum:]:/._~-' '?')'" 64 ;;
    esac
    url="${base%/}/v$version/$asset"
    command -v curl >/dev/null 2>&1 || die "curl is needed to download $url"
    mkdir -p "$releases/$version"
    stage=$(mktemp -d "$releases/$version/.download.XXXXXX")
    trap 'rm -rf "$stage"' EXIT
    fetch() { # fetch URL FILE -> HTTP status (000: no answer)
      curl -sSL "${protocols[@]}" --retry 3 --retry-delay 1 --connect-timeout 20 --max-time 300 -o "$2" \
        -w '%{http_code}' "$1" ||
        true
    }
    say "downloading $url"
    status=$(fetch "$url" "$stage/$asset")
    case $status in
      200) ;;
      404) die "no release asset $asset at $url (HTTP 404): is v$version released for $os/$arch? Input 'from-source: true' builds it instead" 79 ;;
      000) die "could not download $url (no answer; see curl's message above)" 75 ;;
      *) die "could not download $url (HTTP $status)" 75 ;;
    esac
    status=$(fetch "$url.sha256" "$stage/$asset.sha256")
    case $status in
      200) ;;
      404) die "no checksum file $asset.sha256 at $url.sha256 (HTTP 404); refusing an unchecked download" 79 ;;
      000) die "could not download $url.sha256 (no answer)" 75 ;;
      *) die "could not download $url.sha256 (HTTP $status)" 75 ;;
    esac
    # `sha256sum` format: "<64 hex>  <name>" (or " *<name>"), naming this asset.
    expected=$(head -c 4096 "$stage/$asset.sha256" | head -n 1 | sed -n "s/^\([0-9a-f]\{64\}\) [ *]\(.*\)$/\1 \2/p")
    [ "${expected#* }" = "$asset" ] || die "$asset.sha256 is not a sha256sum line for $asset" 65
    expected=${expected%% *}
    actual=$(sha256 <"$stage/$asset")
    [ "$actual" = "$expected" ] || die "checksum mismatch for $asset: $asset.sha256 says $expected, the download is $actual; nothing was installed" 65
    members=$(tar -tzf "$stage/$asset" 2>/dev/null | LC_ALL=C sort | tr '\n' ' ') || members=""
    [ "$members" = "LICENSE README.md ocx-release " ] || die "$asset holds '$(printf '%s' "$members" | head -c 200 | tr -c '[:alnum:]._ /-' '?')', not ocx-release, README.md and LICENSE" 65
    mkdir "$stage/unpacked"
    tar -xzf "$stage/$asset" -C "$stage/unpacked" --no-same-owner
    [ "$("$stage/unpacked/ocx-release" --version 2>/dev/null | head -n 1)" = "ocx-release $version" ] ||
      die "the ocx-release in $asset does not run here or is not version $version" 65
    # Into the cache: a concurrent job sees no directory, or a whole one marked complete.
    rm -rf "$dir" "$dir.complete"
    mv "$stage/unpacked" "$dir"
    touch "$dir.complete"
    say "installed ocx-release $version into $dir"
    emit "$dir/ocx-release"
  fi
  say "no download location (set OCX_RELEASE_DOWNLOAD_URL, or run in GitHub Actions): building from source"
elif [ "$from_source" != true ]; then
  say "no release asset for $(uname -s)/$(uname -m): building from source"
fi

# ---------------------------------------------------------------------------------------------
# Build from this action's own source.

# Hash of everything the binary is built from: file names and contents, in a fixed order.
source_hash() {
  (
    cd "$source_dir"
    find CMakeLists.txt cmake src VERSION -type f | LC_ALL=C sort | while IFS= read -r f; do
      printf '%s %s\n' "$(sha256 <"$f")" "$f"
    done
  ) | sha256 | cut -c1-16
}

if [ ! -f "$source_dir/CMakeLists.txt" ] || [ ! -d "$source_dir/src" ]; then
  die "no ocx-release on PATH and no source next to the action ($source_dir); give input 'binary'"
fi
hash=$(source_hash)
if [ -n "${RUNNER_TOOL_CACHE:-}" ]; then
  cache="$RUNNER_TOOL_CACHE/ocx-release/source-$hash"
else
  cache="$cache_root/$hash"
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
      deps=(bash "$source_dir/scripts/install-deps.sh" --build)
      if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then deps=(sudo -n "${deps[@]}"); fi
      "${deps[@]}" || die "scripts/install-deps.sh --build failed (it needs apt and root; elsewhere install the build dependencies first or give input 'binary')"
    fi
    ;;
  Darwin)
    if [ "${OCX_INSTALL_DEPS:-1}" != 0 ]; then
      bash "$source_dir/scripts/install-deps.sh" --build || die "scripts/install-deps.sh --build failed (Homebrew)"
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
