#!/usr/bin/env bash
# Builds the example package "hello" for three platforms, as a real project's build would:
#
#   build/linux-amd64/   content directories the release matrix bundles (`content`)
#   build/linux-arm64/
#   dist/hello-darwin-arm64.tar.xz (+ -metadata.json, -receipt.json sidecars)
#                        a prebuilt archive the matrix uses as is (`archive`), made here with
#                        `ocx-release create` the way a separate macOS job would hand one over
#
# Each content tree holds bin/hello (a shell script printing its version and platform), README.md
# and LICENSE. Outputs are rebuilt from scratch on every run (only build/ and dist/ are touched).
#
# usage: examples/hello/build.sh [VERSION]        (default: 1.0.0, the matrix's tag)
# The ocx-release binary: $OCX_RELEASE_BIN, else `ocx-release` on PATH, else <repo>/build/ocx-release.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
version=${1:-1.0.0}
case $version in
  '' | *[!A-Za-z0-9._+-]*) echo "build.sh: invalid version \"$version\"" >&2; exit 64 ;;
esac

find_ocx_release() {
  if [ -n "${OCX_RELEASE_BIN:-}" ]; then
    printf '%s\n' "$OCX_RELEASE_BIN"
  elif command -v ocx-release >/dev/null 2>&1; then
    command -v ocx-release
  elif [ -x "$here/../../build/ocx-release" ]; then
    printf '%s\n' "$here/../../build/ocx-release"
  else
    echo "build.sh: ocx-release not found (set OCX_RELEASE_BIN, put it on PATH, or build it into build/)" >&2
    return 69
  fi
}

rm -rf "$here/build" "$here/dist"
mkdir -p "$here/dist"

make_tree() { # make_tree DIR PLATFORM
  local dir=$1 platform=$2
  mkdir -p "$dir/bin"
  cat >"$dir/bin/hello" <<SCRIPT
#!/bin/sh
# hello: the ocx-release example package.
echo "hello $version ($platform)"
SCRIPT
  chmod 0755 "$dir/bin/hello"
  cat >"$dir/README.md" <<README
# hello $version

The example package of ocx-release, built for $platform.
Run \`hello\` to see which build you got.
README
  cat >"$dir/LICENSE" <<'LICENSE'
Copyright (c) the ocx-release authors.

Permission is hereby granted, free of charge, to any person obtaining a copy of this example
package, to deal in it without restriction. It is provided "as is", without warranty of any kind.
LICENSE
}

make_tree "$here/build/linux-amd64" linux/amd64
make_tree "$here/build/linux-arm64" linux/arm64

# darwin/arm64 arrives as a prebuilt archive: bundle it once with `create`. Its sidecars land next
# to it (dist/hello-darwin-arm64-metadata.json is what the matrix would use without "metadata").
make_tree "$here/build/darwin-arm64.src" darwin/arm64
ocx_release=$(find_ocx_release)
"$ocx_release" create "$here/build/darwin-arm64.src" \
  -i "127.0.0.1:5000/examples/hello:$version" -p darwin/arm64 -m "$here/metadata.json" \
  -o "$here/dist/hello-darwin-arm64.tar.xz" -f
rm -rf "$here/build/darwin-arm64.src"

echo "built hello $version: build/linux-amd64, build/linux-arm64, dist/hello-darwin-arm64.tar.xz" >&2
