"""`describe` against a real docker-registry (issue 16 item 6; docs/wire-format.md §7).

The `__ocx.desc` manifest read back from the registry is compared byte for byte with the document
the specification describes, built here from the input files; its blobs are read back too.
"""

from __future__ import annotations

import json
import unittest
from pathlib import Path

from fixtures import File, make_tree, run, skopeo_inspect_raw
from test_push import RegistryHarness, sha256

EMPTY = b"{}"


def compact(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def descriptor(media_type: str, data: bytes, title: str | None = None) -> dict:
    d = {"mediaType": media_type, "digest": sha256(data), "size": len(data)}
    if title:
        d["annotations"] = {"org.opencontainers.image.title": title}
    return d


class TestDescribe(RegistryHarness):

    def files(self) -> tuple[Path, Path]:
        readme = Path(self._tmp, "README.md")
        readme.write_text("# MyTool\n\nBuilds things — fast.\n", encoding="utf-8")
        logo = Path(self._tmp, "logo.svg")
        logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n')
        return readme, logo

    def test_describe_writes_the_artifact_byte_exactly(self):
        repo = "describe/tool"
        readme, logo = self.files()
        result = run(["describe", "%s/%s" % (self.reg.host, repo), "--readme", readme, "--logo", logo,
                      "--title", "MyTool", "--description", "Builds things — fast.", "--keywords", " cli, build,,x ",
                      "--format", "json"])
        self.assertEqual(result.returncode, 0, str(result))
        expected = compact({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/vnd.sh.ocx.description.v1",
            "config": descriptor("application/vnd.oci.empty.v1+json", EMPTY),
            "layers": [descriptor("application/markdown", readme.read_bytes(), "README.md"),
                       descriptor("image/svg+xml", logo.read_bytes(), "logo.svg")],
            "annotations": {"org.opencontainers.image.description": "Builds things — fast.",
                            "org.opencontainers.image.title": "MyTool", "sh.ocx.keywords": "cli,build,x"}})
        self.assertEqual(self.store.manifest(repo, "__ocx.desc"), expected)
        self.assertEqual(result.json()["digest"], sha256(expected))
        self.assertEqual(self.store.blob(repo, sha256(EMPTY)), EMPTY)
        self.assertEqual(self.store.blob(repo, sha256(readme.read_bytes())), readme.read_bytes())
        self.assertEqual(self.store.blob(repo, sha256(logo.read_bytes())), logo.read_bytes())
        # An independent client reads the same bytes.
        self.assertEqual(skopeo_inspect_raw(self.store.ref(repo, "__ocx.desc")), expected)

    def test_readme_only_has_no_annotations_and_replaces_the_earlier_one(self):
        repo = "describe/plain"
        readme, logo = self.files()
        run(["describe", "%s/%s" % (self.reg.host, repo), "--readme", readme, "--logo", logo, "--title", "x"],
            check=True)
        run(["describe", "%s/%s" % (self.reg.host, repo), "--readme", readme], check=True)
        expected = compact({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/vnd.sh.ocx.description.v1",
            "config": descriptor("application/vnd.oci.empty.v1+json", EMPTY),
            "layers": [descriptor("application/markdown", readme.read_bytes(), "README.md")]})
        self.assertEqual(self.store.manifest(repo, "__ocx.desc"), expected)
        self.assertEqual(self.store.tag_list(repo), ["__ocx.desc"])

    def test_matrix_describe_block_in_a_release(self):
        readme, logo = self.files()
        root = Path(self._tmp, "release-describe")
        make_tree(root, {"build": {"bin": {"t": File("#!/bin/sh\n", 0o755)}},
                         "meta.json": json.dumps({"type": "bundle", "version": 1})})
        (root / "release.json").write_text(json.dumps({
            "schema": 1, "package": "%s/describe/release" % self.reg.host, "tag": "1.0.0", "metadata": "meta.json",
            "platforms": [{"platform": "linux/amd64", "content": "build"}],
            "describe": {"readme": str(readme), "logo": str(logo), "title": "MyTool", "keywords": ["cli", "build"]}}))
        mark = self.reg.mark()
        dry = run(["release", root / "release.json", "--dry-run"])
        self.assertEqual(dry.returncode, 0, str(dry))
        self.assertIn("would write tag __ocx.desc -> sha256:", dry.stderr)
        self.assertEqual(self.writes_since(mark), [])
        run(["release", root / "release.json"], check=True)
        expected = compact({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/vnd.sh.ocx.description.v1",
            "config": descriptor("application/vnd.oci.empty.v1+json", EMPTY),
            "layers": [descriptor("application/markdown", readme.read_bytes(), "README.md"),
                       descriptor("image/svg+xml", logo.read_bytes(), "logo.svg")],
            "annotations": {"org.opencontainers.image.title": "MyTool", "sh.ocx.keywords": "cli,build"}})
        self.assertEqual(self.store.manifest("describe/release", "__ocx.desc"), expected)
        self.assertIn("wrote tag __ocx.desc -> %s" % sha256(expected), run(["release", root / "release.json"]).stderr)
        # A missing README stops the release before anything is written.
        (root / "release.json").write_text(json.dumps({
            "schema": 1, "package": "%s/describe/release2" % self.reg.host, "tag": "1.0.0", "metadata": "meta.json",
            "platforms": [{"platform": "linux/amd64", "content": "build"}],
            "describe": {"readme": "nope.md"}}))
        mark = self.reg.mark()
        result = run(["release", root / "release.json"])
        self.assertEqual(result.returncode, 79, str(result))
        self.assertIn("/describe: %s: no such file" % (root / "nope.md"), result.stderr)
        self.assertEqual(self.writes_since(mark), [])

    def test_bad_input_writes_nothing(self):
        readme, _ = self.files()
        bmp = Path(self._tmp, "logo.bmp")
        bmp.write_bytes(b"BM")
        mark = self.reg.mark()
        ref = "%s/describe/bad" % self.reg.host
        for args, code, message in [
                (["--readme", readme, "--logo", bmp], 64, "expected a .png or .svg file"),
                (["--readme", Path(self._tmp, "missing.md")], 79, "missing.md: no such file"),
                (["--readme", readme, "--title", "two\nlines"], 64, "control characters"),
                ([], 64, "describe: missing --readme FILE")]:
            result = run(["describe", ref, *args])
            self.assertEqual(result.returncode, code, str(result))
            self.assertIn(message, result.stderr)
        result = run(["describe", ref + ":1.0", "--readme", readme])
        self.assertEqual(result.returncode, 64, str(result))
        self.assertEqual(self.writes_since(mark), [])


if __name__ == "__main__":
    unittest.main()
