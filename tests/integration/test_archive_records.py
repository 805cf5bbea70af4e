"""Records of archives already checked (bundle/check.hpp, README "Performance").

`push` walks a prebuilt archive (decompress, every member) before it writes anything; that walk is
most of a push's time for real .tar.xz files. Bytes that passed on this machine (or that `create`
wrote) are recorded by SHA-256 under $OCX_RELEASE_CACHE/checked, and the walk is skipped for them.
Checked here against a real registry: the record is written by create and by a passing push, it is
used (-v says so) only for the same bytes, a refused archive is never recorded, and one changed
byte means a full walk again.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
import unittest
from pathlib import Path

from fixtures import File, Registry, make_tree, run
from release_helpers import METADATA

SKIPPED = "passed the archive check before"


class TestArchiveRecords(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp_dir = tempfile.TemporaryDirectory(prefix="ocx-records-")
        cls.tmp = Path(cls.tmp_dir.name)
        cls.reg = Registry().__enter__()
        cls.meta = cls.tmp / "metadata.json"
        cls.meta.write_text(json.dumps(METADATA))
        tree = make_tree(cls.tmp / "tree", {"bin": {"tool": File("#!/bin/sh\necho hi\n", 0o755)},
                                            "share": {"data.txt": "x" * 100_000}})
        cls.created_cache = cls.tmp / "cache-created"
        cls.archive = cls.tmp / "out" / "tool-1.0.0-linux-amd64.tar.xz"
        run(["create", tree, "-i", "tool:1.0.0", "-p", "linux/amd64", "-m", cls.meta, "-o", cls.archive.parent],
            env={"OCX_RELEASE_CACHE": cls.created_cache}, check=True)
        cls.hex = hashlib.sha256(cls.archive.read_bytes()).hexdigest()

    @classmethod
    def tearDownClass(cls):
        cls.reg.__exit__(None, None, None)
        cls.tmp_dir.cleanup()

    def push(self, archive: Path, repo: str, cache: Path, *extra):
        return run(["push", archive, "-p", "linux/amd64", "-m", self.meta, "-i", "%s/%s:1.0.0" % (self.reg.host, repo),
                    "-n", "-v", *extra], env={"OCX_RELEASE_CACHE": cache})

    def records(self, cache: Path) -> list[str]:
        d = cache / "checked"
        return sorted(p.name for p in d.iterdir()) if d.exists() else []

    def test_create_records_its_bundle_and_push_skips_the_walk(self):
        self.assertEqual(self.records(self.created_cache), [self.hex + ".xz"])
        r = self.push(self.archive, "records/created", self.created_cache)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(SKIPPED, r.stderr)
        self.assertIn(str(self.created_cache / "checked"), r.stderr)

    def test_a_passing_push_records_and_the_next_one_skips(self):
        cache = self.tmp / "cache-push"
        first = self.push(self.archive, "records/pushed", cache)
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertNotIn(SKIPPED, first.stderr)
        self.assertEqual(self.records(cache), [self.hex + ".xz"])
        record = (cache / "checked" / (self.hex + ".xz")).read_text().split()
        self.assertEqual(record[0], "rules-2")
        self.assertEqual(int(record[2]), self.archive.stat().st_size)
        with tarfile.open(self.archive) as t:  # the unpacked bytes, for the unpack limits
            self.assertEqual(int(record[3]), sum(m.size for m in t.getmembers() if m.isfile()))
        again = self.push(self.archive, "records/pushed", cache)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn(SKIPPED, again.stderr)

    def test_a_refused_archive_is_never_recorded(self):
        cache = self.tmp / "cache-refused"
        bad = self.tmp / "bad-1.0.0-linux-amd64.tar.xz"
        with tarfile.open(bad, "w:xz") as t:
            info = tarfile.TarInfo("/etc/passwd")
            data = b"root::0:0::/:/bin/sh\n"
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        for _ in range(2):
            r = self.push(bad, "records/refused", cache)
            self.assertEqual(r.returncode, 65, r.stderr)
            self.assertIn("absolute path", r.stderr)
            self.assertNotIn(SKIPPED, r.stderr)
        self.assertEqual(self.records(cache), [])
        self.assertEqual([e for e in self.reg.requests() if "records/refused" in e.path], [])  # nothing sent

    def test_one_changed_byte_is_walked_again(self):
        # The recorded bundle with a byte flipped in its compressed data: another digest, no record.
        changed = self.tmp / "changed-1.0.0-linux-amd64.tar.xz"
        data = bytearray(self.archive.read_bytes())
        data[len(data) // 2] ^= 0x40
        changed.write_bytes(bytes(data))
        r = self.push(changed, "records/changed", self.created_cache)
        self.assertEqual(r.returncode, 65, r.stderr)
        self.assertNotIn(SKIPPED, r.stderr)
        self.assertIn("the xz data is corrupt", r.stderr)


if __name__ == "__main__":
    unittest.main()
