"""scripts/install-deps.sh picks package names by what apt offers and installs by capability.

apt is replaced by fakes on PATH: `apt-cache policy|pkgnames` answer from a package list
(tests/data/apt/debian12.txt and debian13.txt: every package the script may ask about, with its
candidate version, as `apt-cache policy` printed them on Debian 12 and in a Debian 13 root), and
`apt-get` only logs its arguments. Capabilities are made absent by a PATH holding only the shell
tools the script itself uses, and an empty OCX_DEPS_INCLUDE_DIRS; present by adding tools to
that PATH and headers to that include dir.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from schemas import SOURCE_DIR

SCRIPT = SOURCE_DIR / "scripts" / "install-deps.sh"
APT_DATA = SOURCE_DIR / "tests" / "data" / "apt"
# What the script itself runs (plus what bash needs to start).
SHELL_TOOLS = ["bash", "sh", "sed", "grep", "head", "cut", "sort", "tr", "uname", "id", "cat", "find"]

FAKE_APT_CACHE = r"""#!/bin/bash
# apt-cache policy NAME... | apt-cache pkgnames PREFIX, answered from $FAKE_APT_LIST ("name version" lines)
cmd=$1; shift
while read -r name version; do
  case $cmd in
    policy) for n in "$@"; do [ "$n" = "$name" ] && printf '%s:\n  Installed: (none)\n  Candidate: %s\n' "$name" "$version"; done ;;
    pkgnames) case $name in "$1"*) echo "$name" ;; esac ;;
  esac
done < "$FAKE_APT_LIST"
exit 0
"""

FAKE_APT_GET = """#!/bin/bash
echo "$*" >> "$FAKE_APT_LOG"
"""

# The packages the Debian 12 script installed before it picked names by what apt offers: on
# Debian 12 nothing changes (and the lint group, added since, brings clang-format and clang-tidy).
DEBIAN12_ALL = {
    "build-essential", "cmake", "ninja-build", "pkg-config", "git", "clang", "libclang-rt-14-dev",
    "libboost1.81-dev", "libboost-json1.81-dev", "libboost-program-options1.81-dev",
    "libcurl4-openssl-dev", "libarchive-dev", "liblzma-dev", "libssl-dev", "doctest-dev",
    "docker-registry", "skopeo", "apache2-utils", "openssl", "python3", "python3-jsonschema",
    "tar", "xz-utils", "libarchive-tools", "curl", "nodejs", "npm", "clang-format", "clang-tidy"}
BUILD_COMMON = {"build-essential", "cmake", "ninja-build", "pkg-config", "git", "libcurl4-openssl-dev",
                "libarchive-dev", "liblzma-dev", "libssl-dev"}


class InstallDeps(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ocx-deps-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.bin = os.path.join(self.tmp, "bin")
        self.include = os.path.join(self.tmp, "include")
        os.makedirs(self.bin)
        os.makedirs(self.include)
        for tool in SHELL_TOOLS:
            os.symlink(shutil.which(tool), os.path.join(self.bin, tool))
        for name, text in (("apt-cache", FAKE_APT_CACHE), ("apt-get", FAKE_APT_GET)):
            with open(os.path.join(self.bin, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(self.bin, name), 0o755)
        self.log = os.path.join(self.tmp, "apt-get.log")

    def provide(self, *tools: str):
        """Puts these tools on the fake PATH (a capability present, whatever package gave it)."""
        for tool in tools:
            os.symlink(shutil.which(tool) or "/bin/true", os.path.join(self.bin, tool))

    def header(self, name: str, text: str = ""):
        path = Path(self.include, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def run_script(self, distro: str, *args: str, packages: Path | None = None) -> subprocess.CompletedProcess:
        env = {"PATH": self.bin, "FAKE_APT_LIST": str(packages or APT_DATA / (distro + ".txt")),
               "FAKE_APT_LOG": self.log, "OCX_DEPS_INCLUDE_DIRS": self.include, "HOME": self.tmp}
        return subprocess.run([os.path.join(self.bin, "bash"), str(SCRIPT), *args], env=env, capture_output=True,
                              text=True, timeout=120)

    def apt_get_calls(self) -> list:
        return Path(self.log).read_text().splitlines() if os.path.exists(self.log) else []

    def installed(self) -> set:
        calls = self.apt_get_calls()
        self.assertEqual(calls[0], "update -qq")
        self.assertTrue(calls[1].startswith("install -y -qq --no-install-recommends "), calls)
        self.assertEqual(len(calls), 2, calls)
        names = calls[1].split()[4:]
        self.assertEqual(len(names), len(set(names)), "a package named twice: %s" % names)
        return set(names)

    def test_debian12_everything_missing_installs_what_it_always_did(self):
        r = self.run_script("debian12")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.installed(), DEBIAN12_ALL)

    def test_debian13_takes_the_default_boost_and_clangs_own_runtime(self):
        r = self.run_script("debian13")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = self.installed()
        self.assertTrue({"libboost-dev", "libboost-json-dev", "libboost-program-options-dev",
                         "libclang-rt-19-dev", "clang"} <= got, got)
        self.assertFalse({n for n in got if "1.8" in n or n == "libclang-rt-14-dev"}, got)
        self.assertEqual(got, DEBIAN12_ALL - {"libboost1.81-dev", "libboost-json1.81-dev",
                                              "libboost-program-options1.81-dev", "libclang-rt-14-dev"}
                         | {"libboost-dev", "libboost-json-dev", "libboost-program-options-dev", "libclang-rt-19-dev"})

    def test_build_mode_installs_only_what_the_binary_needs(self):
        for distro, boost in (("debian12", {"libboost1.81-dev", "libboost-json1.81-dev",
                                            "libboost-program-options1.81-dev"}),
                              ("debian13", {"libboost-dev", "libboost-json-dev", "libboost-program-options-dev"})):
            with self.subTest(distro):
                if os.path.exists(self.log):
                    os.remove(self.log)
                r = self.run_script(distro, "--build")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(self.installed(), BUILD_COMMON | boost)

    def test_unit_group_brings_the_archive_tools(self):
        r = self.run_script("debian13", "unit")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.installed(), {"doctest-dev", "python3", "tar", "xz-utils", "libarchive-tools"})

    def test_lint_group_brings_clang_format_and_clang_tidy(self):
        for distro in ("debian12", "debian13"):
            with self.subTest(distro):
                if os.path.exists(self.log):
                    os.remove(self.log)
                r = self.run_script(distro, "lint")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(self.installed(), {"clang-format", "clang-tidy"})
        os.remove(self.log)
        self.provide("clang-format", "clang-tidy")
        r = self.run_script("debian13", "lint")
        self.assertEqual((r.returncode, os.path.exists(self.log)), (0, False), r.stderr)

    def test_print_lists_and_installs_nothing(self):
        r = self.run_script("debian13", "--print", "--build")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(set(r.stdout.split()), BUILD_COMMON | {"libboost-dev", "libboost-json-dev",
                                                                "libboost-program-options-dev"})
        self.assertEqual(self.apt_get_calls(), [])

    def test_present_capabilities_install_nothing_whatever_provided_them(self):
        self.provide("c++", "cmake", "ninja", "pkg-config", "git")
        self.header("boost/version.hpp", "#define BOOST_VERSION 108300\n")
        self.header("boost/json.hpp")
        self.header("boost/program_options.hpp")
        self.header("x86_64-linux-gnu/curl/curl.h")  # a multiarch include dir
        for h in ("archive.h", "lzma.h", "openssl/crypto.h"):
            self.header(h)
        r = self.run_script("debian13", "--build")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual(self.apt_get_calls(), [], "apt was run although everything was there")

    def test_a_boost_older_than_1_81_does_not_count(self):
        self.header("boost/version.hpp", "#define BOOST_VERSION 107400\n")
        self.header("boost/json.hpp")
        self.header("boost/program_options.hpp")
        r = self.run_script("debian12", "--print", "--build")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("libboost-json1.81-dev", r.stdout.split())

    def test_libclang_rt_dev_where_the_versioned_runtime_is_missing(self):
        trimmed = Path(self.tmp, "no-versioned-rt.txt")
        trimmed.write_text("".join(line + "\n" for line in (APT_DATA / "debian13.txt").read_text().splitlines()
                                   if not line.startswith("libclang-rt-19-dev ")))
        r = self.run_script("debian13", "--print", "fuzz", packages=trimmed)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), ["clang", "libclang-rt-dev"])

    def test_no_boost_1_81_anywhere_is_a_clear_error(self):
        # Like Ubuntu 22.04: Boost 1.74 only, which has no Boost.JSON.
        trimmed = Path(self.tmp, "old-boost.txt")
        trimmed.write_text("".join(line + "\n" for line in (APT_DATA / "debian12.txt").read_text().splitlines()
                                   if "boost" not in line) + "libboost-dev 1.74.0.3\n")
        r = self.run_script("debian12", "--build", packages=trimmed)
        self.assertEqual(r.returncode, 69, r.stderr)
        self.assertIn("install-deps: no installation candidate for boost (Boost >= 1.81 with Boost.JSON: neither "
                      "libboost-json-dev >= 1.81 nor libboost-json1.NN-dev)", r.stderr)
        self.assertEqual(self.apt_get_calls(), ["update -qq"], "apt-get install ran anyway")

    def test_unknown_arguments_are_usage_errors(self):
        r = self.run_script("debian13", "--all")
        self.assertEqual(r.returncode, 64)
        self.assertIn("install-deps: unknown argument '--all' (try --help)", r.stderr)
        usage = self.run_script("debian13", "--help")
        self.assertEqual(usage.returncode, 0)
        self.assertTrue(usage.stdout.startswith("Installs what building, testing and the demo need"), usage.stdout)
        self.assertIn("Exit codes: 0 done", usage.stdout)
        self.assertNotIn("set -euo", usage.stdout)

    def test_this_machine_needs_nothing(self):
        # scripts/test.sh runs install-deps.sh first; on a machine that has run it, it is a no-op.
        r = subprocess.run(["bash", str(SCRIPT), "--print"], capture_output=True, text=True, timeout=120)
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)


if __name__ == "__main__":
    unittest.main()
