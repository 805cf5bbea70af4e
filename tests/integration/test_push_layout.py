"""`ocx-release push` to an OCI image layout (`oci:DIR:TAG`, docs/cli.md "Targets"): the same merge,
re-push and cascade rules as a registry, and a layout skopeo reads (`inspect --raw`, `copy --all`).
Everything is read back from the file system (index.json + blobs/sha256), not through ocx-release."""

from __future__ import annotations

import json
import os
import subprocess
import unittest
from pathlib import Path

from fixtures import hermetic_env, skopeo_copy_all, skopeo_inspect_raw, write_image_layout
from test_push import AMD, ARM, FOREIGN, GLIBC, INDEX, MAC, MUSL, WIN, LayoutStore, PushHarness, sha256

REF_NAME = "org.opencontainers.image.ref.name"


class LayoutHarness(PushHarness):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.store = LayoutStore()

    def layout(self, name: str) -> str:
        return str(Path(self._tmp, "layouts", name))

    def blob_files(self, layout: str) -> dict:
        """{file name: (size, mtime_ns, inode)} of every blob: a rewrite changes mtime or inode."""
        root = Path(layout, "blobs", "sha256")
        return {p.name: (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_ino) for p in root.iterdir()}


class TestLayoutPush(LayoutHarness):
    def test_first_push_is_a_valid_layout_skopeo_reads(self):
        layout = self.layout("first")
        report, _ = self.push(layout, "1.0.0", AMD, None, "-n")
        self.assertEqual(report["status"], "published")
        self.assertEqual(json.loads(Path(layout, "oci-layout").read_text()), {"imageLayoutVersion": "1.0.0"})
        plat = report["platforms"][0]
        self.assertEqual(plat["blobs"]["bytes_uploaded"], self.work.archive(AMD).stat().st_size + plat["config"]["size"])
        raw = self.store.manifest(layout, "1.0.0")
        self.assertEqual((sha256(raw), len(raw)), (report["index"]["digest"], report["index"]["size"]))
        entries = {e["annotations"][REF_NAME]: e for e in json.loads(Path(layout, "index.json").read_text())["manifests"]}
        self.assertEqual(entries["1.0.0"]["mediaType"], INDEX)
        self.assertEqual(entries["1.0.0"]["digest"], report["index"]["digest"])
        self.assertEqual(entries[plat["canonical_tag"]]["digest"], plat["manifest"]["digest"])
        self.assertBlobsPresent(layout, plat["manifest"]["digest"])
        self.assertTags(layout, {"1.0.0": {AMD: "1.0.0"}})
        # skopeo, an independent reader: the exact bytes, and a full copy into another layout.
        self.assertEqual(skopeo_inspect_raw("oci:%s:1.0.0" % layout), raw)
        self.assertEqual(sha256(skopeo_inspect_raw("oci:%s:%s" % (layout, plat["canonical_tag"]))),
                         plat["manifest"]["digest"])

    def test_merge_repush_and_replace(self):
        layout = self.layout("merge")
        first, _ = self.push(layout, "1.0.0", AMD, None, "-n")
        second, _ = self.push(layout, "1.0.0", ARM)
        self.assertEqual(self.tag_actions(second), {"1.0.0": "moved"})
        self.assertEqual(second["tags"][0]["before"], first["index"]["digest"])
        self.assertEqual(self.entries(layout, "1.0.0"), [(AMD, "1.0.0"), (ARM, "1.0.0")])

        index_json = Path(layout, "index.json").read_bytes()
        tag_bytes = self.store.manifest(layout, "1.0.0")
        blobs = self.blob_files(layout)
        again, _ = self.push(layout, "1.0.0", AMD)
        counts = again["platforms"][0]["blobs"]
        self.assertEqual((counts["uploaded"], counts["bytes_uploaded"], counts["skipped"]), (0, 0, 2))
        self.assertEqual(self.tag_actions(again), {"1.0.0": "unchanged"})
        self.assertEqual(again["index"]["digest"], sha256(tag_bytes))
        self.assertEqual(self.store.manifest(layout, "1.0.0"), tag_bytes)
        self.assertEqual(Path(layout, "index.json").read_bytes(), index_json)
        # No layer or config blob was written again (same size, mtime and inode), none added. The
        # platform manifest is PUT again by digest and canonical tag (same bytes, atomic rename).
        after = self.blob_files(layout)
        self.assertEqual(set(after), set(blobs))
        manifest = again["platforms"][0]["manifest"]["digest"][7:]
        self.assertEqual({k: v for k, v in after.items() if k != manifest},
                         {k: v for k, v in blobs.items() if k != manifest})
        replaced, _ = self.push(layout, "1.0.0", AMD, "1.0.0-rebuilt")
        self.assertEqual(self.tag_actions(replaced), {"1.0.0": "moved"})
        self.assertEqual(self.entries(layout, "1.0.0"), [(ARM, "1.0.0"), (AMD, "1.0.0-rebuilt")])

    def test_libc_variants_are_three_entries(self):
        layout = self.layout("libc")
        for p in (AMD, GLIBC, MUSL, GLIBC):
            self.push(layout, "2.0.0", p, None, "-c", *(["-n"] if p == AMD else []))
        idx = self.index_of(layout, "2.0.0")
        self.assertEqual([e["platform"] for e in idx["manifests"]], [
            {"architecture": "amd64", "os": "linux"},
            {"architecture": "amd64", "os": "linux", "os.features": ["libc.glibc"]},
            {"architecture": "amd64", "os": "linux", "os.features": ["libc.musl"]}])
        three = {AMD: "2.0.0", GLIBC: "2.0.0", MUSL: "2.0.0"}
        self.assertTags(layout, {t: three for t in ("2.0.0", "2.0", "2", "latest")})
        copy = str(Path(self._tmp, "libc-copy"))
        skopeo_copy_all("oci:%s:latest" % layout, copy, tag="x")
        copied = json.loads(Path(copy, "index.json").read_text())["manifests"]
        self.assertEqual([e["digest"] for e in copied], [sha256(self.store.manifest(layout, "latest"))])
        for e in idx["manifests"]:
            self.assertTrue(Path(copy, "blobs/sha256", e["digest"][7:]).exists())

    def test_plain_manifest_at_the_tag_is_kept(self):
        layout = self.layout("foreign")
        image = write_image_layout(layout, "1.0.0")
        self.labels[image["digest"]] = "foreign-image"
        self.assertTags(layout, {"1.0.0": {FOREIGN: "foreign-image"}})
        report, _ = self.push(layout, "1.0.0", AMD)
        self.assertEqual(report["tags"][0]["before"], image["digest"])
        self.assertEqual(self.entries(layout, "1.0.0"), [(FOREIGN, "foreign-image"), (AMD, "1.0.0")])
        self.assertEqual(sha256(skopeo_inspect_raw("oci:%s:1.0.0" % layout)), report["index"]["digest"])
        skopeo_copy_all("oci:%s:1.0.0" % layout, str(Path(self._tmp, "foreign-copy")), tag="x")

    def test_cascade_rules(self):
        layout = self.layout("cascade")
        self.push(layout, "1.2.3", AMD, None, "-n", "-c")
        self.push(layout, "1.3.0", AMD)  # no cascade: an existing newer minor
        self.push(layout, "2.0.0-rc1", ARM)
        report, _ = self.push(layout, "1.2.4", AMD, None, "-c")  # 1.3.0 blocks 1 (and so latest)
        self.assertEqual(self.tag_actions(report)["1"], "blocked")
        report, _ = self.push(layout, "1.2.4", ARM, None, "-c")  # 2.0.0-rc1 blocks only latest
        self.assertEqual(self.tag_actions(report), {"1.2.4": "moved", "1.2": "moved", "1": "moved",
                                                    "latest": "blocked"})
        self.push(layout, "1.2.5-rc1", AMD, None, "-c")  # a pre-release moves nothing
        self.push(layout, "slim-1.0.0", AMD, None, "-c")  # variant track: slim-1.0, slim-1, slim
        self.assertTags(layout, {
            "1.2.3": {AMD: "1.2.3"}, "1.3.0": {AMD: "1.3.0"}, "2.0.0-rc1": {ARM: "2.0.0-rc1"},
            "1.2.4": {AMD: "1.2.4", ARM: "1.2.4"}, "1.2": {AMD: "1.2.4", ARM: "1.2.4"},
            "1": {AMD: "1.2.3", ARM: "1.2.4"}, "latest": {AMD: "1.2.3"}, "1.2.5-rc1": {AMD: "1.2.5-rc1"},
            **{t: {AMD: "slim-1.0.0"} for t in ("slim-1.0.0", "slim-1.0", "slim-1", "slim")}})
        for tag in ("1", "latest", "slim"):
            self.assertEqual(sha256(skopeo_inspect_raw("oci:%s:%s" % (layout, tag))),
                             sha256(self.store.manifest(layout, tag)))

    def test_cascade_of_a_v_prefixed_tag_writes_nothing(self):
        layout = self.layout("notversion")
        report, result = self.push(layout, "v1.0.0", AMD, None, "-n", "-c", expect=65)
        self.assertIn('tag "v1.0.0" is not an OCX version (OCX versions have no "v"): use --tag 1.0.0', result.stderr)
        self.assertEqual(report["status"], "failed")
        self.assertFalse(os.path.exists(layout))  # not even created
        self.push(layout, "1.0.0", AMD, None, "-n")
        before = {p: p.read_bytes() for p in Path(layout).rglob("*") if p.is_file()}
        self.push(layout, "v1.0.0", ARM, None, "-c", expect=65)
        self.assertEqual({p: p.read_bytes() for p in Path(layout).rglob("*") if p.is_file()}, before)
        # A tag that is not a version at all is published, moving no rolling tag.
        report, _ = self.push(layout, "stable", ARM, None, "-c")
        self.assertEqual([(t["tag"], t["action"]) for t in report["tags"]], [("stable", "created"), ("latest", "skipped")])


class TestLayoutConcurrentPush(LayoutHarness):
    """Four processes push four platforms of one release into one layout at the same moment."""

    PLATFORMS = (AMD, ARM, MAC, WIN)
    ROUNDS = 5

    def test_concurrent_platform_pushes_keep_every_entry(self):
        layout = self.layout("concurrent")
        for p in self.PLATFORMS:
            self.work.archive(p)
        failures = []
        for i in range(self.ROUNDS):
            tag = "3.%d.0" % i
            procs = [subprocess.Popen(self.push_args(layout, tag, p, tag, "-c", "-n"), env=hermetic_env(),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for p in self.PLATFORMS]
            for proc in procs:
                out, err = proc.communicate(timeout=120)
                self.assertEqual(proc.returncode, 0, "round %d:\n%s\n%s" % (i, out, err))
                self.labels[json.loads(out)["platforms"][0]["manifest"]["digest"]] = tag
            held = dict(self.entries(layout, tag))
            if held != {p: tag for p in self.PLATFORMS}:
                failures.append((tag, held))
        self.assertEqual(failures, [])
        tags = self.tag_map(layout)
        last = "3.%d.0" % (self.ROUNDS - 1)
        for t in ("3", "latest"):
            self.assertEqual(tags[t], {p: last for p in self.PLATFORMS}, t)


if __name__ == "__main__":
    unittest.main()
