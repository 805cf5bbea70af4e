#!/usr/bin/env bash
# Builds the release package of this machine's platform:
#   dist/ocx-release-<version>-<os>-<arch>.tar.gz         ocx-release, README.md, LICENSE
#   dist/ocx-release-<version>-<os>-<arch>.tar.gz.sha256  `sha256sum` format
# and prints the archive's path on stdout. <version> is VERSION, <os> linux|darwin, <arch>
# amd64|arm64.
#
# The binary is a Release build (-DOCX_PORTABLE=ON: Boost, libstdc++ and libgcc linked
# statically), stripped. On Linux it is checked before it is packed: it may need only glibc's
# libraries and libcurl.so.4, libssl.so.3, libcrypto.so.3, libarchive.so.13, liblzma.so.5,
# libz.so.1 (all on stock Debian 12/13 and Ubuntu 22.04/24.04), and no glibc symbol newer than
# 2.35 (Ubuntu 22.04); anything else is refused (exit 65) and nothing is written to dist/.
# Build it on the oldest system it should run on (the release workflow uses Debian 12).
#
#   OCX_PACKAGE_BUILD_DIR   build directory (default build-dist; kept, so a rebuild is incremental).
#                           One configured already as a Release build with OCX_PORTABLE=ON (the
#                           test suite's build/, scripts/test.sh) is used as it is configured:
#                           only the ocx-release target is brought up to date
#   OCX_PACKAGE_OUT         output directory (default dist)
#   OCX_RELEASE_COMMIT      the commit `--version` names when the source is not a git checkout
#   SOURCE_DATE_EPOCH       file times in the archive (default: the last commit's time, else 0)
# Needs cmake, ninja, a C++20 compiler and the libraries (scripts/install-deps.sh --build), and
# readelf (binutils) on Linux.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { echo "package: $*" >&2; }
die() { echo "package: error: $1" >&2; exit "${2:-65}"; }

case ${1:-} in
  "") ;;
  -h | --help) sed -n '2,/^set -e/{/^set -e/d;p;}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument '$1' (try --help)" 64 ;;
esac

version=$(head -n 1 VERSION)
printf '%s\n' "$version" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$' || die "VERSION: expected MAJOR.MINOR.PATCH, found '$version'"
case $(uname -s) in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) die "no release package for $(uname -s) (linux and darwin only)" 69 ;;
esac
case $(uname -m) in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no release package for $(uname -m) (amd64 and arm64 only)" 69 ;;
esac
asset="ocx-release-$version-$os-$arch.tar.gz"
build_dir=${OCX_PACKAGE_BUILD_DIR:-build-dist}
out_dir=${OCX_PACKAGE_OUT:-dist}

cmake_args=(-S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOCX_PORTABLE=ON -DOCX_BUILD_TESTS=OFF
  -DOCX_WERROR=ON)
if [ "$os" = darwin ]; then
  # Homebrew's curl, libarchive and openssl are keg-only: point CMake at them.
  prefixes="$(brew --prefix libarchive);$(brew --prefix curl);$(brew --prefix openssl@3);$(brew --prefix)"
  cmake_args+=("-DCMAKE_PREFIX_PATH=$prefixes")
fi
say "building $asset in $build_dir"
cache=$build_dir/CMakeCache.txt
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n 1; }
cache_on() { # CMake's truth: ON, 1, TRUE, YES, Y in any case
  case $(cache_value "$1" | tr '[:lower:]' '[:upper:]') in ON | 1 | TRUE | YES | Y) return 0 ;; *) return 1 ;; esac
}
if [ -f "$cache" ] && [ "$(cache_value CMAKE_HOME_DIRECTORY)" = "$root" ] && [ "$(cache_value CMAKE_BUILD_TYPE)" = Release ] &&
  cache_on OCX_PORTABLE && cache_on OCX_WERROR && ! cache_on OCX_SANITIZE && ! cache_on OCX_FUZZ; then
  # Configured for release packages already (the test suite's build/): configured again only to
  # pick up OCX_RELEASE_COMMIT, with its own settings kept (its tests too).
  say "$build_dir is configured for release packages already: building it as it is"
  cmake -S "$root" -B "$build_dir" >/dev/null
elif [ -f "$cache" ] && [ -n "${OCX_PACKAGE_BUILD_DIR:-}" ] && [ "$(cache_value CMAKE_HOME_DIRECTORY)" != "$root" ]; then
  die "$build_dir was configured from $(cache_value CMAKE_HOME_DIRECTORY), not $root" 64
elif [ -f "$cache" ] && [ -n "${OCX_PACKAGE_BUILD_DIR:-}" ] && cache_on OCX_BUILD_TESTS; then
  # Reconfiguring a test build for a package would turn its tests off.
  die "$build_dir is a test build configured differently (Release, OCX_PORTABLE, OCX_WERROR on; sanitizers and fuzzing off): configure it so, or choose another OCX_PACKAGE_BUILD_DIR" 64
else
  cmake "${cmake_args[@]}" -DOCX_SANITIZE=OFF -DOCX_FUZZ=OFF >/dev/null
fi
cmake --build "$build_dir" --target ocx-release >&2

stage=$(mktemp -d "${TMPDIR:-/tmp}/ocx-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/files"
cp "$build_dir/ocx-release" "$stage/files/ocx-release"
if [ "$os" = darwin ]; then strip -x "$stage/files/ocx-release"; else strip --strip-all "$stage/files/ocx-release"; fi
cp README.md LICENSE "$stage/files/"
chmod 0755 "$stage/files/ocx-release"
chmod 0644 "$stage/files/README.md" "$stage/files/LICENSE"

if [ "$os" = linux ]; then
  command -v readelf >/dev/null 2>&1 || die "readelf not found (apt-get install binutils)" 69
  allowed=" libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 ld-linux-x86-64.so.2 ld-linux-aarch64.so.1"
  allowed+=" libcurl.so.4 libssl.so.3 libcrypto.so.3 libarchive.so.13 liblzma.so.5 libz.so.1 "
  needed=$(readelf -d "$stage/files/ocx-release" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
  [ -n "$needed" ] || die "readelf found no NEEDED entries in the binary (a static build is not what this packs)"
  for lib in $needed; do
    case $allowed in
      *" $lib "*) ;;
      *) die "the binary needs $lib, which stock Debian/Ubuntu images do not have (allowed:$allowed)" ;;
    esac
  done
  # The newest GLIBC_x.y[.z] version any imported symbol asks for.
  newest=$(readelf -W --dyn-syms "$stage/files/ocx-release" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' |
    sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)
  if [ -n "$newest" ] && [ "$(printf '%s\n2.35\n' "$newest" | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)" != 2.35 ]; then
    die "the binary needs glibc $newest (symbols: $(readelf -W --dyn-syms "$stage/files/ocx-release" |
      grep -o "[^ ]*@GLIBC_$newest" | sort -u | tr '\n' ' ')); the ceiling is 2.35: build on an older system"
  fi
  say "NEEDED: $(echo $needed); newest glibc symbol version: ${newest:-none}"
fi
"$stage/files/ocx-release" --version >/dev/null || die "the packaged binary does not run"

# Deterministic archive: fixed order, owner, times; gzip without a name or time stamp.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
  owner=(--owner=0 --group=0 --numeric-owner --mtime="@$epoch" --format=ustar)
else # bsdtar (macOS)
  owner=(--uid 0 --gid 0 --uname root --gname root --format ustar)
  touch -t "$(date -u -r "$epoch" +%Y%m%d%H%M.%S 2>/dev/null || echo 197001010000.00)" "$stage/files/"*
fi
(cd "$stage/files" && tar -cf - "${owner[@]}" ocx-release README.md LICENSE) | gzip -9n >"$stage/$asset"

if command -v sha256sum >/dev/null 2>&1; then
  (cd "$stage" && sha256sum "$asset" >"$asset.sha256")
else
  (cd "$stage" && shasum -a 256 "$asset" >"$asset.sha256")
fi
mkdir -p "$out_dir"
# The archive first, its checksum last: a reader that sees the .sha256 sees the archive it names.
mv -f "$stage/$asset" "$out_dir/$asset"
mv -f "$stage/$asset.sha256" "$out_dir/$asset.sha256"
say "wrote $out_dir/$asset ($(wc -c <"$out_dir/$asset" | tr -d ' ') bytes) and $asset.sha256"
printf '%s\n' "$out_dir/$asset"
