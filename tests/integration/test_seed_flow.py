"""The seed's two-platform flow, its commands run verbatim (docs/cli.md "Commands": `package create` and
`package push` are OCX-style aliases, and push takes the identifier as its first positional argument),
against a real docker-registry named by OCX_DEFAULT_REGISTRY; then read back with raw HTTP and skopeo,
and consumed with install/exec. The same commands also run against an oci: layout."""

from __future__ import annotations

import hashlib
import json
import shutil
import unittest
from pathlib import Path

from fixtures import File, Registry, make_tree, registry_get, run, skopeo_inspect_raw
from release_helpers import ACCEPT, scratch

METADATA = {
    "type": "bundle",
    "version": 1,
    "env": [{"key": "PATH", "type": "path", "required": True, "value": "${installPath}/bin", "visibility": "public"}],
    "binaries": ["mytool"],
}
CANONICAL_CONFIG = json.dumps(METADATA, separators=(",", ":")).encode()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def seed_workspace() -> Path:
    work = scratch()
    for arch in ("amd64", "arm64"):
        make_tree(work / ("build-" + arch), {"bin": {"mytool": File("#!/bin/sh\necho 'mytool 1.0.0 %s'\n" % arch, 0o755)}})
    (work / "metadata.json").write_text(json.dumps(METADATA, indent=2))
    return work


def seed_commands(identifier: str) -> list[list[str]]:
    """The seed's commands; `identifier` is mytool:1.0.0 in the seed itself."""
    return [
        ["package", "create", "build-amd64", "-i", "mytool:1.0.0", "-p", "linux/amd64", "-m", "metadata.json", "-o", "."],
        ["package", "create", "build-arm64", "-i", "mytool:1.0.0", "-p", "linux/arm64", "-m", "metadata.json", "-o", "."],
        ["package", "push", "-n", "-c", "-p", "linux/amd64", identifier, "mytool-1.0.0-linux-amd64.tar.xz"],
        ["package", "push", "-c", "-p", "linux/arm64", identifier, "mytool-1.0.0-linux-arm64.tar.xz"],
    ]


class SeedFlowTest(unittest.TestCase):
    def setUp(self):
        self.work = seed_workspace()

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def check_index(self, index_bytes: bytes, manifest_of) -> dict:
        """Two entries, amd64 then arm64; each manifest holds the canonical config and its archive."""
        index = json.loads(index_bytes)
        self.assertEqual(index["mediaType"], "application/vnd.oci.image.index.v1+json")
        self.assertEqual(index["artifactType"], "application/vnd.sh.ocx.package.v1")
        self.assertEqual([m["platform"] for m in index["manifests"]],
                         [{"architecture": "amd64", "os": "linux"}, {"architecture": "arm64", "os": "linux"}])
        for entry, arch in zip(index["manifests"], ("amd64", "arm64")):
            body = manifest_of(entry["digest"])
            self.assertEqual(sha256(body), entry["digest"])
            self.assertEqual(len(body), entry["size"])
            manifest = json.loads(body)
            self.assertEqual(manifest["config"]["digest"], sha256(CANONICAL_CONFIG))
            archive = (self.work / ("mytool-1.0.0-linux-%s.tar.xz" % arch)).read_bytes()
            self.assertEqual([(l["mediaType"], l["digest"], l["size"]) for l in manifest["layers"]],
                             [("application/vnd.oci.image.layer.v1.tar+xz", sha256(archive), len(archive))])
        return index

    def test_seed_commands_verbatim_on_a_registry(self):
        with Registry() as reg:
            env = {"OCX_DEFAULT_REGISTRY": reg.host}
            for args in seed_commands("mytool:1.0.0"):
                r = run(args, cwd=self.work, env=env)
                self.assertEqual(r.returncode, 0, str(r))
            for arch in ("amd64", "arm64"):
                for suffix in (".tar.xz", "-metadata.json", "-receipt.json"):
                    self.assertTrue((self.work / ("mytool-1.0.0-linux-%s%s" % (arch, suffix))).is_file(), arch + suffix)

            def get(ref: str) -> bytes:
                resp = registry_get(reg.url, "/v2/mytool/manifests/" + ref, accept=ACCEPT)
                self.assertEqual(resp.status, 200, ref)
                return resp.body

            index_bytes = get("1.0.0")
            index = self.check_index(index_bytes, get)
            # One tag with both entries; the rolling tags hold the very same index.
            for rolling in ("1.0", "1", "latest"):
                self.assertEqual(get(rolling), index_bytes, rolling)
            tags = registry_get(reg.url, "/v2/mytool/tags/list").json()["tags"]
            canonical = {"sha256." + m["digest"][7:] for m in index["manifests"]}
            self.assertEqual(set(tags), {"1.0.0", "1.0", "1", "latest"} | canonical)
            # An independent reader sees the same bytes.
            self.assertEqual(skopeo_inspect_raw("%s/mytool:1.0.0" % reg.host), index_bytes)

            # And the consumer side picks each platform from it.
            for arch in ("amd64", "arm64"):
                out = self.work / ("installed-" + arch)
                r = run(["install", "mytool:1.0.0", "-p", "linux/" + arch, "-o", out], env=env)
                self.assertEqual(r.returncode, 0, str(r))
                self.assertEqual((out / "content/bin/mytool").read_text(), "#!/bin/sh\necho 'mytool 1.0.0 %s'\n" % arch)
                self.assertEqual((out / "metadata.json").read_bytes(), CANONICAL_CONFIG)
            r = run(["exec", "mytool:1.0.0", "-p", "linux/arm64", "--", "mytool"],
                    env={**env, "OCX_RELEASE_CACHE": self.work / "cache"})
            self.assertEqual((r.returncode, r.stdout), (0, "mytool 1.0.0 arm64\n"), str(r))

    def test_same_commands_on_an_oci_layout(self):
        layout = self.work / "layout"
        for args in seed_commands("oci:%s:1.0.0" % layout):
            r = run(args, cwd=self.work)
            self.assertEqual(r.returncode, 0, str(r))
        index_bytes = skopeo_inspect_raw("oci:%s:1.0.0" % layout)
        self.check_index(index_bytes, lambda d: (layout / "blobs/sha256" / d[7:]).read_bytes())
        for rolling in ("1.0", "1", "latest"):
            self.assertEqual(skopeo_inspect_raw("oci:%s:%s" % (layout, rolling)), index_bytes, rolling)
        r = run(["exec", "oci:%s:1.0.0" % layout, "-p", "linux/amd64", "--", "mytool"],
                env={"OCX_RELEASE_CACHE": self.work / "cache"})
        self.assertEqual((r.returncode, r.stdout), (0, "mytool 1.0.0 amd64\n"), str(r))


if __name__ == "__main__":
    unittest.main()
