"""Dependency pins against a real docker-registry (issue 16 item 2; docs/cli.md "Dependency pins").

`create -m` pins a tag-only dependency to the platform manifest its tag offers for the create's
platform (OCX's selection, `any` included) — the expected digest is read from the registry's index;
`push` and `release` refuse a pin to a missing manifest (79) or to an index (65) before any write.
"""

from __future__ import annotations

import json
import unittest
from pathlib import Path

from fixtures import File, make_tree, run
from test_push import AMD, ARM, RegistryHarness, sha256


class TestDependencyPins(RegistryHarness):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # deps/lib:1.0.0 offers linux/amd64 and linux/arm64; deps/anylib:2.0.0 offers `any`.
        for platform in (AMD, ARM):
            run(["push", "-n", "-i", cls.store.ref("deps/lib", "1.0.0"), "-p", platform, "-m",
                 cls.work.metadata("lib " + platform), cls.work.archive(platform)], check=True)
        run(["push", "-n", "-i", cls.store.ref("deps/anylib", "2.0.0"), "-p", "any", "-m",
             cls.work.metadata("anylib"), cls.work.extra_layer()], check=True)

    def entry_digest(self, repo: str, tag: str, platform: dict) -> str:
        (entry,) = [e for e in self.index_of(repo, tag)["manifests"] if e["platform"] == platform]
        return entry["digest"]

    def metadata_with(self, name: str, identifier: str) -> Path:
        path = Path(self._tmp, name + ".json")
        path.write_text(json.dumps({"type": "bundle", "version": 1,
                                    "dependencies": [{"identifier": identifier}]}))
        return path

    def create(self, name: str, platform: str, meta: Path):
        tree = make_tree(Path(self._tmp, "tree-" + name), {"bin": {"app": File("#!/bin/sh\n", 0o755)}})
        out = Path(self._tmp, "out-" + name)
        result = run(["create", tree, "-i", "app:1.0.0", "-p", platform, "-m", meta, "-o", out])
        sidecars = list(out.glob("*-metadata.json")) if out.exists() else []
        return result, (json.loads(sidecars[0].read_text()) if sidecars else None)

    def test_create_pins_the_platform_manifest_of_a_tag(self):
        lib = "%s/deps/lib" % self.reg.host
        result, sidecar = self.create("arm", ARM, self.metadata_with("arm", lib + ":1.0.0"))
        self.assertEqual(result.returncode, 0, str(result))
        arm = self.entry_digest("deps/lib", "1.0.0", {"architecture": "arm64", "os": "linux"})
        self.assertEqual(sidecar["dependencies"][0]["identifier"], "%s:1.0.0@%s" % (lib, arm))
        result, sidecar = self.create("amd", AMD, self.metadata_with("amd", lib + ":1.0.0"))
        amd = self.entry_digest("deps/lib", "1.0.0", {"architecture": "amd64", "os": "linux"})
        self.assertNotEqual(arm, amd)
        self.assertEqual(sidecar["dependencies"][0]["identifier"], "%s:1.0.0@%s" % (lib, amd))

    def test_create_any_takes_only_an_any_manifest(self):
        anylib = "%s/deps/anylib" % self.reg.host
        result, sidecar = self.create("any-ok", "any", self.metadata_with("any-ok", anylib + ":2.0.0"))
        self.assertEqual(result.returncode, 0, str(result))
        digest = self.entry_digest("deps/anylib", "2.0.0", {"architecture": "any", "os": "any"})
        self.assertEqual(sidecar["dependencies"][0]["identifier"], "%s:2.0.0@%s" % (anylib, digest))
        # A specific platform also takes the `any` manifest when that is all a tag offers.
        result, sidecar = self.create("amd-any", AMD, self.metadata_with("amd-any", anylib + ":2.0.0"))
        self.assertEqual(sidecar["dependencies"][0]["identifier"], "%s:2.0.0@%s" % (anylib, digest))
        # deps/lib has no `any` manifest: nothing to pin for -p any.
        result, sidecar = self.create("any-none", "any", self.metadata_with("any-none", self.reg.host + "/deps/lib:1.0.0"))
        self.assertEqual(result.returncode, 79, str(result))
        self.assertIn("no manifest for any in the index", result.stderr)
        self.assertIsNone(sidecar)
        # A pin written by hand is refused with -p any.
        result, _ = self.create("any-hand", "any", self.metadata_with("any-hand", "%s:2.0.0@%s" % (anylib, digest)))
        self.assertEqual(result.returncode, 65, str(result))
        self.assertIn("is pinned by hand; with -p any name it by tag", result.stderr)
        # A tag that does not exist.
        result, _ = self.create("no-tag", AMD, self.metadata_with("no-tag", self.reg.host + "/deps/lib:9.9.9"))
        self.assertEqual(result.returncode, 79, str(result))
        self.assertIn("no tag \"9.9.9\" in %s/deps/lib" % self.reg.host, result.stderr)

    def test_push_checks_pins_before_any_write(self):
        lib = "%s/deps/lib" % self.reg.host
        missing = sha256(b"no such manifest")
        index = sha256(self.store.manifest("deps/lib", "1.0.0"))
        for name, pin, code, message in [
                ("missing", missing, 79, "no manifest %s in %s" % (missing, lib)),
                ("index", index, 65, "pins an image index, not a platform manifest")]:
            meta = self.metadata_with("push-" + name, "%s:1.0.0@%s" % (lib, pin))
            mark = self.reg.mark()
            result = run(["push", "-n", "-c", "-i", self.store.ref("pins/app", "1.0.0"), "-p", AMD, "-m", meta,
                          self.work.archive(AMD)])
            self.assertEqual(result.returncode, code, str(result))
            self.assertIn(message, result.stderr)
            self.assertEqual(self.writes_since(mark), [])
        self.assertEqual(self.store.tag_list("pins/app"), [])
        # The right pin goes through.
        amd = self.entry_digest("deps/lib", "1.0.0", {"architecture": "amd64", "os": "linux"})
        meta = self.metadata_with("push-ok", "%s:1.0.0@%s" % (lib, amd))
        run(["push", "-n", "-i", self.store.ref("pins/app", "1.0.0"), "-p", AMD, "-m", meta, self.work.archive(AMD)],
            check=True)

    def test_release_stops_on_a_missing_pin_before_any_write(self):
        root = Path(self._tmp, "release-pins")
        make_tree(root, {"build": {"amd": {"bin": {"app": File("#!/bin/sh\n", 0o755)}},
                                   "arm": {"bin": {"app": File("#!/bin/sh\n", 0o755)}}}})
        lib = "%s/deps/lib" % self.reg.host
        amd = self.entry_digest("deps/lib", "1.0.0", {"architecture": "amd64", "os": "linux"})
        (root / "amd.json").write_text(json.dumps({"type": "bundle", "version": 1, "dependencies": [
            {"identifier": "%s:1.0.0@%s" % (lib, amd)}]}))
        (root / "arm.json").write_text(json.dumps({"type": "bundle", "version": 1, "dependencies": [
            {"identifier": "%s:1.0.0@%s" % (lib, sha256(b"gone"))}]}))
        (root / "release.json").write_text(json.dumps({
            "schema": 1, "package": "%s/pins/release" % self.reg.host, "tag": "1.0.0", "cascade": True,
            "platforms": [{"platform": AMD, "content": "build/amd", "metadata": "amd.json"},
                          {"platform": ARM, "content": "build/arm", "metadata": "arm.json"}]}))
        mark = self.reg.mark()
        result = run(["release", root / "release.json", "--report", root / "report.json"])
        self.assertEqual(result.returncode, 79, str(result))
        self.assertIn("%s: dependency \"%s:1.0.0@%s\": no manifest" % (root / "arm.json", lib, sha256(b"gone")),
                      result.stderr)
        self.assertEqual(self.writes_since(mark), [])
        report = json.loads((root / "report.json").read_text())
        self.assertEqual([e["step"] for e in report["errors"]], ["check dependencies"])


class TestPinsOverTls(RegistryHarness):
    """`create` reads pins with the connection options: a registry whose certificate only
    --ca-file vouches for is read with it, and refused without it."""

    registry_kwargs = {"tls": True}

    def test_create_takes_ca_file_for_its_pins(self):
        ca = self.reg.ca_file
        run(["push", "-n", "-i", self.store.ref("deps/tls", "1.0.0"), "-p", AMD, "-m", self.work.metadata("tls"),
             "--ca-file", ca, self.work.archive(AMD)], check=True)
        meta = Path(self._tmp, "tls-meta.json")
        meta.write_text(json.dumps({"type": "bundle", "version": 1,
                                    "dependencies": [{"identifier": "%s/deps/tls:1.0.0" % self.reg.host}]}))
        tree = make_tree(Path(self._tmp, "tls-tree"), {"bin": {"app": File("#!/bin/sh\n", 0o755)}})
        out = Path(self._tmp, "tls-out")
        refused = run(["create", tree, "-i", "app:1.0.0", "-p", AMD, "-m", meta, "-o", out])
        self.assertNotEqual(refused.returncode, 0, str(refused))
        self.assertIn("certificate", refused.stderr)
        self.assertFalse(out.exists())
        result = run(["create", tree, "-i", "app:1.0.0", "-p", AMD, "-m", meta, "-o", out, "--ca-file", ca])
        self.assertEqual(result.returncode, 0, str(result))
        (sidecar,) = out.glob("*-metadata.json")
        index = json.loads(self.store.manifest("deps/tls", "1.0.0"))
        (entry,) = index["manifests"]
        self.assertEqual(json.loads(sidecar.read_text())["dependencies"][0]["identifier"],
                         "%s/deps/tls:1.0.0@%s" % (self.reg.host, entry["digest"]))


if __name__ == "__main__":
    unittest.main()
