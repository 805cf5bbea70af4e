#!/usr/bin/env bash
# The README's demo: from a fresh Debian 12 checkout to a published multi-platform package.
#
#   scripts/demo.sh               release examples/hello to a throwaway docker-registry on a free
#                                 127.0.0.1 port, read it back with skopeo, verify it, clean up
#   scripts/demo.sh --layout DIR  the same into an OCI image layout at DIR (no registry; DIR stays)
#
# Steps: install what is missing (scripts/install-deps.sh; root needed only then), build
# (cmake + ninja into build/), build the example's three platforms in a temporary copy of
# examples/hello, plan the release (--dry-run), release it (cascade: 1.0.0, 1.0, 1, latest), show
# the report, read the index back with skopeo (an independent OCI client), run `ocx-release verify`.
# Everything temporary (copy, registry process and storage) is removed on exit, also on Ctrl-C.
# OCX_RELEASE_BIN=PATH skips the build and uses that binary.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
layout=""
while [ $# -gt 0 ]; do
  case $1 in
    --layout)
      [ $# -ge 2 ] || { echo "demo: --layout needs a directory" >&2; exit 64; }
      layout=$2
      shift 2
      ;;
    --layout=*) layout=${1#--layout=}; shift ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument '$1' (try --help)" >&2; exit 64 ;;
  esac
done

bold="" plain=""
if [ -t 2 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-}" != dumb ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain" >&2; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }

work=""
registry_pid=""
cleanup() {
  if [ -n "$registry_pid" ] && kill -0 "$registry_pid" 2>/dev/null; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
  [ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$root"
step "dependencies"
run bash scripts/install-deps.sh

if [ -n "${OCX_RELEASE_BIN:-}" ]; then
  ocx_release=$OCX_RELEASE_BIN
  step "using $ocx_release"
else
  step "build"
  run cmake -S . -B build -G Ninja >/dev/null
  run cmake --build build
  ocx_release=$root/build/ocx-release
fi
"$ocx_release" --version >&2
export OCX_RELEASE_BIN=$ocx_release

work=$(mktemp -d "${TMPDIR:-/tmp}/ocx-demo.XXXXXX")

if [ -n "$layout" ]; then
  mkdir -p "$layout"
  layout=$(cd "$layout" && pwd)
  package="oci:$layout"
else
  step "a throwaway registry"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  host="127.0.0.1:$port"
  mkdir -p "$work/registry"
  # docker-registry reads YAML, and JSON is YAML.
  cat >"$work/registry/config.yml" <<EOF
{"version": "0.1",
 "log": {"level": "warn", "accesslog": {"disabled": true}},
 "storage": {"filesystem": {"rootdirectory": "$work/registry/storage"}, "delete": {"enabled": true}},
 "http": {"addr": "$host"}}
EOF
  registry_bin=${OCX_REGISTRY_BIN:-/usr/bin/docker-registry}
  "$registry_bin" serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "http://$host/v2/" 2>/dev/null; then break; fi
    kill -0 "$registry_pid" 2>/dev/null || { cat "$work/registry/log" >&2; echo "demo: the registry did not start" >&2; exit 69; }
    sleep 0.1
  done
  curl -fsS -o /dev/null "http://$host/v2/" || { cat "$work/registry/log" >&2; echo "demo: the registry does not answer" >&2; exit 69; }
  echo "docker-registry on http://$host (storage $work/registry/storage)" >&2
  package="$host/examples/hello"
fi

step "build examples/hello (linux/amd64, linux/arm64 as directories; darwin/arm64 as a prebuilt archive)"
cp -R "$root/examples/hello" "$work/hello"
rm -rf "$work/hello/build" "$work/hello/dist"
run bash "$work/hello/build.sh" 1.0.0

# The example matrix names a local registry; point it at ours (or the layout). The copy sits
# next to the original so the matrix's relative paths still hold.
matrix="$work/hello/release.demo.json"
python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))
m["package"] = sys.argv[3]
json.dump(m, open(sys.argv[2], "w"), indent=2)' "$work/hello/release.json" "$matrix" "$package"
echo "matrix: $matrix (package $package, tag 1.0.0, cascade)" >&2

step "plan (dry run: bundles and reads the target, writes nothing)"
run "$ocx_release" release "$matrix" --dry-run --report "$work/plan.json"

step "release"
run "$ocx_release" release "$matrix" --report "$work/report.json"

step "the report ($work/report.json)"
cat "$work/report.json"

step "read back with skopeo"
if [ -n "$layout" ]; then
  run skopeo inspect --raw "oci:$layout:1.0.0" | python3 -m json.tool
  echo "tags in $layout/index.json:" >&2
  python3 -c 'import json, sys
for m in json.load(open(sys.argv[1]))["manifests"]:
    print("  " + m.get("annotations", {}).get("org.opencontainers.image.ref.name", "(untagged)"))' "$layout/index.json"
else
  run skopeo inspect --raw --tls-verify=false "docker://$host/examples/hello:1.0.0" | python3 -m json.tool
  run skopeo list-tags --tls-verify=false "docker://$host/examples/hello"
fi

step "verify (every tag, index, manifest and blob in the report is there as reported)"
run "$ocx_release" verify "$work/report.json"

planned=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["index"]["digest"])' "$work/plan.json")
published=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["index"]["digest"])' "$work/report.json")
if [ "$planned" != "$published" ]; then
  echo "demo: the dry run planned $planned but the release published $published" >&2
  exit 70
fi
step "done: $package:1.0.0 is $published (as planned by the dry run)"
if [ -n "$layout" ]; then
  echo "the layout stays in $layout" >&2
else
  echo "the registry and its storage are removed now" >&2
fi
