#!/usr/bin/env bash
# Installs the Node.js tools the workflow tests use, pinned, into a project-local directory
# (default .cache/node-tools, or $OCX_NODE_TOOLS_DIR), and prints that directory:
#   @action-validator/cli + core   validates action.yml and the example GitHub workflows
#   yaml                           a YAML 1.2 parser, for the GitLab example (Python has none built in)
# Idempotent and offline-safe: when the pinned versions are already there, npm is not run at all.
# Needs node and npm (Debian: nodejs npm). Exits 69 with a clear message when npm cannot install.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${OCX_NODE_TOOLS_DIR:-$root/.cache/node-tools}

# name@version, exact: what is installed is what was tested.
pins=("@action-validator/cli@0.6.0" "@action-validator/core@0.6.0" "yaml@2.9.1")

installed_version() { # installed_version NAME -> version or nothing
  local manifest="$dir/node_modules/$1/package.json"
  [ -f "$manifest" ] || return 0
  node -e 'process.stdout.write(String(require(process.argv[1]).version || ""))' "$manifest" 2>/dev/null || true
}

command -v node >/dev/null 2>&1 || { echo "install-node-tools: node is not installed (Debian: apt-get install nodejs npm)" >&2; exit 69; }

missing=()
for pin in "${pins[@]}"; do
  name=${pin%@*}
  version=${pin##*@}
  [ "$(installed_version "$name")" = "$version" ] || missing+=("$pin")
done

if [ "${#missing[@]}" -gt 0 ]; then
  command -v npm >/dev/null 2>&1 || { echo "install-node-tools: npm is not installed (Debian: apt-get install npm)" >&2; exit 69; }
  mkdir -p "$dir"
  # A private package.json so npm installs here and never walks up into the repository.
  [ -f "$dir/package.json" ] || printf '{\n  "name": "ocx-release-node-tools",\n  "private": true\n}\n' >"$dir/package.json"
  echo "install-node-tools: installing ${missing[*]} into $dir" >&2
  # Retries stay short: an unreachable registry should fail in seconds, not minutes.
  if ! npm install --prefix "$dir" --save-exact --no-audit --no-fund --no-update-notifier --loglevel=error \
    --fetch-retries=2 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=10000 \
    "${pins[@]}" >&2; then
    echo "install-node-tools: npm could not install ${missing[*]}; is the npm registry reachable?" >&2
    exit 69
  fi
  for pin in "${pins[@]}"; do
    if [ "$(installed_version "${pin%@*}")" != "${pin##*@}" ]; then
      echo "install-node-tools: ${pin} is still missing after npm install" >&2
      exit 69
    fi
  done
fi
printf '%s\n' "$dir"
