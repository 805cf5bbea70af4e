"""A prebuilt archive nobody checked on this machine is walked while it uploads (docs/cli.md
"Archives checked while they upload", publish/content.cpp BesideCheck): the check reads the file
on a thread of its own while the upload reads and sends it, and the manifest (so any tag) is
written only after the check passes. Checked against a real docker-registry:

* a bad member behind 512 MiB of zeros (a check that takes far longer than the upload): exit 65
  naming the member; the layer and the config blob went up and are in the registry, the report
  names both (digest and size computed here) under `uploaded_blobs`, no manifest and no tag;
* a bad member at the end, uploaded through a link that reads 2 MiB/s: the check, not held by
  the link, fails while the upload runs and stops it: no blob, no config, no manifest, no
  `uploaded_blobs` (a check fed by the upload could only fail after the upload had sent it all);
* `release` with such an archive next to a content platform: no tag, the report names the blob;
* a good archive, in 1 MiB xz blocks with their sizes in the headers as `xz -T` writes them:
  published, read back with skopeo, recorded so the next push only hashes it, and some of its
  blocks decoded ahead on a second thread (bundle/xz_decoder.hpp);
* a good archive through a link that reads 8 MiB/s: the check is not held by it, it passes before
  the upload ends (the -v lines in that order);
* a connection reset half-way through the upload: the retry reads the file from its start again,
  the check reads it once and passes, and the push is published.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import unittest
from pathlib import Path

from fault_proxy import FaultProxy, reset, throttle
from fixtures import Registry, registry_get, run, skopeo_copy_all, skopeo_inspect_raw
from release_helpers import hello_tree, manifest_at, tags_of

MIB = 1 << 20
META = {"type": "bundle", "version": 1,
        "env": [{"key": "PATH", "type": "path", "required": True, "value": "${installPath}/bin", "visibility": "public"}]}


class Zeros(io.RawIOBase):
    """`n` zero bytes, streamed (tarfile reads a member's content from a file object)."""
    def __init__(self, n: int):
        self.left = n

    def readable(self):
        return True

    def readinto(self, b):
        k = min(len(b), self.left)
        b[:k] = bytes(k)
        self.left -= k
        return k


def archive(path: Path, bad: str | None, zeros: int = 0, blocks: bool = False) -> Path:
    """A .tar.xz holding 12 MiB of random bytes (stored by xz as they are, so it stays 12 MiB),
    then `zeros` zero bytes (a few KiB of xz that take the check seconds to decompress), with an
    absolute-path member first (bad="first"), last (bad="last") or none. Python writes one xz block
    without sizes in its header; with `blocks`, xz -T2 writes 1 MiB blocks with sizes."""
    if blocks:
        tar = path.with_suffix("")
        archive(tar, bad, zeros)
        subprocess.run(["xz", "-T2", "-0", "--block-size=1MiB", "-f", tar], check=True)
        return path
    def bad_member(t):
        info = tarfile.TarInfo("/etc/passwd")
        data = b"root::0:0::/:/bin/sh\n"
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))

    with (tarfile.open(path, "w") if path.suffix == ".tar" else tarfile.open(path, "w:xz", preset=0)) as t:
        if bad == "first":
            bad_member(t)
        info = tarfile.TarInfo("data/random.bin")
        payload = os.urandom(12 * MIB)
        info.size = len(payload)
        t.addfile(info, io.BytesIO(payload))
        if zeros:
            info = tarfile.TarInfo("data/zeros.bin")
            info.size = zeros
            t.addfile(info, io.BufferedReader(Zeros(zeros)))
        if bad == "last":
            bad_member(t)
    return path


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


class TestCheckWhileUploading(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp_dir = tempfile.TemporaryDirectory(prefix="ocx-beside-")
        cls.tmp = Path(cls.tmp_dir.name)
        cls.reg = Registry().__enter__()
        cls.meta = cls.tmp / "metadata.json"
        cls.meta.write_text(json.dumps(META))
        cls.late = archive(cls.tmp / "late-1.0.0-linux-amd64.tar.xz", "last", zeros=512 * MIB)

    @classmethod
    def tearDownClass(cls):
        cls.reg.__exit__(None, None, None)
        cls.tmp_dir.cleanup()

    def push(self, path: Path, repo: str, cache: Path):
        return run(["push", path, "-p", "linux/amd64", "-m", self.meta, "-i", "%s/%s:1.0.0" % (self.reg.host, repo),
                    "-n", "-v", "--format", "json"], env={"OCX_RELEASE_CACHE": cache})

    def blob_status(self, repo: str, digest: str) -> int:
        return registry_get(self.reg.url, "/v2/%s/blobs/%s" % (repo, digest), method="HEAD").status

    def manifest_puts(self, repo: str) -> list:
        return [e for e in self.reg.requests() if e.method == "PUT" and e.path.startswith("/v2/%s/manifests/" % repo)]

    def blob_json(self, path: Path) -> dict:
        return {"digest": sha256(path), "size": path.stat().st_size}

    def test_a_bad_member_after_the_upload_leaves_the_blobs_named_and_no_manifest(self):
        bad = self.late
        r = self.push(bad, "beside/late", self.tmp / "cache-late")
        self.assertEqual(r.returncode, 65, r.stderr)
        self.assertIn('"/etc/passwd": absolute path', r.stderr)
        rep = r.json()
        self.assertEqual(rep["status"], "failed")
        [platform] = rep["platforms"]
        self.assertFalse(platform["pushed"])
        # the upload (12 MiB on loopback) ends long before the check (512 MiB to decompress) fails,
        # and the config blob goes up while the check still runs
        self.assertEqual(platform["uploaded_blobs"], [self.blob_json(bad), platform["config"]])
        for blob in platform["uploaded_blobs"]:
            self.assertEqual(self.blob_status("beside/late", blob["digest"]), 200)
        config = registry_get(self.reg.url, "/v2/beside/late/blobs/%s" % platform["config"]["digest"]).body
        self.assertEqual("sha256:" + hashlib.sha256(config).hexdigest(), platform["config"]["digest"])
        self.assertEqual(json.loads(config)["type"], "bundle")
        self.assertEqual(self.manifest_puts("beside/late"), [])
        self.assertEqual(tags_of(self.reg, "beside/late"), [])
        self.assertEqual(manifest_at(self.reg, "beside/late", platform["manifest"]["digest"]), (None, None))
        self.assertFalse((self.tmp / "cache-late" / "checked").exists() and
                         any((self.tmp / "cache-late" / "checked").iterdir()))

    def test_a_bad_member_found_while_the_upload_runs_stops_it(self):
        bad = archive(self.tmp / "early-1.0.0-linux-amd64.tar.xz", "last")
        with FaultProxy(self.reg.host) as proxy:
            rule = proxy.inject(throttle(2 * MIB), method="PUT", path=r"/blobs/uploads/.*digest=", times=2)
            r = run(["push", bad, "-p", "linux/amd64", "-m", self.meta, "-i", "%s/beside/early:1.0.0" % proxy.host,
                     "-n", "-v", "--format", "json"], env={"OCX_RELEASE_CACHE": self.tmp / "cache-early"})
        self.assertEqual(rule.fired, 1)  # the layer's upload only: the config never went
        self.assertEqual(r.returncode, 65, r.stderr)
        self.assertIn('"/etc/passwd": absolute path', r.stderr)
        [platform] = r.json()["platforms"]
        self.assertFalse(platform["pushed"])
        self.assertNotIn("uploaded_blobs", platform)
        self.assertEqual(platform["blobs"]["uploaded"], 0)
        self.assertEqual(self.blob_status("beside/early", sha256(bad)), 404)
        self.assertEqual(self.manifest_puts("beside/early"), [])
        self.assertEqual(tags_of(self.reg, "beside/early"), [])

    def test_a_slow_link_does_not_hold_the_check(self):
        good = archive(self.tmp / "slow-1.0.0-linux-amd64.tar.xz", None)
        with FaultProxy(self.reg.host) as proxy:
            rule = proxy.inject(throttle(8 * MIB), method="PUT", path=r"/blobs/uploads/.*digest=", times=1)
            r = run(["push", good, "-p", "linux/amd64", "-m", self.meta, "-i", "%s/beside/slow:1.0.0" % proxy.host,
                     "-n", "-v", "--format", "json"], env={"OCX_RELEASE_CACHE": self.tmp / "cache-slow"})
        self.assertEqual(rule.fired, 1)
        self.assertEqual(r.returncode, 0, r.stderr)
        checked = r.stderr.index("archive checked beside its upload")
        uploaded = r.stderr.index("blob %s uploaded" % sha256(good))
        self.assertLess(checked, uploaded, r.stderr)  # the check (tens of ms) passed while 12 MiB crept up
        self.assertIn("1.0.0", tags_of(self.reg, "beside/slow"))

    def test_release_writes_no_tag_and_names_the_uploaded_blob(self):
        base = self.tmp / "release"
        (base / "dist").mkdir(parents=True)
        (base / "metadata.json").write_text(json.dumps(META))
        hello_tree(base / "build" / "linux-amd64", "linux/amd64")
        bad = Path(shutil.copy(self.late, base / "dist" / "hello-1.2.3-linux-arm64.tar.xz"))
        matrix = base / "release.json"
        matrix.write_text(json.dumps({
            "schema": 1, "package": "%s/beside/release" % self.reg.host, "tag": "1.2.3", "cascade": True,
            "metadata": "metadata.json",
            "platforms": [{"platform": "linux/amd64", "content": "build/linux-amd64"},
                          {"platform": "linux/arm64", "archive": "dist/hello-1.2.3-linux-arm64.tar.xz"}]}))
        report = base / "report.json"
        r = run(["release", matrix, "--report", report], env={"OCX_RELEASE_CACHE": self.tmp / "cache-release"})
        self.assertEqual(r.returncode, 65, r.stderr)
        self.assertIn('"/etc/passwd": absolute path', r.stderr)
        rep = json.loads(report.read_text())
        self.assertEqual(rep["status"], "failed")
        by_platform = {p["platform"]: p for p in rep["platforms"]}
        # its config may have gone up with linux/amd64's (the same metadata): the layer is its own
        self.assertIn(self.blob_json(bad), by_platform["linux/arm64"]["uploaded_blobs"])
        for p in rep["platforms"]:
            for blob in p.get("uploaded_blobs", []):
                self.assertEqual(self.blob_status("beside/release", blob["digest"]), 200)
        self.assertFalse(by_platform["linux/arm64"]["pushed"])
        self.assertEqual(tags_of(self.reg, "beside/release"), [])
        self.assertEqual(rep["tags"][0]["action"], "skipped")

    def test_a_good_archive_is_published_checked_and_recorded(self):
        good = archive(self.tmp / "good-1.0.0-linux-amd64.tar.xz", None, blocks=True)
        cache = self.tmp / "cache-good"
        r = self.push(good, "beside/good", cache)
        self.assertEqual(r.returncode, 0, r.stderr)
        ahead = re.search(r"archive checked beside its upload \(members: 1, xz blocks decoded ahead on a second "
                          r"thread: (\d+)\)", r.stderr)
        self.assertIsNotNone(ahead, r.stderr)
        self.assertGreaterEqual(int(ahead.group(1)), 3, r.stderr)  # 13 blocks: the helper takes about every other
        [platform] = r.json()["platforms"]
        self.assertTrue(platform["pushed"])
        self.assertNotIn("uploaded_blobs", platform)
        index = json.loads(skopeo_inspect_raw("%s/beside/good:1.0.0" % self.reg.host))
        [entry] = index["manifests"]
        body, _ = manifest_at(self.reg, "beside/good", entry["digest"])
        self.assertEqual([layer["digest"] for layer in json.loads(body)["layers"]], [sha256(good)])
        skopeo_copy_all("%s/beside/good:1.0.0" % self.reg.host, str(self.tmp / "copied"))  # every blob readable
        self.assertEqual(sorted(p.name for p in (cache / "checked").iterdir()), [sha256(good)[7:] + ".xz"])
        again = self.push(good, "beside/good-again", cache)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("passed the archive check before", again.stderr)
        self.assertNotIn("archive checked beside its upload", again.stderr)

    def test_an_upload_retried_half_way_is_published_and_checked_once(self):
        good = archive(self.tmp / "retried-1.0.0-linux-amd64.tar.xz", None)
        with FaultProxy(self.reg.host) as proxy:
            rule = proxy.inject(reset(after_bytes=6 * MIB), method="PUT", path=r"/blobs/uploads/.*digest=", nth=1)
            r = run(["push", good, "-p", "linux/amd64", "-m", self.meta, "-i", "%s/beside/retried:1.0.0" % proxy.host,
                     "-n", "-v", "--format", "json"], env={"OCX_RELEASE_CACHE": self.tmp / "cache-retried"})
        self.assertEqual(rule.fired, 1)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("archive checked beside its upload", r.stderr)
        self.assertTrue(r.json()["platforms"][0]["pushed"])
        self.assertEqual(self.blob_status("beside/retried", sha256(good)), 200)
        self.assertIn("1.0.0", tags_of(self.reg, "beside/retried"))

if __name__ == "__main__":
    unittest.main()
