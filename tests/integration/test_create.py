"""`create` through the CLI (issue 3): naming, sidecars, determinism across -j, refusals."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import unittest
from pathlib import Path

from fixtures import File, Symlink, make_tree, run
from release_helpers import METADATA, scratch


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


class CreateTest(unittest.TestCase):
    def setUp(self):
        self.dir = scratch()
        self.tree = make_tree(self.dir / "build", {
            "bin": {"mytool": File("#!/bin/sh\necho hi\n", 0o755)},
            "lib": {"libx.so": b"\x7fELF" + bytes(range(256)) * 64, "link.so": Symlink("libx.so")},
            "empty": {},
        })
        (self.dir / "metadata.json").write_text(json.dumps(METADATA))

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def create(self, *args, cwd=None):
        return run(["create", *args], cwd=cwd)

    def test_names_sidecars_and_json_output(self):
        r = self.create(self.tree, "-i", "mytool:1.0.0", "-p", "linux/amd64", "-m", self.dir / "metadata.json",
                        "-o", self.dir / "out", "--format", "json")
        self.assertEqual(r.returncode, 0, str(r))
        out = r.json()
        archive = self.dir / "out" / "mytool-1.0.0-linux-amd64.tar.xz"
        self.assertEqual(Path(out["path"]), archive)
        self.assertEqual(out["digest"], sha256(archive))
        self.assertEqual(out["size"], archive.stat().st_size)
        meta = json.loads(Path(out["metadata"]).read_text())
        self.assertEqual(meta, METADATA)  # published form of an already-canonical file
        receipt = json.loads(Path(out["receipt"]).read_text())
        self.assertEqual(receipt, {"version": 1, "platform": "linux/amd64", "identifier": "mytool:1.0.0"})
        # GNU tar lists directories before their children, sorted, owned by 0/0, with the symlink.
        listing = subprocess.run(["tar", "-tvJf", archive], capture_output=True, text=True, check=True).stdout
        names = [line.split()[-1] if "->" not in line else line.split()[-3] for line in listing.splitlines()]
        self.assertEqual(names, ["bin/", "bin/mytool", "empty/", "lib/", "lib/libx.so", "lib/link.so"])
        self.assertTrue(all(" 0/0 " in line for line in listing.splitlines()), listing)

    def test_common_options_before_the_command_word(self):
        args = ["create", self.tree, "-i", "mytool:1.0.0", "-p", "linux/amd64", "-o", self.dir / "out", "-f"]
        plain = run(args)
        self.assertNotEqual(plain.stderr, "")  # says what it created
        verbose = run(["-v", "--format", "json", *args])
        self.assertEqual(verbose.returncode, 0, str(verbose))
        self.assertEqual(verbose.json()["digest"], sha256(self.dir / "out" / "mytool-1.0.0-linux-amd64.tar.xz"))
        quiet = run(["-q", "--format=json", *args])
        self.assertEqual((quiet.returncode, quiet.stderr), (0, ""))
        self.assertEqual(quiet.json()["digest"], verbose.json()["digest"])
        self.assertEqual(run(["-v", "package", *args]).returncode, 0)
        bad = run(["-v", "publish"])
        self.assertEqual(bad.returncode, 64)
        self.assertIn('unknown command "publish"', bad.stderr)

    def test_identical_bytes_for_every_thread_count(self):
        digests = set()
        for j in ("1", "2", "0"):
            r = self.create(self.tree, "-i", "mytool:1.0.0", "-p", "linux/amd64", "-o", self.dir / ("j" + j), "-j", j)
            self.assertEqual(r.returncode, 0, str(r))
            digests.add(sha256(self.dir / ("j" + j) / "mytool-1.0.0-linux-amd64.tar.xz"))
        self.assertEqual(len(digests), 1)

    def test_existing_output_needs_force(self):
        args = [self.tree, "-i", "mytool:1.0.0", "-p", "linux/amd64", "-o", self.dir / "out"]
        self.assertEqual(self.create(*args).returncode, 0)
        again = self.create(*args)
        self.assertEqual(again.returncode, 65, str(again))
        self.assertIn("mytool-1.0.0-linux-amd64.tar.xz already exists (use -f to overwrite)", again.stderr)
        self.assertEqual(self.create(*args, "-f").returncode, 0)

    def test_refusals(self):
        cases = [
            (["-i", "mytool:1.0.0", "-m", self.dir / "metadata.json"], 64, "-m requires -p"),
            (["-i", "mytool:1.0.0", "-p", "linux/x86"], 65, 'unknown platform "linux/x86"'),
            (["-i", "mytool", "-p", "linux/amd64"], 64, 'has no tag'),
            (["-p", "linux/amd64"], 64, "missing -i"),
            (["-i", "mytool:1.0.0", "-p", "linux/amd64", "-l", "max"], 64, "expected fast, default or best"),
        ]
        for extra, code, message in cases:
            with self.subTest(extra=extra):
                r = self.create(self.tree, *extra, "-o", self.dir / "refused")
                self.assertEqual(r.returncode, code, str(r))
                self.assertIn(message, r.stderr)
                self.assertFalse((self.dir / "refused").exists() and any((self.dir / "refused").iterdir()))

    def test_escaping_symlink_and_fifo_refused_before_writing(self):
        os.symlink("/etc/passwd", self.tree / "bin" / "escape")
        r = self.create(self.tree, "-i", "mytool:1.0.0", "-p", "linux/amd64", "-o", self.dir / "out")
        self.assertEqual(r.returncode, 65, str(r))
        self.assertIn("bin/escape", r.stderr)
        os.unlink(self.tree / "bin" / "escape")
        os.mkfifo(self.tree / "pipe")
        r = self.create(self.tree, "-i", "mytool:1.0.0", "-p", "linux/amd64", "-o", self.dir / "out")
        self.assertEqual(r.returncode, 65, str(r))
        self.assertIn("pipe", r.stderr)
        self.assertFalse((self.dir / "out").exists() and any((self.dir / "out").iterdir()))

    def test_single_file_is_archived_under_its_own_name(self):
        r = self.create(self.tree / "bin" / "mytool", "-i", "mytool:2.0.0", "-p", "darwin/arm64", "-o", self.dir)
        self.assertEqual(r.returncode, 0, str(r))
        listing = subprocess.run(["tar", "-tJf", self.dir / "mytool-2.0.0-darwin-arm64.tar.xz"],
                                 capture_output=True, text=True, check=True).stdout.split()
        self.assertEqual(listing, ["mytool"])


if __name__ == "__main__":
    unittest.main()
