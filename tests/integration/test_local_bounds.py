"""Local files are read with the registry's bounds (issue 17 item 5): every JSON document read
from disk — an oci: layout's index.json and the manifests in it, a matrix, a metadata file, a
report, a part report — goes through one reader (util/files.hpp read_file) that refuses anything
but a regular file (/dev/zero, a FIFO, a directory) and anything over 8 MiB, the registry
client's cap on a response body, before reading it: exit 65, the path in the message.

Each run gets an address-space limit (4 GiB) so that a build without these bounds fails the test
with bad_alloc instead of eating the machine's memory; peak RSS comes from wait4.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from fixtures import File, hermetic_env, make_tree, release_bin, run
from release_helpers import scratch

LIMIT_AS = 4 << 30
GUARD_SECONDS = 120
MIB = 1 << 20


def _is_asan(binary: str) -> bool:
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def bounded_run(args: list, env: dict | None = None, cwd=None) -> tuple[int, int, str]:
    """Runs ocx-release under an address-space limit; returns (exit code, peak RSS in KiB, stderr)."""
    binary = release_bin()
    limit = not _is_asan(binary)  # ASan reserves terabytes of shadow: no AS limit there

    def preexec():
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))

    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen([binary, *map(str, args)], env=hermetic_env(env), cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err_file, preexec_fn=preexec)
        # A guard, not a timing assertion: a build that waits on a FIFO forever is killed and fails.
        deadline = time.monotonic() + GUARD_SECONDS
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.monotonic() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        err = err_file.read().decode(errors="replace")
    return proc.returncode, usage.ru_maxrss, err


def layout_with_package(base: Path) -> Path:
    """A real oci: layout holding tool:1.0.0 (create + push), to be damaged by the tests."""
    tree = make_tree(base / "tree", {"bin": {"tool": File("#!/bin/sh\necho hi\n", 0o755)}})
    meta = base / "metadata.json"
    meta.write_text(json.dumps({"type": "bundle", "version": 1}))
    layout = base / "layout"
    r = run(["create", tree, "-i", "tool:1.0.0", "-p", "linux/amd64", "-m", meta, "-o", base / "out"])
    assert r.returncode == 0, str(r)
    archive = base / "out" / "tool-1.0.0-linux-amd64.tar.xz"
    r = run(["push", archive, "-i", "oci:%s:1.0.0" % layout, "-p", "linux/amd64"])
    assert r.returncode == 0, str(r)
    return layout


class LocalBoundsTest(unittest.TestCase):
    def setUp(self):
        self.dir = scratch()
        self.addCleanup(shutil.rmtree, self.dir, True)

    def assert_refused(self, args: list, message: str, **kw) -> int:
        code, rss_kib, err = bounded_run(args, **kw)
        self.assertEqual(code, 65, err)
        self.assertIn(message, err)
        self.assertNotIn("internal error", err)
        return rss_kib

    def test_layout_index_json_on_dev_zero(self):
        layout = layout_with_package(self.dir)
        (layout / "index.json").unlink()
        os.symlink("/dev/zero", layout / "index.json")
        expected = "%s: not a regular file (a device, FIFO or socket)" % (layout / "index.json")
        self.assert_refused(["install", "oci:%s:1.0.0" % layout, "-p", "linux/amd64", "-o", self.dir / "inst"],
                            expected)
        self.assertFalse((self.dir / "inst").exists())
        # push reads the index to merge into it: refused the same, and the index is left alone.
        self.assert_refused(["push", self.dir / "out" / "tool-1.0.0-linux-amd64.tar.xz", "-i", "oci:%s:1.0.1" % layout,
                             "-p", "linux/amd64", "-m", self.dir / "metadata.json"], expected)
        self.assertEqual(os.readlink(layout / "index.json"), "/dev/zero")

    def test_layout_index_json_as_a_fifo(self):
        layout = layout_with_package(self.dir)
        (layout / "index.json").unlink()
        os.mkfifo(layout / "index.json")
        # Without O_NONBLOCK the open would wait for a writer forever (the run's timeout is the guard).
        self.assert_refused(["install", "oci:%s:1.0.0" % layout, "-p", "linux/amd64", "-o", self.dir / "inst"],
                            "%s: not a regular file (a device, FIFO or socket)" % (layout / "index.json"))

    def test_a_200_mb_index_json_is_refused_unread(self):
        layout = layout_with_package(self.dir)
        index = layout / "index.json"
        text = index.read_text()
        with open(index, "w") as f:  # valid JSON: the index, then 200 MB of spaces
            f.write(text)
            chunk = " " * MIB
            for _ in range(200):
                f.write(chunk)
        rss_kib = self.assert_refused(
            ["install", "oci:%s:1.0.0" % layout, "-p", "linux/amd64", "-o", self.dir / "inst"],
            "%s: larger than the 8 MiB a document may be; refusing to read it" % index)
        self.assertLess(rss_kib, 64 * 1024, "peak RSS %d KiB" % rss_kib)

    def test_a_manifest_blob_on_dev_zero(self):
        layout = layout_with_package(self.dir)
        index = json.loads((layout / "index.json").read_text())
        digest = index["manifests"][0]["digest"].split(":")[1]
        blob = layout / "blobs" / "sha256" / digest
        blob.unlink()
        os.symlink("/dev/zero", blob)
        self.assert_refused(["install", "oci:%s:1.0.0" % layout, "-p", "linux/amd64", "-o", self.dir / "inst"],
                            "%s: not a regular file (a device, FIFO or socket)" % blob)

    def test_matrix_and_metadata_on_dev_zero(self):
        content = make_tree(self.dir / "content", {"bin": {"tool": File("#!/bin/sh\n", 0o755)}})
        matrix = {"schema": 1, "package": "oci:%s" % (self.dir / "layout"), "tag": "1.0.0",
                  "metadata": "/dev/zero", "platforms": [{"platform": "linux/amd64", "content": str(content)}]}
        (self.dir / "release.json").write_text(json.dumps(matrix))
        self.assert_refused(["release", self.dir / "release.json", "--dry-run", "--offline"],
                            "/dev/zero: not a regular file (a device, FIFO or socket)")
        self.assert_refused(["release", "/dev/zero", "--dry-run", "--offline"],
                            "/dev/zero: not a regular file (a device, FIFO or socket)")
        self.assert_refused(["create", content, "-i", "tool:1.0.0", "-p", "linux/amd64", "-m", "/dev/zero",
                             "-o", self.dir / "out"], "/dev/zero: not a regular file (a device, FIFO or socket)")
        self.assertFalse((self.dir / "out").exists())

    def test_reports_on_dev_zero_and_oversized(self):
        self.assert_refused(["verify", "/dev/zero"], "/dev/zero: not a regular file (a device, FIFO or socket)")
        big = self.dir / "report.json"
        with open(big, "w") as f:
            f.write('{"schema": 1' + " " * (9 * MIB) + "}")
        self.assert_refused(["verify", big], "%s: larger than the 8 MiB a document may be; refusing to read it" % big)


if __name__ == "__main__":
    unittest.main()
