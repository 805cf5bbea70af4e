#!/usr/bin/env bash
# Installs exactly what building, testing and the demo need on Debian 12, as root.
# Idempotent: packages already present are not fetched again, and apt's lists are only
# refreshed when something is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # libraries (Boost 1.81: Debian 12's default 1.74 has no Boost.JSON)
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
  libcurl4-openssl-dev libarchive-dev liblzma-dev libssl-dev doctest-dev
  # integration tests and the demo: a real registry, an independent reader, fixtures
  docker-registry skopeo apache2-utils openssl python3 python3-jsonschema
  tar xz-utils libarchive-tools curl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

# The workflow validator (npm: @action-validator/cli) needs node and npm. Machines that ship a
# nodejs package with npm inside (NodeSource) must not get Debian's npm on top of it.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or install them) and try again" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
