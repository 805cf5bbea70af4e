"""Shared layers and a platform's other layers in a release matrix against a real docker-registry
(issue 16 item 1; docs/cli.md "Release matrix (input)", `shared_layers` and a platform's `layers`).

A three-platform release naming one shared `share/` tree bundles it once and uploads it once (the
access log holds one finishing PUT for its digest), and every platform manifest lists it first,
with the annotations its prefix asks for; the report gives its digest for every platform and an
install of one platform holds both trees.

A platform's `layers` may also hold prebuilt archives, digest references (mounted, never
uploaded) and trees bundled by the release: the manifest lists them in the matrix's order, each
descriptor byte for byte as OCX writes it (skopeo reads it back), the SBOM names their files where
install puts them, and install merges them all. A missing digest stops the release with 79 and
two archives that collide stop it with 65, before any write.
"""

from __future__ import annotations

import json
import re
import subprocess
import unittest
from pathlib import Path

from fixtures import File, make_tree, run, skopeo_inspect_raw
from schemas import matrix_errors, validate_matrix, validate_report
from test_push import AMD, ARM, MAC, RegistryHarness, sha256

XZ = "application/vnd.oci.image.layer.v1.tar+xz"


class TestSharedLayers(RegistryHarness):

    def matrix(self, root: Path, repo: str, **extra) -> Path:
        tree = {"build": {p.replace("/", "-"): {"bin": {"tool": File("#!/bin/sh\necho %s\n" % p, 0o755)}}
                          for p in (AMD, ARM, MAC)},
                "share": {"doc": {"readme.txt": "shared documentation\n"}},
                "meta.json": json.dumps({"type": "bundle", "version": 1})}
        make_tree(root, tree)
        path = root / "release.json"
        path.write_text(json.dumps({
            "schema": 1, "package": "%s/%s" % (self.reg.host, repo), "tag": "1.0.0", "cascade": True,
            "metadata": "meta.json", "output_dir": "dist",
            "shared_layers": {"share": {"content": "share", "prefix": "share"}},
            "platforms": [{"platform": p, "content": "build/" + p.replace("/", "-"), "layers": ["share"]}
                          for p in (AMD, ARM, MAC)], **extra}))
        return path

    def test_three_platforms_one_shared_layer_uploaded_once_and_first(self):
        repo = "shared/tool"
        root = Path(self._tmp, "shared-release")
        matrix = self.matrix(root, repo)
        mark = self.reg.mark()
        result = run(["release", matrix, "--report", root / "report.json"])
        self.assertEqual(result.returncode, 0, str(result))
        (bundle,) = (root / "dist").glob("*-share.tar.xz")
        shared = sha256(bundle.read_bytes())
        finishing = [e for e in self.reg.requests(since=mark)
                     if e.method == "PUT" and re.search(r"digest=sha256(%3A|:)" + shared.split(":")[1], e.path)]
        self.assertEqual(len(finishing), 1, finishing)
        self.assertEqual(self.store.blob(repo, shared), bundle.read_bytes())
        expected_first = {"mediaType": XZ, "digest": shared, "size": bundle.stat().st_size,
                          "annotations": {"sh.ocx.layer.prefix": "share"}}
        index = self.index_of(repo, "1.0.0")
        self.assertEqual(len(index["manifests"]), 3)
        for entry in index["manifests"]:
            manifest = json.loads(self.store.manifest(repo, entry["digest"]))
            self.assertEqual(manifest["layers"][0], expected_first)
            self.assertEqual(len(manifest["layers"]), 2)
            self.assertEqual(manifest["layers"][1]["mediaType"], XZ)
        report = json.loads((root / "report.json").read_text())
        for p in report["platforms"]:
            self.assertEqual(p["layers"][0]["digest"], shared, p["platform"])
        # Installed, one platform holds its own tree and the shared one under its prefix.
        out = Path(self._tmp, "shared-install")
        run(["install", self.store.ref(repo, "1.0.0"), "-p", AMD, "-o", out], check=True)
        self.assertEqual((out / "content" / "share" / "doc" / "readme.txt").read_text(), "shared documentation\n")
        self.assertTrue((out / "content" / "bin" / "tool").is_file())

    def test_unknown_shared_layer_name_is_refused(self):
        root = Path(self._tmp, "shared-bad")
        matrix = self.matrix(root, "shared/bad")
        data = json.loads(matrix.read_text())
        data["platforms"][1]["layers"] = ["shar"]
        data["shared_layers"]["share"]["prefix"] = "../up"
        matrix.write_text(json.dumps(data))
        result = run(["release", matrix, "--dry-run"])
        self.assertEqual(result.returncode, 65, str(result))
        self.assertIn("/platforms/1/layers/0: \"shar\" is neither a shared layer (/shared_layers) nor a layer "
                      "archive", result.stderr)
        self.assertIn("/shared_layers/share/prefix: \"../up\" is not a relative path", result.stderr)
        self.assertEqual(self.store.tag_list("shared/bad"), [])


GZ = "application/vnd.oci.image.layer.v1.tar+gzip"


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"))


class TestPlatformLayers(RegistryHarness):
    """Every kind of entry of a platform's `layers`."""

    def setUp(self):
        self.root = Path(self._tmp, self.id().rsplit(".", 1)[-1])
        make_tree(self.root, {
            "build": {"bin": {"tool": File("#!/bin/sh\necho tool\n", 0o755)}},
            "share": {"doc": {"readme.txt": "shared documentation\n"}},
            "extra": {"notes.txt": "bundled as a layer of its own\n"},
            "lib": {"libfoo.so": "not really a library\n"},
            "meta.json": json.dumps({"type": "bundle", "version": 1})})
        # A prebuilt .tar.gz from another tool, and the base layer pushed to another repository.
        self.prebuilt = self.root / "lib.tar.gz"
        subprocess.run(["tar", "-czf", self.prebuilt, "-C", self.root, "lib"], check=True)

    def base_blob(self, repo: str) -> tuple[str, int]:
        """Pushes a base archive to `repo`; returns its digest and size (a blob the release mounts)."""
        archive = self.work.archive(ARM, "base")
        self.push(repo, "1.0.0", ARM, "base", "-n", flavor="base")
        return sha256(archive.read_bytes()), archive.stat().st_size

    def write_matrix(self, repo: str, layers: list, content: str = "build", **extra) -> Path:
        path = self.root / "release.json"
        path.write_text(json.dumps({
            "schema": 1, "package": "%s/%s" % (self.reg.host, repo), "tag": "1.0.0", "metadata": "meta.json",
            "output_dir": "dist", "shared_layers": {"share": {"content": "share", "prefix": "share"}},
            "platforms": [{"platform": AMD, "content": content, "layers": layers}], **extra}))
        return path

    def test_every_kind_in_order_byte_exact_mounted_and_installed(self):
        base, base_size = self.base_blob("layers/base")
        repo = "layers/tool"
        matrix = self.write_matrix(repo, [
            "share", base + ".tar.xz:from=layers/base,strip=1,prefix=opt",
            {"content": "extra", "prefix": "share/extra"}, "lib.tar.gz:prefix=usr"], sbom=True)
        mark = self.reg.mark()
        result = run(["release", matrix, "--report", self.root / "report.json"])
        self.assertEqual(result.returncode, 0, str(result))
        dist = self.root / "dist"
        (shared,) = dist.glob("*-share.tar.xz")
        (tree,) = dist.glob("*-layer2.tar.xz")
        (own,) = [p for p in dist.glob("*.tar.xz") if p not in (shared, tree)]

        def descriptor(media_type, data_or_digest, size=None, **annotations):
            digest = data_or_digest if isinstance(data_or_digest, str) else sha256(data_or_digest)
            d = {"mediaType": media_type, "digest": digest,
                 "size": size if size is not None else len(data_or_digest)}
            if annotations:
                d["annotations"] = annotations
            return d
        expected = [
            descriptor(XZ, shared.read_bytes(), **{"sh.ocx.layer.prefix": "share"}),
            descriptor(XZ, base, base_size, **{"sh.ocx.layer.prefix": "opt", "sh.ocx.layer.strip-components": "1"}),
            descriptor(XZ, tree.read_bytes(), **{"sh.ocx.layer.prefix": "share/extra"}),
            descriptor(GZ, self.prebuilt.read_bytes(), **{"sh.ocx.layer.prefix": "usr"}),
            descriptor(XZ, own.read_bytes())]
        report = validate_report(json.loads((self.root / "report.json").read_text()))
        validate_matrix(json.loads(matrix.read_text()))
        (platform,) = report["platforms"]
        digest = platform["manifest"]["digest"]
        # skopeo reads back exactly the bytes the registry stores; the layers are OCX's descriptors.
        raw = skopeo_inspect_raw("%s/%s@%s" % (self.reg.host, repo, digest))
        self.assertEqual(sha256(raw), digest)
        self.assertIn(b'"layers":' + compact(expected).encode(), raw)
        self.assertEqual([(l["digest"], l["path"] is None) for l in platform["layers"]],
                         [(d["digest"], d["digest"] == base) for d in expected])
        # The base blob was mounted from layers/base, never sent: no upload session for it.
        mounts = [e for e in self.reg.requests(since=mark)
                  if e.method == "POST" and "mount=" + base.replace(":", "%3A") in e.path.replace(":", "%3A")]
        self.assertEqual(len(mounts), 1, mounts)
        self.assertFalse([e for e in self.reg.requests(since=mark) if e.method in ("PUT", "PATCH")
                          and base.split(":")[1] in e.path], "the base layer was uploaded")
        self.assertEqual(self.store.blob(repo, base), self.store.blob("layers/base", base))
        # The SBOM names the files where install puts them; the digest reference's are not read.
        sbom_names = self.sbom_files(report, repo)
        self.assertIn("share/doc/readme.txt", sbom_names)
        self.assertIn("share/extra/notes.txt", sbom_names)
        self.assertIn("usr/lib/libfoo.so", sbom_names)
        self.assertIn("bin/tool", sbom_names)
        self.assertFalse([n for n in sbom_names if n.startswith("opt/")], sbom_names)
        # Install merges the five layers into one tree.
        out = Path(self._tmp, "layers-install")
        run(["install", self.store.ref(repo, "1.0.0"), "-p", AMD, "-o", out], check=True)
        content = out / "content"
        self.assertEqual((content / "share" / "doc" / "readme.txt").read_text(), "shared documentation\n")
        self.assertEqual((content / "share" / "extra" / "notes.txt").read_text(), "bundled as a layer of its own\n")
        self.assertEqual((content / "usr" / "lib" / "libfoo.so").read_text(), "not really a library\n")
        self.assertIn("tool linux/arm64 base", (content / "opt" / "tool").read_text())  # strip=1 dropped bin/
        self.assertTrue((content / "bin" / "tool").is_file())

    def sbom_files(self, report: dict, repo: str) -> list:
        (sbom,) = [a for a in report["attachments"] if a["kind"] == "sbom"]
        manifest = json.loads(self.store.manifest(repo, sbom["digest"]))
        doc = json.loads(self.store.blob(repo, manifest["layers"][0]["digest"]))
        return [c["name"] for c in doc["components"] if c.get("type") == "file"]

    def test_missing_digest_is_79_before_any_write(self):
        repo = "layers/missing"
        absent = sha256(b"never pushed")
        matrix = self.write_matrix(repo, ["share", absent + ".tar.xz"])
        mark = self.reg.mark()
        report_path = self.root / "missing-report.json"
        result = run(["release", matrix, "--report", report_path])
        self.assertEqual(result.returncode, 79, str(result))
        report = validate_report(json.loads(report_path.read_text()))
        self.assertEqual((report["status"], report["platforms"], report["tags"]), ("failed", [], []))
        self.assertIn("/platforms/0/layers/1: layer \"%s.tar.xz\": blob %s is not in" % (absent, absent), result.stderr)
        self.assertEqual(self.writes_since(mark), [])
        self.assertEqual(self.store.tag_list(repo), [])
        # The schema takes the same entries, and refuses what the tool refuses.
        data = json.loads(matrix.read_text())
        self.assertEqual(matrix_errors(data), [])
        data["platforms"][0]["layers"] = [{"content": "extra", "archive": "lib.tar.gz"}, {"archive": "lib.zip"}]
        self.assertNotEqual(matrix_errors(data), [])
        # --offline cannot know its size: refused as usage.
        offline = run(["release", matrix, "--dry-run", "--offline"])
        self.assertEqual(offline.returncode, 64, str(offline))
        self.assertIn("--offline does not read", offline.stderr)

    def test_colliding_archives_are_checked_together_before_any_write(self):
        repo = "layers/collide"
        # The platform's own archive and a layer both hold lib/libfoo.so: install would refuse it.
        own = self.root / "own.tar.gz"
        subprocess.run(["tar", "-czf", own, "-C", self.root, "lib", "build"], check=True)
        path = self.root / "release.json"
        path.write_text(json.dumps({
            "schema": 1, "package": "%s/%s" % (self.reg.host, repo), "tag": "1.0.0", "metadata": "meta.json",
            "platforms": [{"platform": AMD, "archive": "own.tar.gz", "layers": ["lib.tar.gz"]}]}))
        mark = self.reg.mark()
        result = run(["release", path])
        self.assertEqual(result.returncode, 65, str(result))
        self.assertIn("lib/libfoo.so", result.stderr)
        self.assertEqual(self.writes_since(mark), [])
        # Apart (a prefix), the same two archives publish.
        data = json.loads(path.read_text())
        data["platforms"][0]["layers"] = [{"archive": "lib.tar.gz", "prefix": "extra"}]
        path.write_text(json.dumps(data))
        self.assertEqual(run(["release", path]).returncode, 0)

    def test_every_layer_is_checked_with_the_others_as_install_merges_them(self):
        repo = "layers/merge"
        # The shared tree and the platform's own content both hold LICENSE: install would refuse it.
        (self.root / "share" / "LICENSE").write_text("shared\n")
        (self.root / "build" / "LICENSE").write_text("own\n")
        data = json.loads(self.write_matrix(repo, ["share"]).read_text())
        data["shared_layers"]["share"].pop("prefix")
        matrix = self.root / "release.json"
        matrix.write_text(json.dumps(data))
        mark = self.reg.mark()
        result = run(["release", matrix])
        self.assertEqual(result.returncode, 65, str(result))
        self.assertIn("/platforms/0/content: \"LICENSE\"", result.stderr)
        self.assertEqual(self.writes_since(mark), [])
        # The same tree listed twice, in two spellings.
        (self.root / "build" / "LICENSE").unlink()
        matrix = self.write_matrix(repo, [{"content": "extra"}, {"content": "./extra"}])
        result = run(["release", matrix])
        self.assertEqual(result.returncode, 65, str(result))
        self.assertIn("/platforms/0/layers/1: \"notes.txt\"", result.stderr)
        self.assertEqual(self.writes_since(mark), [])

    def test_strip_is_applied_before_the_check_for_one_archive_too(self):
        # v1/bin/x and v2/bin/x are one path, bin/x, once strip=1 drops the first component.
        make_tree(self.root / "versions", {"v1": {"bin": {"x": "one\n"}}, "v2": {"bin": {"x": "two\n"}}})
        subprocess.run(["tar", "-czf", self.root / "versions.tar.gz", "-C", self.root / "versions", "v1", "v2"],
                       check=True)
        matrix = self.write_matrix("layers/strip", ["versions.tar.gz:strip=1"])
        mark = self.reg.mark()
        result = run(["release", matrix])
        self.assertEqual(result.returncode, 65, str(result))
        self.assertIn("bin/x", result.stderr)
        self.assertEqual(self.writes_since(mark), [])
        pushed = run(["push", "-i", self.store.ref("layers/strip", "1.0.0"), "-p", AMD, "-m", self.root / "meta.json",
                      "-n", str(self.root / "versions.tar.gz") + ":strip=1"])
        self.assertEqual(pushed.returncode, 65, str(pushed))
        self.assertIn("bin/x", pushed.stderr)
        self.assertEqual(self.writes_since(mark), [])
        # Without the strip the two paths differ, and it publishes.
        self.assertEqual(run(["release", self.write_matrix("layers/strip", ["versions.tar.gz"])]).returncode, 0)

    def test_push_sbom_auto_names_files_where_install_puts_them(self):
        base, _ = self.base_blob("layers/sbom")
        result = run(["push", "-i", self.store.ref("layers/sbom", "2.0.0"), "-p", AMD, "-m", self.root / "meta.json",
                      "--sbom", "auto", "--format", "json", base + ".tar.xz:strip=1",
                      str(self.prebuilt) + ":prefix=usr"])
        self.assertEqual(result.returncode, 0, str(result))
        # The prebuilt archive's file under its prefix; the digest reference's blob is not read.
        self.assertEqual(self.sbom_files(result.json(), "layers/sbom"), ["usr/lib/libfoo.so"])

    def test_the_gate_looks_for_declared_binaries_in_every_layer(self):
        (self.root / "meta.json").write_text(json.dumps({
            "type": "bundle", "version": 1, "binaries": ["tool"],
            "env": [{"key": "PATH", "type": "path", "required": True, "value": "${installPath}/bin"}]}))
        # The binary is in a tree layer, the platform's own content is documentation only.
        ok = run(["release", self.write_matrix("layers/gate", [{"content": "build"}], content="extra"), "--dry-run"])
        self.assertEqual(ok.returncode, 0, str(ok))
        # Without it, the gate refuses, naming the platform.
        refused = run(["release", self.write_matrix("layers/gate", [{"content": "lib"}], content="extra"), "--dry-run"])
        self.assertEqual(refused.returncode, 65, str(refused))
        self.assertIn('/platforms/0/content: binary "tool" is declared but not in the package\'s PATH (bin)',
                      refused.stderr)

    def test_the_metadata_strip_places_layers_without_their_own(self):
        # With strip_components 1 install puts a/bin/x and b/bin/x both at bin/x.
        make_tree(self.root / "stripped", {"one": {"a": {"bin": {"x": "one\n"}}},
                                           "two": {"b": {"bin": {"x": "two\n"}}}})
        (self.root / "meta.json").write_text(json.dumps({"type": "bundle", "version": 1, "strip_components": 1}))
        path = self.write_matrix("layers/mstrip", [{"content": "stripped/one"}], content="stripped/two")
        refused = run(["release", path, "--dry-run"])
        self.assertEqual(refused.returncode, 65, str(refused))
        self.assertIn('/platforms/0/content: "b/bin/x"', refused.stderr)
        # A layer's own strip wins over the metadata's: strip=0 keeps a/bin/x apart.
        path = self.write_matrix("layers/mstrip", [{"content": "stripped/one", "strip": 0}], content="stripped/two")
        self.assertEqual(run(["release", path, "--dry-run"]).returncode, 0)


if __name__ == "__main__":
    unittest.main()
