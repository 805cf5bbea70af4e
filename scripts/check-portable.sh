#!/usr/bin/env bash
# Checks the release package where it has to run, and the build where it has to build: in Debian
# 13 (trixie) roots made with mmdebstrap (downloads Debian packages, so it is not part of
# scripts/test.sh). Linux, as root (mmdebstrap --mode=root, chroot).
#
#   scripts/check-portable.sh            the runtime check
#   scripts/check-portable.sh --build    the runtime check, then the build check
#   scripts/check-portable.sh --help
#
# Runtime check: a minbase root holding only the runtime libraries (libcurl4t64 libarchive13t64
# liblzma5 libssl3t64 ca-certificates; no compiler, no Boost, no libstdc++ beyond what apt itself
# needs), the package from scripts/package.sh copied in, and inside it (chroot): `--version`,
# `create` of a tree holding the packaged binary itself, `push` to an `oci:` layout, `install` from
# it, and the installed ocx-release run.
# Build check: a minbase root where scripts/install-deps.sh (build unit fuzz) installs the tools,
# then Release -DOCX_WERROR=ON builds with GCC (14) and clang (19), and the unit tests of each.
#
#   OCX_PORTABLE_ROOTS   where the roots live (default .cache/roots; each is made once, and
#                        reused while its .complete marker is there)
#   OCX_PACKAGE          a package to check instead of running scripts/package.sh
#   OCX_DEBIAN_MIRROR    a Debian mirror for mmdebstrap (default: mmdebstrap's own)
# Exit codes: 0 all passed, 1 a check failed, 64 usage, 69 mmdebstrap missing, 77 not root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

build_check=0
case ${1:-} in
  "") ;;
  --build) build_check=1 ;;
  -h | --help) sed -n '2,/^set -e/{/^set -e/d;p;}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "check-portable: unknown argument '$1' (try --help)" >&2; exit 64 ;;
esac

say() { echo "== $*" >&2; }
fail() { echo "check-portable: FAILED: $*" >&2; exit 1; }
[ "$(uname -s)" = Linux ] || { echo "check-portable: Linux only" >&2; exit 69; }
[ "$(id -u)" -eq 0 ] || { echo "check-portable: run as root (mmdebstrap --mode=root and chroot)" >&2; exit 77; }
command -v mmdebstrap >/dev/null 2>&1 || { echo "check-portable: mmdebstrap not found (apt-get install mmdebstrap)" >&2; exit 69; }

roots=${OCX_PORTABLE_ROOTS:-$root/.cache/roots}
mkdir -p "$roots"
mirror=()
[ -z "${OCX_DEBIAN_MIRROR:-}" ] || mirror=("$OCX_DEBIAN_MIRROR")

mounted=()
cleanup() {
  local m
  for m in ${mounted[@]+"${mounted[@]}"}; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT

make_root() { # make_root DIR [mmdebstrap args...]: a trixie minbase root, made once
  local dir=$1
  shift
  if [ -f "$dir.complete" ]; then
    say "reusing $dir"
  else
    # A root left half-made: never remove through something mounted in it (its /proc).
    if mountpoint -q "$dir/proc" 2>/dev/null; then umount "$dir/proc"; fi
    if [ -d "$dir" ] && grep -q " $dir/" /proc/mounts; then fail "$dir has mounts inside; unmount them first"; fi
    rm -rf --one-file-system "$dir"
    say "mmdebstrap trixie $dir $*"
    local start=$SECONDS
    mmdebstrap --mode=root --variant=minbase "$@" trixie "$dir" ${mirror[@]+"${mirror[@]}"} >&2
    touch "$dir.complete"
    say "root made in $((SECONDS - start)) s ($(du -sh "$dir" | cut -f1))"
  fi
  if ! mountpoint -q "$dir/proc"; then
    mount -t proc proc "$dir/proc"
    mounted+=("$dir/proc")
  fi
}

in_root() { # in_root DIR COMMAND...: runs in the root with a clean environment
  local dir=$1
  shift
  chroot "$dir" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

# --- the runtime check -----------------------------------------------------------------------
package=${OCX_PACKAGE:-}
if [ -z "$package" ]; then
  say "scripts/package.sh"
  package=$(bash scripts/package.sh)
fi
[ -f "$package" ] || fail "no package at $package"
version=$(head -n 1 VERSION)

rt="$roots/trixie-runtime"
make_root "$rt" --include=libcurl4t64,libarchive13t64,liblzma5,libssl3t64,ca-certificates
rm -rf "$rt/work"
mkdir -p "$rt/work/opt" "$rt/work/tree/bin"
tar -xzf "$package" -C "$rt/work/opt"
cp "$rt/work/opt/ocx-release" "$rt/work/tree/bin/ocx-release"
cat >"$rt/work/metadata.json" <<'JSON'
{
  "type": "bundle",
  "version": 1,
  "env": [{ "key": "PATH", "type": "path", "required": true, "value": "${installPath}/bin", "visibility": "public" }],
  "binaries": ["ocx-release"]
}
JSON
for lib in libstdc++.so.6 libboost_json; do
  if find "$rt/usr/lib" -name "$lib*" | grep -q .; then say "note: the runtime root has $lib (apt's own dependency)"; fi
done

say "in the runtime root: --version"
in_root "$rt" /work/opt/ocx-release --version || fail "--version"
[ "$(in_root "$rt" /work/opt/ocx-release --version | head -n 1)" = "ocx-release $version" ] || fail "--version is not $version"
platform=$(case $(uname -m) in x86_64) echo linux/amd64 ;; aarch64) echo linux/arm64 ;; *) uname -m ;; esac)
say "in the runtime root: create, push to oci:/work/layout, install, run"
in_root "$rt" /work/opt/ocx-release create /work/tree -i ocx-release:"$version" -p "$platform" \
  -m /work/metadata.json -o /work/out || fail "create"
asset=$(cd "$rt/work/out" && ls ./*.tar.xz | head -n 1)
in_root "$rt" /work/opt/ocx-release push "/work/out/${asset#./}" -i "oci:/work/layout:$version" -p "$platform" \
  -m /work/metadata.json || fail "push"
in_root "$rt" /work/opt/ocx-release install "oci:/work/layout:$version" -o /work/installed || fail "install"
installed=$(in_root "$rt" /work/installed/content/bin/ocx-release --version) || fail "running the installed ocx-release"
printf '%s\n' "$installed" >&2
[ "$(printf '%s\n' "$installed" | head -n 1)" = "ocx-release $version" ] || fail "the installed tool says something else"
say "runtime check passed: $(basename "$package") runs in a Debian 13 root with only the runtime libraries"

[ "$build_check" = 1 ] || exit 0

# --- the build check -------------------------------------------------------------------------
bt="$roots/trixie-build"
make_root "$bt"
rm -rf "$bt/src/ocx"
mkdir -p "$bt/src/ocx"
# The source as git sees it (tracked and new files, nothing ignored), or the whole tree.
if git rev-parse --git-dir >/dev/null 2>&1; then
  git ls-files -co --exclude-standard -z | xargs -0 cp --parents -a -t "$bt/src/ocx/"
else
  tar -cf - --exclude='./build*' --exclude=./.cache --exclude=./dist . | tar -xf - -C "$bt/src/ocx"
fi
cp /etc/resolv.conf "$bt/etc/resolv.conf" 2>/dev/null || true
say "in the build root: scripts/install-deps.sh build unit fuzz"
start=$SECONDS
in_root "$bt" bash /src/ocx/scripts/install-deps.sh build unit fuzz || fail "install-deps.sh in the build root"
say "install-deps took $((SECONDS - start)) s"
status=0
# Build directories stay in the root (/build-gcc, /build-clang): a second run is incremental.
for compiler in gcc:g++ clang:clang++; do
  name=${compiler%%:*}
  cxx=${compiler#*:}
  say "in the build root: Release -DOCX_WERROR=ON with $(in_root "$bt" "$cxx" --version | head -n 1)"
  start=$SECONDS
  if in_root "$bt" env CXX="$cxx" OCX_RELEASE_COMMIT="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
    cmake -S /src/ocx -B "/build-$name" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOCX_WERROR=ON >&2 &&
    in_root "$bt" cmake --build "/build-$name" -j "$(nproc)" >&2; then
    say "$cxx: built in $((SECONDS - start)) s"
    start=$SECONDS
    if in_root "$bt" sh -c "cd /build-$name && ./tests/ocx_unit_tests --no-intro=true" >&2; then
      say "$cxx: unit tests passed in $((SECONDS - start)) s"
    else
      echo "check-portable: $cxx: unit tests failed" >&2
      status=1
    fi
  else
    echo "check-portable: $cxx: the build failed" >&2
    status=1
  fi
done
[ "$status" = 0 ] || fail "the build check"
say "build check passed"
