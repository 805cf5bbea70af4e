#!/usr/bin/env bash
# Installs what building, testing and the demo need, by capability: a tool on PATH or a header
# already there means nothing is installed for it, whichever package (or hand build) put it there.
#
#   scripts/install-deps.sh                 every group (what scripts/test.sh and demo.sh need)
#   scripts/install-deps.sh --build         only what building the binary needs (the action's
#                                           build-from-source fallback)
#   scripts/install-deps.sh GROUP...        these groups: build unit integration fuzz workflow lint
#   scripts/install-deps.sh --print [...]   print the packages that would be installed, one a
#                                           line, and install nothing (no root needed)
#
# Groups: build (C++ compiler, cmake, ninja, pkg-config, git, Boost >= 1.81 with Boost.JSON and
# program_options, libcurl, libarchive, liblzma, OpenSSL headers); unit (doctest, tar, xz,
# bsdtar, python3: configuring with the tests needs it); integration (docker-registry, skopeo,
# htpasswd, openssl, curl, python3 + jsonschema);
# fuzz (clang and its libFuzzer runtime); workflow (node + npm for the workflow validator);
# lint (clang-format and clang-tidy for scripts/lint.sh).
#
# Debian and Ubuntu (apt): package names are picked by what apt offers. Boost comes as the
# distribution's default packages (libboost-json-dev …) when they are 1.81 or newer (Debian 13,
# Ubuntu 24.04), else as the newest versioned set >= 1.81 (libboost-json1.81-dev … on Debian 12).
# clang's runtime is libclang-rt-<clang major>-dev, or libclang-rt-dev where that is missing.
# apt's lists are refreshed only when something is missing. Needs root to install (exit 77).
# macOS: Homebrew formulas for the build and unit groups (the integration tests need Debian's
# docker-registry and are not supported there).
# Exit codes: 0 done (or nothing to do), 64 usage, 69 no package offers a capability, 77 not root.
#
# For tests: OCX_DEPS_INCLUDE_DIRS (default "/usr/local/include /usr/include") is where headers
# are looked for (each dir and its one-level subdirectories, for multiarch include dirs).
set -euo pipefail

say() { echo "install-deps: $*" >&2; }

print_only=0
groups=()
while [ $# -gt 0 ]; do
  case $1 in
    --build) groups+=(build) ;;
    --print) print_only=1 ;;
    build | unit | integration | fuzz | workflow | lint) groups+=("$1") ;;
    -h | --help) sed -n '2,/^set -e/{/^set -e/d;p;}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) say "unknown argument '$1' (try --help)"; exit 64 ;;
  esac
  shift
done
[ "${#groups[@]}" -gt 0 ] || groups=(build unit integration fuzz workflow lint)

wants() { # wants GROUP: true when GROUP was asked for
  local g
  for g in "${groups[@]}"; do [ "$g" = "$1" ] && return 0; done
  return 1
}

have() { command -v "$1" >/dev/null 2>&1; }

include_dirs=${OCX_DEPS_INCLUDE_DIRS-/usr/local/include /usr/include}

header_path() { # header_path NAME: the first include dir (or multiarch subdir) holding NAME
  local d sub
  for d in $include_dirs; do
    if [ -f "$d/$1" ]; then printf '%s\n' "$d/$1"; return 0; fi
    for sub in "$d"/*/; do
      if [ -f "$sub$1" ]; then printf '%s\n' "$sub$1"; return 0; fi
    done
  done
  return 1
}

have_header() { header_path "$1" >/dev/null; }

boost_ok() { # Boost >= 1.81 headers with Boost.JSON and program_options
  local version_hpp number
  version_hpp=$(header_path boost/version.hpp) || return 1
  number=$(sed -n 's/^#define BOOST_VERSION \([0-9][0-9]*\).*/\1/p' "$version_hpp" | head -n 1)
  [ -n "$number" ] && [ "$number" -ge 108100 ] || return 1
  have_header boost/json.hpp && have_header boost/program_options.hpp
}

# ---------------------------------------------------------------------------------------------
# macOS: Homebrew.
if [ "$(uname -s)" = Darwin ]; then
  have brew || { say "Homebrew is needed on macOS (https://brew.sh)"; exit 69; }
  formulas=()
  if wants build; then formulas+=(boost curl libarchive xz openssl@3 cmake ninja pkg-config); fi
  if wants unit; then formulas+=(doctest xz); fi
  if wants integration || wants fuzz || wants workflow || wants lint; then
    say "the integration, fuzz, workflow and lint groups need Debian's docker-registry, skopeo, clang's libFuzzer and clang-format/clang-tidy on PATH; not supported on macOS"
  fi
  missing=()
  for f in ${formulas[@]+"${formulas[@]}"}; do
    brew list --versions "$f" >/dev/null 2>&1 || missing+=("$f")
  done
  [ "${#missing[@]}" -gt 0 ] || exit 0
  if [ "$print_only" = 1 ]; then printf '%s\n' "${missing[@]}"; exit 0; fi
  say "brew install ${missing[*]}"
  HOMEBREW_NO_AUTO_UPDATE=1 brew install "${missing[@]}" >&2
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Debian and Ubuntu: capabilities first, package names only for what is missing.
needs=() # capability names, resolved to packages below
if wants build; then
  have c++ || needs+=(compiler)
  have cmake || needs+=(cmake)
  have ninja || needs+=(ninja)
  have pkg-config || needs+=(pkg-config)
  have git || needs+=(git)
  boost_ok || needs+=(boost)
  have_header curl/curl.h || needs+=(curl-dev)
  have_header archive.h || needs+=(archive-dev)
  have_header lzma.h || needs+=(lzma-dev)
  have_header openssl/crypto.h || needs+=(ssl-dev)
fi
if wants unit; then
  have_header doctest/doctest.h || needs+=(doctest)
  have python3 || needs+=(python3) # configuring with the tests registers the Python integration tests
  have tar || needs+=(tar)
  have xz || needs+=(xz)
  have bsdtar || needs+=(bsdtar)
fi
if wants integration; then
  have docker-registry || needs+=(docker-registry)
  have skopeo || needs+=(skopeo)
  have htpasswd || needs+=(htpasswd)
  have openssl || needs+=(openssl)
  have curl || needs+=(curl)
  if ! have python3; then
    needs+=(python3 jsonschema)
  elif ! python3 -c 'import jsonschema' >/dev/null 2>&1; then
    needs+=(jsonschema)
  fi
fi
if wants fuzz; then
  if ! have clang++; then
    needs+=(clang clang-rt)
  elif ! find "$(clang++ -print-resource-dir 2>/dev/null || echo /nonexistent)/lib" \
    -name 'libclang_rt.fuzzer*.a' 2>/dev/null | grep -q .; then
    needs+=(clang-rt)
  fi
fi
if wants workflow; then
  # Machines that ship a nodejs package with npm inside (NodeSource) must not get Debian's npm.
  have npm || needs+=(node)
fi

if wants lint; then
  have clang-format || needs+=(clang-format)
  have clang-tidy || needs+=(clang-tidy)
fi

[ "${#needs[@]}" -gt 0 ] || exit 0

if [ "$print_only" = 0 ] && [ "$(id -u)" -ne 0 ]; then
  say "missing: ${needs[*]}"
  say "run as root (or install them) and try again; --print lists the packages"
  exit 77
fi

have apt-cache && have apt-get || { say "missing ${needs[*]}, and this is not an apt system: install them by hand"; exit 69; }

if [ "$print_only" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
fi

candidate() { # candidate PKG: the version apt would install, or nothing
  apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '^(none)$' | head -n 1 || true
}
offered() { [ -n "$(candidate "$1")" ]; }
upstream_minor() { # upstream_minor VERSION: "1:1.83.0.2" -> 83 (Boost's minor), "1.81.0-5" -> 81
  printf '%s\n' "${1#*:}" | sed -n 's/^1\.\([0-9][0-9]*\).*/\1/p'
}

boost_packages() {
  local v minor name best=""
  # The distribution's default Boost, when new enough (Debian 13, Ubuntu 24.04: 1.83).
  v=$(candidate libboost-json-dev)
  if [ -n "$v" ] && minor=$(upstream_minor "$v") && [ -n "$minor" ] && [ "$minor" -ge 81 ] &&
    offered libboost-dev && offered libboost-program-options-dev; then
    echo libboost-dev libboost-json-dev libboost-program-options-dev
    return 0
  fi
  # Else the newest versioned set >= 1.81 (Debian 12: 1.81 beside the default 1.74).
  for name in $(apt-cache pkgnames libboost-json1. 2>/dev/null | LC_ALL=C sort -u); do
    minor=$(printf '%s\n' "$name" | sed -n 's/^libboost-json1\.\([0-9][0-9]*\)-dev$/\1/p')
    [ -n "$minor" ] && [ "$minor" -ge 81 ] || continue
    offered "$name" && offered "libboost1.$minor-dev" && offered "libboost-program-options1.$minor-dev" || continue
    if [ -z "$best" ] || [ "$minor" -gt "$best" ]; then best=$minor; fi
  done
  [ -n "$best" ] || return 1
  echo "libboost1.$best-dev libboost-json1.$best-dev libboost-program-options1.$best-dev"
}

clang_rt_package() {
  local major
  if have clang++; then
    major=$(clang++ -dumpversion 2>/dev/null | cut -d. -f1)
  else
    major=$(upstream_major "$(candidate clang)")
  fi
  if [ -n "$major" ] && offered "libclang-rt-$major-dev"; then echo "libclang-rt-$major-dev"; return 0; fi
  offered libclang-rt-dev && { echo libclang-rt-dev; return 0; }
  return 1
}
upstream_major() { printf '%s\n' "${1#*:}" | sed -n 's/^\([0-9][0-9]*\)\..*/\1/p'; }

packages=()
unavailable=()
add() { # add CAPABILITY PKG...: the packages for one capability, each checked against apt, once
  local cap=$1 p q
  shift
  for p in "$@"; do
    if ! offered "$p"; then unavailable+=("$cap ($p)"); return 0; fi
  done
  for p in "$@"; do
    for q in ${packages[@]+"${packages[@]}"}; do [ "$p" = "$q" ] && continue 2; done
    packages+=("$p")
  done
}
for need in "${needs[@]}"; do
  case $need in
    compiler) add compiler build-essential ;;
    cmake) add cmake cmake ;;
    ninja) add ninja ninja-build ;;
    pkg-config) add pkg-config pkg-config ;;
    git) add git git ;;
    boost)
      if boost=$(boost_packages); then
        # shellcheck disable=SC2086 # three names, split on purpose
        add boost $boost
      else
        unavailable+=("boost (Boost >= 1.81 with Boost.JSON: neither libboost-json-dev >= 1.81 nor libboost-json1.NN-dev)")
      fi
      ;;
    curl-dev) add curl-dev libcurl4-openssl-dev ;;
    archive-dev) add archive-dev libarchive-dev ;;
    lzma-dev) add lzma-dev liblzma-dev ;;
    ssl-dev) add ssl-dev libssl-dev ;;
    doctest) add doctest doctest-dev ;;
    tar) add tar tar ;;
    xz) add xz xz-utils ;;
    bsdtar) add bsdtar libarchive-tools ;;
    docker-registry) add docker-registry docker-registry ;;
    skopeo) add skopeo skopeo ;;
    htpasswd) add htpasswd apache2-utils ;;
    openssl) add openssl openssl ;;
    curl) add curl curl ;;
    python3) add python3 python3 ;;
    jsonschema) add jsonschema python3-jsonschema ;;
    clang) add clang clang ;;
    clang-rt)
      if rt=$(clang_rt_package); then add clang-rt "$rt"; else unavailable+=("clang-rt (libclang-rt-<major>-dev or libclang-rt-dev)"); fi
      ;;
    node) add node nodejs npm ;;
    clang-format) add clang-format clang-format ;;
    clang-tidy) add clang-tidy clang-tidy ;;
  esac
done

if [ "${#unavailable[@]}" -gt 0 ]; then
  for u in "${unavailable[@]}"; do say "no installation candidate for $u"; done
  exit 69
fi

if [ "$print_only" = 1 ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi
say "installing ${packages[*]}"
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
