"""Shared layers in a release matrix against a real docker-registry (issue 16 item 1;
docs/cli.md "Release matrix (input)", `shared_layers`).

A three-platform release naming one shared `share/` tree bundles it once and uploads it once (the
access log holds one finishing PUT for its digest), and every platform manifest lists it first,
with the annotations its prefix asks for; the report gives its digest for every platform and an
install of one platform holds both trees.
"""

from __future__ import annotations

import json
import re
import unittest
from pathlib import Path

from fixtures import File, make_tree, run
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
        self.assertIn("/platforms/1/layers/0: no shared layer \"shar\" in /shared_layers", result.stderr)
        self.assertIn("/shared_layers/share/prefix: \"../up\" is not a relative path", result.stderr)
        self.assertEqual(self.store.tag_list("shared/bad"), [])


if __name__ == "__main__":
    unittest.main()
