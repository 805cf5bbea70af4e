"""scripts/package.sh: the release package runs on stock Debian 12/13 and Ubuntu 22.04/24.04.

The package is built once per test run (release_package.built_package). Checked with tools other
than the ones package.sh itself uses (objdump and Python's tarfile, where package.sh uses readelf
and tar): the asset's name and checksum file, its members, the binary's NEEDED list and glibc
symbol versions, that it is stripped, and its `--version` (version, commit and library versions
computed here from VERSION, git and pkg-config). package.sh refuses a binary that needs more.
Also the source-tree hygiene the packages depend on: every script is executable in git and every
Python file compiles without warnings.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import unittest
import warnings
from pathlib import Path

from release_package import asset_name, build_dir, built_package, run_package_sh, version
from schemas import SOURCE_DIR

ALLOWED_NEEDED = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2",
                  "ld-linux-aarch64.so.1", "libcurl.so.4", "libssl.so.3", "libcrypto.so.3", "libarchive.so.13",
                  "liblzma.so.5", "libz.so.1"}
GLIBC_CEILING = (2, 35)


def extract_binary(asset: Path, into: str) -> str:
    with tarfile.open(asset) as tar:
        tar.extract("ocx-release", into)
    return os.path.join(into, "ocx-release")


def tool_output(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True, timeout=120).stdout


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pkg = built_package()
        cls.tmp = tempfile.mkdtemp(prefix="ocx-package-test-")
        cls.binary = extract_binary(cls.pkg.asset, cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_asset_name_and_checksum_file(self):
        self.assertEqual(self.pkg.asset.name, asset_name())
        self.assertRegex(asset_name(), r"^ocx-release-\d+\.\d+\.\d+-(linux|darwin)-(amd64|arm64)\.tar\.gz$")
        self.assertEqual(sorted(os.listdir(self.pkg.dist)), [asset_name(), asset_name() + ".sha256"])
        digest = hashlib.sha256(self.pkg.asset.read_bytes()).hexdigest()
        self.assertEqual((self.pkg.dist / (asset_name() + ".sha256")).read_text(), "%s  %s\n" % (digest, asset_name()))
        # sha256sum itself accepts it.
        r = subprocess.run(["sha256sum", "-c", asset_name() + ".sha256"], cwd=self.pkg.dist, capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_the_archive_holds_exactly_the_binary_readme_and_license(self):
        with tarfile.open(self.pkg.asset) as tar:
            members = {m.name: m for m in tar.getmembers()}
            self.assertEqual(sorted(members), ["LICENSE", "README.md", "ocx-release"])
            for m in members.values():
                self.assertTrue(m.isfile(), m.name)
                self.assertEqual((m.uid, m.gid), (0, 0), m.name)
            self.assertEqual(members["ocx-release"].mode, 0o755)
            self.assertEqual(members["README.md"].mode, 0o644)
            self.assertEqual(tar.extractfile("README.md").read(), (SOURCE_DIR / "README.md").read_bytes())
            self.assertEqual(tar.extractfile("LICENSE").read(), (SOURCE_DIR / "LICENSE").read_bytes())

    def test_needed_libraries_are_on_every_stock_image(self):
        needed = re.findall(r"^\s*NEEDED\s+(\S+)$", tool_output("objdump", "-p", self.binary), re.M)
        self.assertIn("libc.so.6", needed)
        self.assertFalse(set(needed) - ALLOWED_NEEDED, "NEEDED beyond the allowed list: %s" % needed)
        for static in ("libstdc++", "libgcc_s", "libboost"):
            self.assertFalse([n for n in needed if n.startswith(static)], needed)

    def test_no_glibc_symbol_newer_than_2_35(self):
        symbols = tool_output("objdump", "-T", self.binary)
        versions = {tuple(int(x) for x in v.split(".")) for v in re.findall(r"\bGLIBC_(\d+(?:\.\d+)+)\b", symbols)}
        self.assertTrue(versions, "no GLIBC_ symbol versions found; is objdump reading the binary?")
        newest = "GLIBC_" + ".".join(map(str, max(versions)))
        self.assertLessEqual(max(versions), GLIBC_CEILING, "symbols needing %s:\n%s" % (
            newest, "\n".join(line for line in symbols.splitlines() if newest in line)))
        # libstdc++ and libgcc are inside, not needed from the system.
        self.assertNotRegex(symbols, r"\b(GLIBCXX|CXXABI|GCC)_\d")

    def test_the_binary_is_stripped(self):
        self.assertNotIn(".symtab", tool_output("objdump", "-h", self.binary))
        self.assertNotIn(".debug_info", tool_output("objdump", "-h", self.binary))

    def test_version_names_version_commit_and_libraries(self):
        r = subprocess.run([self.binary, "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "ocx-release " + version())
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=SOURCE_DIR, capture_output=True, text=True)
        self.assertEqual(lines[1], "commit: " + (head.stdout.strip() if head.returncode == 0 else "unknown"))
        fields = dict(line.split(": ", 1) for line in lines[1:])
        self.assertEqual(sorted(fields), ["boost", "commit", "libarchive", "libcurl", "liblzma", "openssl"])
        boost = re.search(r'#define BOOST_LIB_VERSION "(\d+)_(\d+)"',
                          Path("/usr/include/boost/version.hpp").read_text())
        self.assertTrue(fields["boost"].startswith("%s.%s." % boost.groups()), fields)
        modversion = lambda name: tool_output("pkg-config", "--modversion", name).strip()  # noqa: E731
        self.assertEqual(fields["libcurl"].split()[0], modversion("libcurl"))
        self.assertEqual(fields["libarchive"], modversion("libarchive"))
        self.assertEqual(fields["liblzma"], modversion("liblzma"))
        self.assertEqual(fields["openssl"], modversion("libcrypto"))


class Refusals(unittest.TestCase):
    def test_a_binary_needing_more_libraries_is_not_packed(self):
        # A readelf that also reports libboost_json as NEEDED stands in for a non-portable link.
        built_package()  # the build directory is ready: this run only re-checks and packs
        with tempfile.TemporaryDirectory() as d:
            tools, out = os.path.join(d, "tools"), Path(d) / "dist"
            os.makedirs(tools)
            real = shutil.which("readelf")
            with open(os.path.join(tools, "readelf"), "w") as f:
                f.write('#!/bin/sh\n"%s" "$@"\ncase "$*" in *-d*) echo " 0x0000000000000001 (NEEDED)  '
                        'Shared library: [libboost_json.so.1.81.0]";; esac\n' % real)
            os.chmod(os.path.join(tools, "readelf"), 0o755)
            r = run_package_sh(out, {"PATH": tools + os.pathsep + os.environ["PATH"]})
            self.assertEqual(r.returncode, 65, r.stderr)
            self.assertIn("package: error: the binary needs libboost_json.so.1.81.0, which stock Debian/Ubuntu "
                          "images do not have", r.stderr)
            self.assertFalse(out.exists(), "package.sh created the output directory")
            self.assertEqual(r.stdout, "")

    def test_unknown_arguments_are_usage_errors(self):
        r = subprocess.run(["bash", str(SOURCE_DIR / "scripts" / "package.sh"), "--fast"], capture_output=True,
                           text=True, env=dict(os.environ, OCX_PACKAGE_BUILD_DIR=str(build_dir())))
        self.assertEqual(r.returncode, 64)
        self.assertIn("package: error: unknown argument '--fast' (try --help)", r.stderr)


class SourceTree(unittest.TestCase):
    def tracked(self) -> list:
        r = subprocess.run(["git", "ls-files", "-s"], cwd=SOURCE_DIR, capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest("not a git checkout")
        return [line.split(None, 3) for line in r.stdout.splitlines()]

    def test_every_script_is_executable_in_git(self):
        # The README tells people to run scripts/demo.sh, not `bash scripts/demo.sh`.
        scripts = [(mode, path) for mode, _, _, path in self.tracked()
                   if path.endswith(".sh") or path in (".ci/run",)]
        self.assertIn("scripts/demo.sh", [p for _, p in scripts])
        self.assertEqual([p for mode, p in scripts if mode != "100755"], [])
        for _, path in scripts:
            self.assertTrue((SOURCE_DIR / path).read_text().startswith("#!"), "%s has no #! line" % path)

    def test_every_python_file_compiles_without_warnings(self):
        # Python 3.12 turns an invalid escape like "\." in a normal string into a SyntaxWarning.
        files = [p for _, _, _, p in self.tracked() if p.endswith(".py")]
        self.assertIn("tests/integration/fault_proxy.py", files)
        for path in files:
            with self.subTest(path), warnings.catch_warnings():
                warnings.simplefilter("error")
                compile((SOURCE_DIR / path).read_text(), path, "exec")


if __name__ == "__main__":
    unittest.main()
