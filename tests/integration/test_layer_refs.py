"""Layer references and OCX's push report against a real docker-registry (issue 16, items 1 and 3;
docs/cli.md "Layer references", "OCX's push report").

A layer given as `sha256:<hex>.<ext>` is HEADed in the target and never uploaded (the access log
shows no blob write for it), a missing one stops the push with 79 before anything is written, and
the `:strip=N,prefix=P` tail becomes the layer descriptor annotations OCX writes, byte for byte.
`package push --format json` prints OCX's one-line object; every value is compared with what the
registry holds.
"""

from __future__ import annotations

import json
import unittest
from pathlib import Path

from fixtures import run
from test_push import AMD, RegistryHarness, sha256

XZ = "application/vnd.oci.image.layer.v1.tar+xz"


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"))


class TestLayerReferences(RegistryHarness):

    def first_push(self, repo: str, tag: str = "1.0.0") -> tuple[Path, str]:
        """Pushes the amd64 archive with metadata "base"; returns (archive, its digest)."""
        archive = self.work.archive(AMD)
        self.push(repo, tag, AMD, "base", "-n")
        return archive, sha256(archive.read_bytes())

    def test_digest_reference_uploads_nothing_and_writes_the_tail_annotations(self):
        repo = "refs/reuse"
        archive, digest = self.first_push(repo)
        mark = self.reg.mark()
        result = run(["push", "-i", self.store.ref(repo, "2.0.0"), "-p", AMD, "-m", self.work.metadata("base"),
                      "--format", "json", digest + ".tar.xz:strip=1,prefix=tools/x"])
        self.assertEqual(result.returncode, 0, str(result))
        report = result.json()
        # The layer was HEADed, never offered: no blob write at all (the config is the first push's).
        self.assertGreaterEqual(self.reg.count("HEAD", "/v2/%s/blobs/%s" % (repo, digest), since=mark), 1)
        self.assertEqual(self.blob_writes_since(mark), [])
        self.assertEqual(report["platforms"][0]["blobs"]["uploaded"], 0)
        # The manifest holds the descriptor exactly as OCX writes it: annotations sorted, strip a string.
        raw = self.store.manifest(repo, report["platforms"][0]["manifest"]["digest"])
        layer = {"mediaType": XZ, "digest": digest, "size": archive.stat().st_size,
                 "annotations": {"sh.ocx.layer.prefix": "tools/x", "sh.ocx.layer.strip-components": "1"}}
        self.assertIn(b'"layers":[' + compact(layer).encode() + b"]", raw)
        self.assertEqual(json.loads(raw)["layers"], [layer])
        # No tail: no annotations, the manifest bytes of a plain push of the file.
        plain = run(["push", "-i", self.store.ref(repo, "3.0.0"), "-p", AMD, "-m", self.work.metadata("base"),
                     "--format", "json", digest + ".tar.xz"])
        self.assertEqual(plain.returncode, 0, str(plain))
        first = self.store.manifest(repo, self.index_of(repo, "1.0.0")["manifests"][0]["digest"])
        self.assertEqual(plain.json()["platforms"][0]["manifest"]["digest"], sha256(first))

    def test_installs_with_strip_and_prefix(self):
        repo = "refs/install"
        _, digest = self.first_push(repo)
        run(["push", "-i", self.store.ref(repo, "2.0.0"), "-p", AMD, "-m", self.work.metadata("base"),
             digest + ".tar.xz:strip=1,prefix=opt"], check=True)
        out = Path(self._tmp, "install-strip")
        run(["install", self.store.ref(repo, "2.0.0"), "-p", AMD, "-o", out], check=True)
        tool = out / "content" / "opt" / "tool"
        self.assertTrue(tool.is_file(), sorted(str(p.relative_to(out)) for p in out.rglob("*")))
        self.assertIn("tool linux/amd64 a", tool.read_text())

    def test_missing_digest_is_79_before_any_write(self):
        repo = "refs/missing"
        self.first_push(repo)
        absent = sha256(b"not pushed anywhere")
        mark = self.reg.mark()
        result = run(["push", "-i", self.store.ref(repo, "2.0.0"), "-p", AMD, "-m", self.work.metadata("base"),
                      "-c", absent + ".tar.gz"])
        self.assertEqual(result.returncode, 79, str(result))
        self.assertIn("layer \"%s.tar.gz\": blob %s is not in %s/%s; push it first, or name a repository to mount "
                      "it from (:from=REPO)" % (absent, absent, self.reg.host, repo), result.stderr)
        self.assertEqual(self.writes_since(mark), [])
        self.assertNotIn("2.0.0", self.store.tag_list(repo))
        # `package push --format json`: OCX's report is for a push that happened; nothing on stdout.
        ocx = run(["package", "push", "-p", AMD, "-m", self.work.metadata("base"), "--format", "json",
                   self.store.ref(repo, "2.0.0"), absent + ".tar.gz"])
        self.assertEqual((ocx.returncode, ocx.stdout), (79, ""), str(ocx))
        self.assertIn("blob %s is not in" % absent, ocx.stderr)
        # Our push prints our failed report, naming the step.
        ours = run(["push", "-p", AMD, "-m", self.work.metadata("base"), "--format", "json",
                    "-i", self.store.ref(repo, "2.0.0"), absent + ".tar.gz"])
        self.assertEqual(ours.returncode, 79, str(ours))
        self.assertEqual([e["step"] for e in ours.json()["errors"]], ["resolve layers"])

    def test_bad_arguments_are_usage_errors(self):
        digest = sha256(b"x")
        for arg, message, code in [
                (digest, "a bare layer digest; append the archive extension", 64),
                ("a.tar.xz:strip=300", "strip=300 is not a number from 0 to 255", 64),
                ("a.tar.xz:prefix=../up", "prefix=../up is not a relative path", 64),
                ("a.tar.xz:strp=1", "unknown key \"strp\" in the tail; did you mean \"strip\"?", 64)]:
            result = run(["push", "-i", self.store.ref("refs/bad", "1.0.0"), "-p", AMD, "-m",
                          self.work.metadata("base"), arg])
            self.assertEqual(result.returncode, code, str(result))
            self.assertIn(message, result.stderr)
        self.assertEqual(self.store.tag_list("refs/bad"), [])

    def test_from_mounts_a_blob_of_another_repository(self):
        _, digest = self.first_push("refs/mount-src")
        result = run(["package", "push", "-n", "-p", AMD, "-m", self.work.metadata("base"), "--format", "json",
                      self.store.ref("refs/mount-dst", "1.0.0"), digest + ".tar.xz:from=refs/mount-src"])
        self.assertEqual(result.returncode, 0, str(result))
        self.assertEqual(json.loads(result.stdout)["layers"], {"mounted": 1, "uploaded": 0, "verified": 0})
        self.assertEqual(self.store.blob("refs/mount-dst", digest), self.work.archive(AMD).read_bytes())


class TestOcxPushReport(RegistryHarness):

    def test_package_push_json_is_ocx_shape_and_announce_file(self):
        repo = "ocxjson/tool"
        archive = self.work.archive(AMD)
        announce = Path(self._tmp, "announce.txt")
        announce.write_text("earlier\n")
        result = run(["package", "push", "-n", "-c", "-p", AMD, "-m", self.work.metadata("1.2.3"), "--format", "json",
                      "--announce-file", announce, self.store.ref(repo, "1.2.3"), archive])
        self.assertEqual(result.returncode, 0, str(result))
        self.assertEqual(result.stdout.count("\n"), 1)
        index = self.store.manifest(repo, "1.2.3")
        manifest_digest = json.loads(index)["manifests"][0]["digest"]
        expected = {"identifier": self.store.ref(repo, "1.2.3"), "status": "pushed",
                    "manifest_digest": sha256(index),
                    "cascade_tags_written": ["1.2", "1", "latest"],
                    "canonical_tags_written": ["sha256." + manifest_digest.split(":", 1)[1]],
                    "layers": {"mounted": 0, "uploaded": 1, "verified": 0}}
        self.assertEqual(result.stdout, compact(expected) + "\n")
        for tag in ["1.2", "1", "latest"]:
            self.assertEqual(sha256(self.store.manifest(repo, tag)), sha256(index))
        self.assertEqual(announce.read_text(), "earlier\n1.2.3,1.2,1,latest\n")
        # The same archive again, a new version: the layer is verified (present), not uploaded.
        again = run(["package", "push", "-c", "-p", AMD, "-m", self.work.metadata("1.2.4"), "--format", "json",
                     self.store.ref(repo, "1.2.4"), archive])
        self.assertEqual(again.returncode, 0, str(again))
        self.assertEqual(json.loads(again.stdout)["layers"], {"mounted": 0, "uploaded": 0, "verified": 1})
        # Our own push keeps our report.
        ours = run(["push", "-c", "-p", AMD, "-m", self.work.metadata("1.2.5"), "--format", "json",
                    "-i", self.store.ref(repo, "1.2.5"), archive])
        self.assertEqual(ours.returncode, 0, str(ours))
        self.assertEqual(ours.json()["package"], "%s/%s" % (self.reg.host, repo))


if __name__ == "__main__":
    unittest.main()
