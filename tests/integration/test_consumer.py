"""The consumer side (docs/cli.md "Commands": install, env, exec, verify --deep) against a real
docker-registry and an oci: layout: platform selection as OCX does it, only the chosen platform's
blobs downloaded, safe extraction (malicious archives refused with exit 65, nothing left), the
package environment, the exec cache, and deep verification of a release."""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform as host
import re
import shutil
import tarfile
import unittest
from pathlib import Path

from fixtures import File, Registry, Symlink, make_tree, run, skopeo_copy
from release_helpers import scratch

METADATA = {
    "type": "bundle",
    "version": 1,
    "env": [{"key": "PATH", "type": "path", "required": True, "value": "${installPath}/bin", "visibility": "public"},
            {"key": "HELLO_HOME", "type": "constant", "value": "${installPath}", "visibility": "public"}],
    "binaries": ["hello"],
}


def hello_tree(root: Path, flavor: str, extra: dict | None = None) -> Path:
    spec = {
        "bin": {"hello": File("#!/bin/sh\necho \"hello from %s\"\nexit ${HELLO_EXIT:-0}\n" % flavor, 0o755),
                "hi": Symlink("hello")},
        "share": {"flavor.txt": flavor + "\n"},
    }
    spec.update(extra or {})
    return make_tree(root, spec)


def tree_of(root: Path) -> dict:
    """Relative path -> "dir" | "link:<target>" | (executable, bytes)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = (bool(p.stat().st_mode & 0o100), p.read_bytes())
    return out


def evil_archive(path: Path, members: list) -> Path:
    """A tar.xz written by Python's tarfile, which writes what ocx-release never would. Members:
    ("file", name, mode) · ("symlink", name, target) · ("hardlink", name, target) · ("chr"|"fifo", name)."""
    with tarfile.open(path, "w:xz", format=tarfile.PAX_FORMAT) as tar:
        for kind, name, *rest in members:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            data = b""
            if kind == "file":
                info.mode = rest[0] if rest else 0o644
                data = b"payload\n"
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, rest[0]
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, rest[0]
            elif kind == "chr":
                info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
    return path


INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


def compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def write_unchecked_layout(layout: Path, tag: str, platform: str, archive: Path, metadata: dict) -> dict:
    """What a hostile (or careless) publisher with another tool can put at a tag: an OCX-shaped
    index + manifest whose layer `push` would refuse. Written straight into an OCI layout; returns
    a push-style report for it."""
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')

    def put(data: bytes) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": "sha256:" + digest, "size": len(data)}

    layer_bytes = archive.read_bytes()
    layer = put(layer_bytes)
    config = put(compact(metadata))
    manifest_bytes = compact({"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
                              "config": {"mediaType": "application/vnd.sh.ocx.package.v1+json", **config},
                              "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+xz", **layer}],
                              "artifactType": "application/vnd.sh.ocx.package.v1"})
    manifest = put(manifest_bytes)
    os_name, arch = platform.split("/")
    index = put(compact({"schemaVersion": 2, "mediaType": INDEX_TYPE,
                         "manifests": [{"mediaType": MANIFEST_TYPE, **manifest,
                                        "platform": {"architecture": arch, "os": os_name}}],
                         "artifactType": "application/vnd.sh.ocx.package.v1"}))
    index_file = layout / "index.json"
    top = json.loads(index_file.read_text()) if index_file.exists() else {"schemaVersion": 2, "manifests": []}
    top["manifests"] = [m for m in top["manifests"]
                        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    top["manifests"].append({"mediaType": INDEX_TYPE, **index,
                             "annotations": {"org.opencontainers.image.ref.name": tag}})
    index_file.write_text(json.dumps(top))
    return {"schema": 1, "status": "published", "dry_run": False, "package": "", "tag": tag,
            "index": {"digest": index["digest"], "size": index["size"], "reference": ""},
            "platforms": [{"platform": platform,
                           "archive": {"path": str(archive), "digest": layer["digest"], "size": layer["size"],
                                       "created": False},
                           "config": config, "manifest": manifest, "canonical_tag": None,
                           "blobs": {"uploaded": 0, "skipped": 0, "mounted": 0, "bytes_uploaded": 0},
                           "pushed": True}],
            "tags": [{"tag": tag, "kind": "primary", "before": None, "after": index["digest"], "action": "created"}],
            "errors": []}


class ConsumerTests:
    """Scenarios shared by the registry and the layout target (mixed into unittest.TestCase)."""

    def ref(self, repo: str, tag: str) -> str:
        raise NotImplementedError

    # Hooks the registry variant fills with access-log checks.
    def mark(self) -> int:
        return 0

    def check_fetched_only(self, since: int, repo: str, fetched: list, not_fetched: list) -> None:
        pass

    def setUp(self):
        self.dir = scratch()
        self.env = {"OCX_RELEASE_CACHE": self.dir / "cache"}
        self.counter = 0

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def publish(self, repo: str, tag: str, platform: str, source, metadata: dict = METADATA) -> dict:
        """create (for a tree) + push one platform; returns the push report."""
        self.counter += 1
        meta = self.dir / ("metadata-%d.json" % self.counter)
        meta.write_text(json.dumps(metadata))
        if source.is_dir():
            out = self.dir / ("dist-%d" % self.counter)
            r = run(["create", source, "-i", "%s:%s" % (repo.split("/")[-1], tag), "-p", platform, "-m", meta, "-o", out])
            self.assertEqual(r.returncode, 0, str(r))
            (source,) = out.glob("*.tar.xz")
        r = run(["push", source, "-i", self.ref(repo, tag), "-p", platform, "-m", meta, "--format", "json"])
        self.assertEqual(r.returncode, 0, str(r))
        return r.json()

    def publish_unchecked(self, repo: str, tag: str, platform: str, archive: Path, metadata: dict = METADATA) -> dict:
        """Publishes an archive that `push` refuses (see write_unchecked_layout)."""
        raise NotImplementedError

    def meta_file(self, metadata: dict = METADATA) -> Path:
        self.counter += 1
        meta = self.dir / ("metadata-%d.json" % self.counter)
        meta.write_text(json.dumps(metadata))
        return meta

    def install(self, ref: str, out: Path, *args):
        return run(["install", ref, "-o", out, *args])

    # -- install ------------------------------------------------------------------------------
    def test_install_extracts_exactly_one_platform_and_fetches_only_its_blobs(self):
        repo = "acme/two"
        trees = {"linux/amd64": hello_tree(self.dir / "src-amd64", "linux/amd64", {"lib": {"amd64.so": "x86\n"}}),
                 "linux/arm64": hello_tree(self.dir / "src-arm64", "linux/arm64", {"libexec": {"arm": "arm\n"}})}
        reports = {p: self.publish(repo, "1.0.0", p, tree)["platforms"][0] for p, tree in trees.items()}
        for platform, other in (("linux/amd64", "linux/arm64"), ("linux/arm64", "linux/amd64")):
            out = self.dir / ("out-" + platform.replace("/", "-"))
            since = self.mark()
            r = self.install(self.ref(repo, "1.0.0"), out, "-p", platform, "--format", "json")
            self.assertEqual(r.returncode, 0, str(r))
            self.assertEqual(tree_of(out / "content"), tree_of(trees[platform]))
            self.assertEqual(sorted(p.name for p in out.iterdir()), ["content", "metadata.json"])
            self.assertEqual(json.loads((out / "metadata.json").read_text()), METADATA)
            info = r.json()
            self.assertEqual((info["platform"], info["manifest"]), (platform, reports[platform]["manifest"]["digest"]))
            own, theirs = reports[platform], reports[other]
            self.check_fetched_only(since, repo, [own["archive"]["digest"], own["config"]["digest"]],
                                    [theirs["archive"]["digest"], theirs["manifest"]["digest"]])

    def test_install_by_index_digest(self):
        repo = "acme/bydigest"
        tree = hello_tree(self.dir / "src", "by digest")
        rep = self.publish(repo, "1.0.0", "linux/amd64", tree)
        by_tag = self.ref(repo, "1.0.0")
        by_digest = by_tag[:-len(":1.0.0")] + "@" + rep["index"]["digest"]
        out = self.dir / "out"
        r = self.install(by_digest, out, "-p", "linux/amd64", "--format", "json")
        self.assertEqual(r.returncode, 0, str(r))
        self.assertEqual(r.json()["manifest"], rep["platforms"][0]["manifest"]["digest"])
        self.assertEqual(tree_of(out / "content"), tree_of(tree))

    def test_install_into_a_non_empty_directory_needs_force(self):
        repo = "acme/force"
        self.publish(repo, "1", "linux/amd64", hello_tree(self.dir / "v1", "v1"))
        self.publish(repo, "2", "linux/amd64", hello_tree(self.dir / "v2", "v2"))
        out = self.dir / "out"
        self.assertEqual(self.install(self.ref(repo, "1"), out, "-p", "linux/amd64").returncode, 0)
        r = self.install(self.ref(repo, "2"), out, "-p", "linux/amd64")
        self.assertEqual(r.returncode, 64, str(r))
        self.assertIn("error: %s: not empty (pass --force to replace an installed package)" % out, r.stderr)
        self.assertEqual((out / "content/share/flavor.txt").read_text(), "v1\n")
        r = self.install(self.ref(repo, "2"), out, "-p", "linux/amd64", "--force")
        self.assertEqual(r.returncode, 0, str(r))
        self.assertEqual((out / "content/share/flavor.txt").read_text(), "v2\n")

    # -- selection ----------------------------------------------------------------------------
    def test_selection_between_glibc_musl_and_any(self):
        repo = "acme/libc"
        for platform, flavor in (("linux/amd64+libc.glibc", "glibc"), ("linux/amd64+libc.musl", "musl"), ("any", "any")):
            self.publish(repo, "2.0.0", platform, hello_tree(self.dir / ("src-" + flavor), flavor))
        ref = self.ref(repo, "2.0.0")
        cases = [("linux/amd64+libc.glibc", "glibc"), ("linux/amd64+libc.musl", "musl"),
                 ("linux/amd64", "any"),          # no libc named: only entries without features, and any
                 ("linux/arm64+libc.glibc", "any"), ("darwin/arm64", "any"), ("any", "any")]
        for i, (platform, flavor) in enumerate(cases):
            out = self.dir / ("sel-%d" % i)
            r = self.install(ref, out, "-p", platform)
            self.assertEqual(r.returncode, 0, str(r))
            self.assertEqual((out / "content/share/flavor.txt").read_text(), flavor + "\n", platform)
        # This host, detected: a glibc amd64 machine gets the glibc build.
        if host.machine() == "x86_64" and os.path.exists("/lib64/ld-linux-x86-64.so.2") \
                and not os.path.exists("/lib/ld-musl-x86_64.so.1"):
            r = self.install(ref, self.dir / "sel-host")
            self.assertEqual(r.returncode, 0, str(r))
            self.assertEqual((self.dir / "sel-host/content/share/flavor.txt").read_text(), "glibc\n")
        # A host with both libcs cannot choose between the two builds.
        r = self.install(ref, self.dir / "sel-both", "-p", "linux/amd64+libc.glibc,libc.musl")
        self.assertEqual(r.returncode, 65, str(r))
        self.assertRegex(r.stderr, r"ambiguous: 2 manifests match linux/amd64\+libc\.glibc,libc\.musl equally well: "
                                   r"linux/amd64\+libc\.glibc \(sha256:[0-9a-f]{64}\), linux/amd64\+libc\.musl "
                                   r"\(sha256:[0-9a-f]{64}\); choose one with -p PLATFORM")
        self.assertFalse((self.dir / "sel-both").exists())

    def test_no_matching_platform_lists_what_the_index_has(self):
        repo = "acme/nomatch"
        for platform in ("linux/amd64", "linux/arm64+libc.musl"):
            self.publish(repo, "1.0", platform, hello_tree(self.dir / platform.replace("/", "_"), platform))
        r = self.install(self.ref(repo, "1.0"), self.dir / "out", "-p", "darwin/arm64")
        self.assertEqual(r.returncode, 79, str(r))
        self.assertIn("no manifest for darwin/arm64 in the index; it has only linux/amd64, linux/arm64+libc.musl",
                      r.stderr)
        self.assertFalse((self.dir / "out").exists())

    # -- safe extraction ----------------------------------------------------------------------
    def test_malicious_archives_are_refused_and_leave_nothing(self):
        repo = "acme/evil"
        outside = self.dir / "outside-target"
        cases = [
            ("dotdot", [("file", "../escaped")], '"../escaped": path contains ".." (it would leave the package)'),
            ("absolute", [("file", str(outside))], '"%s": absolute path not allowed' % outside),
            ("symlink", [("symlink", "bin/etc", "../../../../etc")],
             '"bin/etc": symlink to "../../../../etc" leaves the package'),
            ("abs-symlink", [("symlink", "passwd", "/etc/passwd")],
             '"passwd": symlink to absolute path "/etc/passwd" not allowed'),
            ("hardlink", [("hardlink", "shadow", "../../etc/shadow")],
             '"shadow": hardlink to "../../etc/shadow": path contains ".." (it would leave the package)'),
            ("device", [("chr", "dev/null")], '"dev/null": character device not allowed'),
            ("fifo", [("fifo", "pipe")], '"pipe": FIFO not allowed'),
            ("setuid", [("file", "bin/su", 0o4755)], '"bin/su": setuid/setgid bit (mode 4755) not allowed'),
        ]
        for name, members, expected in cases:
            with self.subTest(name):
                # A harmless member first, so a refusal comes after something was written.
                archive = evil_archive(self.dir / ("evil-%s.tar.xz" % name), [("file", "bin/ok", 0o755)] + members)
                # push refuses these before writing anything (bundle/check.hpp) ...
                refused = run(["push", archive, "-i", self.ref(repo, name), "-p", "linux/amd64", "-m", self.meta_file()])
                self.assertEqual(refused.returncode, 65, str(refused))
                # ... so another tool publishes them, and install must refuse them too.
                self.publish_unchecked(repo, name, "linux/amd64", archive)
                parent = self.dir / ("install-" + name)
                parent.mkdir()
                r = self.install(self.ref(repo, name), parent / "out", "-p", "linux/amd64")
                self.assertEqual(r.returncode, 65, str(r))
                self.assertRegex(r.stderr, r"error: layer 1 \(sha256:[0-9a-f]{12}\): " + re.escape(expected))
                self.assertEqual(list(parent.iterdir()), [], name)
                self.assertFalse(outside.exists())
                self.assertFalse((self.dir / "escaped").exists())

    # -- env and exec -------------------------------------------------------------------------
    def test_env_prints_the_package_environment(self):
        repo = "acme/env"
        self.publish(repo, "1.0.0", "linux/amd64", hello_tree(self.dir / "src", "env"))
        out = self.dir / "out"
        self.assertEqual(self.install(self.ref(repo, "1.0.0"), out, "-p", "linux/amd64").returncode, 0)
        content = str(out / "content")
        r = run(["env", out], env={"PATH": "/usr/bin:/bin"})
        self.assertEqual(r.returncode, 0, str(r))
        self.assertEqual(r.stdout, "export PATH='%s/bin:/usr/bin:/bin'\nexport HELLO_HOME='%s'\n" % (content, content))
        r = run(["env", out, "--format", "json"], env={"PATH": "/usr/bin"})
        self.assertEqual(r.json(), {"install_path": content, "env": [{"key": "PATH", "value": content + "/bin:/usr/bin"},
                                                                      {"key": "HELLO_HOME", "value": content}]})
        r = run(["env", self.dir])
        self.assertEqual(r.returncode, 79, str(r))
        self.assertIn("not an installed package (no metadata.json", r.stderr)

    def test_exec_runs_in_the_package_environment_and_passes_exit_codes(self):
        repo = "acme/exec"
        rep = self.publish(repo, "1.0.0", "linux/amd64", hello_tree(self.dir / "src", "exec-amd64"))
        ref = self.ref(repo, "1.0.0")
        r = run(["exec", ref, "-p", "linux/amd64", "--", "hello"], env=self.env)
        self.assertEqual((r.returncode, r.stdout), (0, "hello from exec-amd64\n"), str(r))
        # Reused from the cache: only the tag is read again.
        since = self.mark()
        r = run(["exec", ref, "-p", "linux/amd64", "--", "hi", "-v", "--", "x"], env={**self.env, "HELLO_EXIT": "3"})
        self.assertEqual((r.returncode, r.stdout), (3, "hello from exec-amd64\n"), str(r))
        manifest = rep["platforms"][0]["manifest"]["digest"]
        self.check_fetched_only(since, repo, [], [rep["platforms"][0]["archive"]["digest"], manifest])
        cached = self.dir / "cache" / "packages" / manifest[7:]
        r = run(["exec", ref, "-p", "linux/amd64", "--", "sh", "-c", 'echo "$PATH|$HELLO_HOME"'], env={**self.env, "PATH": "/usr/bin:/bin"})
        self.assertEqual(r.stdout, "%s/content/bin:/usr/bin:/bin|%s/content\n" % (cached, cached), str(r))
        r = run(["exec", ref, "-p", "linux/amd64", "--", "no-such-command"], env=self.env)
        self.assertEqual(r.returncode, 127, str(r))
        self.assertIn("error: exec: no-such-command: command not found", r.stderr)
        r = run(["exec", ref, "-p", "linux/amd64"], env=self.env)
        self.assertEqual(r.returncode, 64, str(r))

    # -- verify --deep ------------------------------------------------------------------------
    def deep_verify(self, rep: dict, name: str):
        report = self.dir / ("report-%s.json" % name)
        report.write_text(json.dumps(rep))
        return run(["verify", report, "--deep", "--format", "json"])

    def test_verify_deep_passes_a_good_release_and_catches_missing_binaries(self):
        repo = "acme/deep"
        good = self.publish(repo, "1.0.0", "linux/amd64", hello_tree(self.dir / "good", "good"))
        r = self.deep_verify(good, "good")
        self.assertEqual(r.returncode, 0, str(r))
        self.assertEqual(r.json()["problems"], [])
        self.assertTrue(r.json()["ok"])

        missing = self.publish(repo, "1.0.1", "linux/amd64", hello_tree(self.dir / "missing", "missing"),
                               metadata={**METADATA, "binaries": ["hello", "missing-tool"]})
        r = self.deep_verify(missing, "missing")
        self.assertEqual(r.returncode, 65, str(r))
        self.assertEqual(r.json()["problems"],
                         [{"tag": None, "platform": "linux/amd64", "expected": None, "found": None,
                           "message": "platform linux/amd64: binary \"missing-tool\" is declared but not in the package's "
                                      "PATH (bin)"}])

        plain = make_tree(self.dir / "plain", {"bin": {"hello": File("not executable\n", 0o644)}})
        not_exec = self.publish(repo, "1.0.2", "linux/amd64", plain)
        r = self.deep_verify(not_exec, "not-exec")
        self.assertEqual(r.returncode, 65, str(r))
        self.assertEqual([p["message"] for p in r.json()["problems"]],
                         ["platform linux/amd64: binary \"hello\" (bin/hello) is not an executable file"])

        evil = evil_archive(self.dir / "evil.tar.xz", [("file", "bin/hello", 0o755), ("symlink", "bin/up", "../..")])
        unsafe = self.publish_unchecked(repo, "1.0.3", "linux/amd64", evil)
        r = self.deep_verify(unsafe, "unsafe")
        self.assertEqual(r.returncode, 65, str(r))
        (problem,) = [p["message"] for p in r.json()["problems"]]
        self.assertRegex(problem, r'^platform linux/amd64: install failed: layer 1 \(sha256:[0-9a-f]{12}\): '
                                  r'"bin/up": symlink to "\.\./\.\." leaves the package$')


class ConsumerRegistryTest(ConsumerTests, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.registry = Registry().start()

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()

    def ref(self, repo: str, tag: str) -> str:
        return "%s/%s:%s" % (self.registry.host, repo, tag)

    def mark(self) -> int:
        return self.registry.mark()

    def publish_unchecked(self, repo: str, tag: str, platform: str, archive: Path, metadata: dict = METADATA) -> dict:
        staging = self.dir / ("staging-%s-%s" % (repo.replace("/", "_"), tag))
        rep = write_unchecked_layout(staging, tag, platform, archive, metadata)
        skopeo_copy("oci:%s:%s" % (staging, tag), "docker://%s/%s:%s" % (self.registry.host, repo, tag))
        rep["package"] = "%s/%s" % (self.registry.host, repo)
        return rep

    def check_fetched_only(self, since: int, repo: str, fetched: list, not_fetched: list) -> None:
        for digest in fetched:
            self.assertEqual(self.registry.count("GET", "^/v2/%s/blobs/%s$" % (repo, digest), since=since), 1, digest)
        for digest in not_fetched:
            self.assertEqual(self.registry.count(None, "/%s$" % digest, since=since), 0, digest)
        if not fetched:  # a cache hit: the API probe and the tag, nothing else
            paths = [e.path for e in self.registry.requests(since=since)]
            self.assertEqual([p for p in paths if p != "/v2/"], ["/v2/%s/manifests/1.0.0" % repo])


class ConsumerLayoutTest(ConsumerTests, unittest.TestCase):
    def ref(self, repo: str, tag: str) -> str:
        return "oci:%s:%s" % (self.dir / "layouts" / repo.replace("/", "_"), tag)

    def publish_unchecked(self, repo: str, tag: str, platform: str, archive: Path, metadata: dict = METADATA) -> dict:
        layout = self.dir / "layouts" / repo.replace("/", "_")
        rep = write_unchecked_layout(layout, tag, platform, archive, metadata)
        rep["package"] = "oci:%s" % layout
        return rep

    def test_verify_deep_catches_a_config_that_is_not_canonical(self):
        # Another publisher wrote the same metadata with different whitespace: valid, installable,
        # but not the form ocx-release publishes (and so not byte-identical to a re-release).
        rep = self.publish("acme/canon", "1.0.0", "linux/amd64", hello_tree(self.dir / "src", "canon"))
        layout = self.dir / "layouts" / "acme_canon"
        blobs = layout / "blobs" / "sha256"

        def put(data: bytes) -> dict:
            digest = hashlib.sha256(data).hexdigest()
            (blobs / digest).write_bytes(data)
            return {"digest": "sha256:" + digest, "size": len(data)}

        platform = rep["platforms"][0]
        manifest = json.loads((blobs / platform["manifest"]["digest"][7:]).read_bytes())
        config = put(json.dumps(METADATA, indent=1).encode())
        manifest["config"].update(config)
        platform["config"] = config
        platform["manifest"] = put(json.dumps(manifest, separators=(",", ":")).encode())
        r = self.deep_verify(rep, "canon")
        self.assertEqual(r.returncode, 65, str(r))
        self.assertIn("platform linux/amd64: config %s is valid metadata but not in the canonical published form (%s)"
                      % (config["digest"], json.dumps(METADATA, separators=(",", ":"))),
                      [p["message"] for p in r.json()["problems"]])


if __name__ == "__main__":
    unittest.main()
