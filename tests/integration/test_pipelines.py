"""Pipelines as they are really built (issue 14), against a real docker-registry: shards on runners
that hold only their own build and a finalize runner that holds none, pre-release and non-version
tags under cascade, protected published versions, and --package."""

from __future__ import annotations

import hashlib
import json
import shutil
import unittest
from pathlib import Path

from fixtures import Registry, run, skopeo_inspect_raw, without_access_checks
from release_helpers import make_project, manifest_at, scratch, tag_digests, tags_of

try:
    from schemas import validate_report
except ImportError:
    validate_report = None

PLATFORMS = ["linux/amd64", "linux/arm64", "darwin/arm64"]
# What each platform's runner holds of make_project's tree besides the matrix and the metadata.
OWN_BUILD = {"linux/amd64": ["build/linux-amd64"], "linux/arm64": ["dist"], "darwin/arm64": ["build/darwin-arm64"]}
WRITES = ("PUT", "POST", "PATCH", "DELETE")


def copy_runner(project: Path, runner: Path, keep: list[str]) -> Path:
    """A runner's checkout: the matrix (and the metadata unless told otherwise) plus `keep`."""
    runner.mkdir(parents=True)
    for name in ["release.json", *keep]:
        src = project / name
        if src.is_dir():
            shutil.copytree(src, runner / name, symlinks=True)
        else:
            (runner / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, runner / name)
    return runner / "release.json"


def platform_digests(registry, repo: str, tag: str) -> dict:
    body, _ = manifest_at(registry, repo, tag)
    return {"%s/%s" % (m["platform"]["os"], m["platform"]["architecture"]): m["digest"]
            for m in json.loads(body)["manifests"]}


class PipelineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.registry = Registry().start()

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()

    def setUp(self):
        self.dir = scratch()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def release(self, matrix: Path, *args, code=0, command="release"):
        report = self.dir / ("report-%d.json" % len(list(self.dir.glob("report-*.json"))))
        r = run([command, matrix, "--report", report, *args])
        self.assertEqual(r.returncode, code, str(r))
        data = json.loads(report.read_text()) if report.exists() else None
        if data is not None and validate_report is not None:
            validate_report(data)
        return r, data, report

    def writes_since(self, mark: int) -> list:
        # The fail-fast check's upload session (opened and cancelled at once) stores nothing.
        return [(e.method, e.path) for e in without_access_checks(self.registry.requests(since=mark))
                if e.method in WRITES]

    def package(self, repo: str) -> str:
        return "%s/%s" % (self.registry.host, repo)

    def release_tags(self, repo: str) -> list[str]:
        return [t for t in tags_of(self.registry, repo) if not t.startswith("sha256.")]

    # -- 1. shards hold only their own build --------------------------------------------------------
    def test_shards_on_runners_with_only_their_own_build_then_finalize_with_no_build(self):
        repo = "pipe/shards"
        project = make_project(self.dir / "project", self.package(repo)).parent
        parts = []
        for i, platform in enumerate(PLATFORMS):
            matrix = copy_runner(project, self.dir / ("runner-%d" % i), ["metadata.json", *OWN_BUILD[platform]])
            # The other platforms' folders are absent on this runner.
            for other in PLATFORMS:
                for folder in OWN_BUILD[other]:
                    self.assertEqual((matrix.parent / folder).exists(), other == platform)
            mark = self.registry.mark()
            r, plan, _ = self.release(matrix, "--shard", platform, "--dry-run")
            self.assertEqual(plan["status"], "planned")
            self.assertIn("shard %s: content would be published, no release tag written" % platform, r.stderr)
            self.assertEqual(self.writes_since(mark), [])
            r, part, part_path = self.release(matrix, "--shard", platform)
            self.assertEqual(part["status"], "published")
            self.assertEqual([p["platform"] for p in part["platforms"]], [platform])
            self.assertEqual(part["tags"], [])
            self.assertIn("shard %s: content published, no release tag written "
                          "(finalize writes the tags from the part reports)" % platform, r.stderr)
            parts.append(part_path)
        self.assertEqual(self.release_tags(repo), [])
        # The finalize runner holds the matrix and the parts only: no build, no metadata, no sidecar.
        final_dir = self.dir / "finalize"
        final_matrix = copy_runner(project, final_dir, [])
        self.assertEqual(sorted(p.name for p in final_dir.iterdir()), ["release.json"])
        _, final, final_path = self.release(final_matrix, *parts, command="finalize")
        self.assertEqual(final["status"], "published")
        self.assertEqual([(t["tag"], t["action"]) for t in final["tags"]],
                         [("1.2.3", "created"), ("1.2", "created"), ("1", "created"), ("latest", "created"),
                          ("stable", "created")])
        self.assertEqual(sorted(self.release_tags(repo)), ["1", "1.2", "1.2.3", "latest", "stable"])
        self.assertEqual(sorted(platform_digests(self.registry, repo, "1.2.3").values()),
                         sorted(p["manifest"]["digest"] for p in final["platforms"]))
        raw = skopeo_inspect_raw("docker://%s/%s:1.2.3" % (self.registry.host, repo))
        self.assertEqual("sha256:" + hashlib.sha256(raw).hexdigest(), final["index"]["digest"])
        v = run(["verify", final_path])
        self.assertEqual(v.returncode, 0, str(v))

    def test_a_shard_still_needs_its_own_build_and_a_report(self):
        project = make_project(self.dir / "project", self.package("pipe/shard-own")).parent
        matrix = copy_runner(project, self.dir / "runner", ["metadata.json", "build/linux-amd64"])
        r, rep, _ = self.release(matrix, "--shard", "darwin/arm64", code=65)
        self.assertIn("/platforms/2/content:", r.stderr)
        self.assertNotIn("/platforms/0", r.stderr)
        self.assertNotIn("/platforms/1", r.stderr)
        # The rest of the matrix is still checked in shard mode.
        data = json.loads(matrix.read_text())
        data["aliases"] = ["not ok"]
        matrix.write_text(json.dumps(data))
        r, _, _ = self.release(matrix, "--shard", "linux/amd64", code=65)
        self.assertIn('/aliases/0: invalid tag "not ok"', r.stderr)
        r = run(["release", matrix, "--shard", "linux/amd64"])
        self.assertEqual(r.returncode, 64, str(r))
        self.assertIn("--shard needs --report FILE (the part report finalize reads)", r.stderr)

    # -- 3. tags -------------------------------------------------------------------------------------
    def test_prerelease_and_non_version_tags_publish_without_moving_rolling_tags(self):
        repo = "pipe/prerelease"
        stable = make_project(self.dir / "stable", self.package(repo), aliases=[])
        self.release(stable)
        before = tag_digests(self.registry, repo)
        self.assertEqual(sorted(self.release_tags(repo)), ["1", "1.2", "1.2.3", "latest"])
        for tag, reason in (
                ("1.4.0-rc.1", '"1.4.0-rc.1" is a pre-release, and not an OCX version at all (a dotted pre-release is '
                               'not in [VARIANT-]MAJOR[.MINOR[.PATCH[-PRE][_BUILD]]]): OCX never cascades a pre-release; '
                               'only "1.4.0-rc.1" is written'),
                ("1.4.0-rc2", '"1.4.0-rc2" is a pre-release: OCX never cascades a pre-release')):
            matrix = make_project(self.dir / tag, self.package(repo), aliases=[])
            _, rep, _ = self.release(matrix, "--tag", tag)
            self.assertEqual(rep["status"], "published")
            self.assertEqual([(t["tag"], t["kind"], t["action"]) for t in rep["tags"]],
                             [(tag, "primary", "created"), ("1.4", "cascade", "skipped"), ("1", "cascade", "skipped"),
                              ("latest", "cascade", "skipped")])
            for t in rep["tags"][1:]:
                self.assertEqual(t["reason"], reason)
                self.assertEqual(t["before"], before.get(t["tag"]))
                self.assertEqual(t["after"], before.get(t["tag"]))
        after = tag_digests(self.registry, repo)
        for t in ("1", "1.2", "1.2.3", "latest"):
            self.assertEqual(after[t], before[t], t)
        self.assertNotIn("1.4", after)
        nightly = make_project(self.dir / "nightly", self.package(repo), tag="nightly", aliases=[])
        _, rep, _ = self.release(nightly)
        self.assertEqual([(t["tag"], t["action"]) for t in rep["tags"]], [("nightly", "created"), ("latest", "skipped")])
        self.assertIn('"nightly" is not an OCX version', rep["tags"][1]["reason"])
        self.assertEqual(tag_digests(self.registry, repo)["latest"], before["latest"])

    def test_v_prefixed_tag_is_refused_with_the_fix(self):
        repo = "pipe/vtag"
        matrix = make_project(self.dir, self.package(repo))
        hint = 'tag "v1.4.0" is not an OCX version (OCX versions have no "v"): use --tag 1.4.0, or ' \
               '${GITHUB_REF_NAME#v} in a GitHub workflow'
        mark = self.registry.mark()
        r, _, _ = self.release(matrix, "--tag", "v1.4.0", code=65)
        self.assertIn("--tag: " + hint, r.stderr)
        self.assertEqual(self.writes_since(mark), [])
        archive = self.dir / "dist" / "vtag-1.2.3-linux-arm64.tar.xz"
        p = run(["push", archive, "-i", "%s:v1.4.0" % self.package(repo), "-p", "linux/arm64", "-c", "-n"])
        self.assertEqual(p.returncode, 65, str(p))
        self.assertIn(hint, p.stderr)
        self.assertEqual(tags_of(self.registry, repo), [])
        # push -c of a pre-release publishes it and moves nothing else.
        p = run(["push", archive, "-i", "%s:1.4.0-rc.1" % self.package(repo), "-p", "linux/arm64", "-c", "-n",
                 "--format", "json"])
        self.assertEqual(p.returncode, 0, str(p))
        self.assertEqual([(t["tag"], t["action"]) for t in p.json()["tags"]],
                         [("1.4.0-rc.1", "created"), ("1.4", "skipped"), ("1", "skipped"), ("latest", "skipped")])
        self.assertEqual(self.release_tags(repo), ["1.4.0-rc.1"])

    # -- 4. published versions are protected ---------------------------------------------------------
    def change_amd64(self, project: Path) -> None:
        (project / "build" / "linux-amd64" / "share" / "doc" / "README").write_text("rebuilt with other bytes\n")

    def test_replacing_a_published_platform_is_refused_unless_asked(self):
        repo = "pipe/protected"
        matrix = make_project(self.dir, self.package(repo))
        _, first, _ = self.release(matrix)
        before = tag_digests(self.registry, repo)
        published = platform_digests(self.registry, repo, "1.2.3")["linux/amd64"]
        self.change_amd64(self.dir)
        # What the new content's manifest is: a dry run that may replace says so.
        _, plan, _ = self.release(matrix, "--dry-run", "--replace")
        new = [p["manifest"]["digest"] for p in plan["platforms"] if p["platform"] == "linux/amd64"][0]
        self.assertNotEqual(new, published)
        message = ("linux/amd64 is already published in %s:1.2.3 as %s; this release has %s"
                   % (self.package(repo), published, new))
        way_out = ('that platform of a published version would change: release a new version, or pass --replace '
                   '(matrix "replace": true) to replace it')
        _, dry, _ = self.release(matrix, "--dry-run", code=65)
        self.assertEqual(dry["errors"][0]["message"], message + "\n" + way_out)
        mark = self.registry.mark()
        r, rep, _ = self.release(matrix, code=65)
        self.assertIn(message, r.stderr)
        self.assertIn(way_out, r.stderr)
        self.assertEqual(rep["status"], "failed")
        self.assertEqual(rep["errors"][0]["step"], "replace linux/amd64")
        self.assertEqual([(t["tag"], t["before"], t["after"], t["action"], t["reason"]) for t in rep["tags"]],
                         [("1.2.3", before["1.2.3"], before["1.2.3"], "skipped",
                           "not written: it would replace a published platform's content")])
        self.assertEqual(self.writes_since(mark), [])
        self.assertEqual(tag_digests(self.registry, repo), before)
        # --replace does it.
        _, rep, _ = self.release(matrix, "--replace")
        self.assertEqual(rep["status"], "published")
        self.assertEqual(platform_digests(self.registry, repo, "1.2.3")["linux/amd64"], new)
        self.assertEqual(rep["tags"][0]["action"], "moved")
        # The matrix's "replace": true does it too; an identical rerun needs neither.
        (self.dir / "build" / "linux-amd64" / "share" / "doc" / "README").write_text("third build\n")
        self.release(matrix, code=65)
        data = json.loads(matrix.read_text())
        data["replace"] = True
        matrix.write_text(json.dumps(data))
        self.release(matrix)
        data["replace"] = False
        matrix.write_text(json.dumps(data))
        _, rerun, _ = self.release(matrix)
        self.assertTrue(all(t["action"] == "unchanged" for t in rerun["tags"]), rerun["tags"])
        self.assertNotEqual(first["index"]["digest"], rerun["index"]["digest"])

    def test_a_moving_tag_is_not_protected(self):
        # "nightly" names no single release: every run moves it, as a rolling tag moves.
        repo = "pipe/nightly"
        matrix = make_project(self.dir, self.package(repo))
        self.release(matrix, "--tag", "nightly")
        before = platform_digests(self.registry, repo, "nightly")["linux/amd64"]
        self.change_amd64(self.dir)
        _, rep, _ = self.release(matrix, "--tag", "nightly")
        self.assertEqual(rep["status"], "published")
        self.assertEqual(rep["tags"][0]["action"], "moved")
        self.assertNotEqual(platform_digests(self.registry, repo, "nightly")["linux/amd64"], before)
        # A SemVer pre-release names one release: it is protected like 1.2.3.
        self.release(matrix, "--tag", "1.4.0-rc.1")
        (self.dir / "build" / "linux-amd64" / "share" / "doc" / "README").write_text("third build\n")
        r, _, _ = self.release(matrix, "--tag", "1.4.0-rc.1", code=65)
        self.assertIn("linux/amd64 is already published in %s:1.4.0-rc.1" % self.package(repo), r.stderr)

    def test_a_new_platform_may_join_a_published_version(self):
        repo = "pipe/grow"
        matrix = make_project(self.dir, self.package(repo))
        data = json.loads(matrix.read_text())
        full = list(data["platforms"])
        data["platforms"] = full[:2]
        matrix.write_text(json.dumps(data))
        self.release(matrix)
        data["platforms"] = full
        matrix.write_text(json.dumps(data))
        _, rep, _ = self.release(matrix)
        self.assertEqual(rep["tags"][0]["action"], "moved")
        self.assertEqual(sorted(platform_digests(self.registry, repo, "1.2.3")), sorted(PLATFORMS))

    def test_finalize_refuses_to_replace_a_published_platform(self):
        repo = "pipe/protected-finalize"
        matrix = make_project(self.dir, self.package(repo))
        self.release(matrix)
        before = tag_digests(self.registry, repo)
        self.change_amd64(self.dir)
        # The shard itself refuses first, before uploading anything ...
        mark = self.registry.mark()
        r, _, _ = self.release(matrix, "--shard", "linux/amd64", code=65)
        self.assertIn("linux/amd64 is already published in %s:1.2.3" % self.package(repo), r.stderr)
        self.assertEqual(self.writes_since(mark), [])
        # ... and where the tag is merged: a shard allowed to replace does not let finalize do it.
        parts = []
        for platform in PLATFORMS:
            _, _, part = self.release(matrix, "--shard", platform, "--replace")
            parts.append(part)
        r, rep, _ = self.release(matrix, *parts, code=65, command="finalize")
        self.assertIn("linux/amd64 is already published in %s:1.2.3" % self.package(repo), r.stderr)
        self.assertEqual(rep["tags"][0]["action"], "failed")
        self.assertEqual(self.release_tags(repo), sorted(t for t in before if not t.startswith("sha256.")))
        self.assertEqual({t: d for t, d in tag_digests(self.registry, repo).items() if not t.startswith("sha256.")},
                         {t: d for t, d in before.items() if not t.startswith("sha256.")})
        _, rep, _ = self.release(matrix, *parts, "--replace", command="finalize")
        self.assertEqual(rep["status"], "published")

    # -- 2. --package ---------------------------------------------------------------------------------
    def test_package_overrides_the_matrix_in_release_shards_and_finalize(self):
        # The same package name elsewhere (the prebuilt archive's receipt names package "tool").
        matrix = make_project(self.dir, "127.0.0.1:9/acme/tool")
        one, sharded = self.package("pipe-one/tool"), self.package("pipe-shards/tool")
        _, rep, _ = self.release(matrix, "--package", one)
        self.assertEqual(rep["package"], one)
        self.assertIn("1.2.3", tags_of(self.registry, "pipe-one/tool"))
        parts = []
        for platform in PLATFORMS:
            _, _, part = self.release(matrix, "--shard", platform, "--package", sharded)
            parts.append(part)
        r, _, _ = self.release(matrix, *parts, code=65, command="finalize")
        self.assertIn("the parts were published to %s, not 127.0.0.1:9/acme/tool (%s); give finalize the --package "
                      "the shards used" % (sharded, matrix), r.stderr)
        _, rep, _ = self.release(matrix, *parts, "--package", sharded, command="finalize")
        self.assertEqual(rep["status"], "published")
        self.assertIn("latest", tags_of(self.registry, "pipe-shards/tool"))
        r, _, _ = self.release(matrix, "--package", "%s/Acme/Upper" % self.registry.host, "--dry-run", code=65)
        self.assertIn("release.json: --package: ", r.stderr)
        r, _, _ = self.release(matrix, "--package", self.package("pipe/tool:1.0"), "--dry-run", code=65)
        self.assertIn('--package: give the repository only ("%s"); the tag goes in --tag' % self.package("pipe/tool"),
                      r.stderr)

    # -- 6. the package gate -------------------------------------------------------------------------
    def gate(self, matrix: Path, *expected: str, args=()):
        """The release and its dry run both refuse with every `expected` problem, writing nothing."""
        mark = self.registry.mark()
        for extra in (["--dry-run"], []):
            r, rep, _ = self.release(matrix, *extra, *args, code=65)
            for e in expected:
                self.assertIn("%s:%s" % (matrix, e), r.stderr)
            self.assertEqual(rep["errors"][0]["step"], "validate")
        self.assertEqual(self.writes_since(mark), [])

    def test_gate_declared_binaries_must_be_there_and_executable(self):
        matrix = make_project(self.dir, self.package("pipe/gate-binaries"))
        meta = json.loads((self.dir / "metadata.json").read_text())
        (self.dir / "metadata.json").write_text(json.dumps({**meta, "binaries": ["hello", "missing-tool"]}))
        missing = ': binary "missing-tool" is declared but not in the package\'s PATH (bin)'
        # The prebuilt archive is listed too (its own sidecar still declares only hello).
        data = json.loads(matrix.read_text())
        data["platforms"][1]["metadata"] = "metadata.json"
        matrix.write_text(json.dumps(data))
        self.gate(matrix, "/platforms/0/content" + missing, "/platforms/1/archive" + missing,
                  "/platforms/2/content" + missing)
        (self.dir / "metadata.json").write_text(json.dumps(meta))
        (self.dir / "build" / "darwin-arm64" / "bin" / "hello").chmod(0o644)
        self.gate(matrix, '/platforms/2/content: binary "hello" (bin/hello) is not an executable file')
        self.assertEqual(tags_of(self.registry, "pipe/gate-binaries"), [])

    def test_gate_windows_exe_needs_no_exec_bit(self):
        matrix = make_project(self.dir, self.package("pipe/gate-windows"))
        data = json.loads(matrix.read_text())
        win = self.dir / "build" / "windows-amd64" / "bin"
        win.mkdir(parents=True)
        (win / "hello.exe").write_bytes(b"MZ not really a program\n")
        (win / "hello.exe").chmod(0o644)  # what an artifact download leaves
        data["platforms"].append({"platform": "windows/amd64", "content": "build/windows-amd64"})
        matrix.write_text(json.dumps(data))
        _, rep, report = self.release(matrix)
        self.assertEqual(rep["status"], "published")
        self.assertIn("windows/amd64", [p["platform"] for p in rep["platforms"]])
        v = run(["verify", report, "--deep"])
        self.assertEqual(v.returncode, 0, str(v))
        # Without hello.exe (or hello) it is refused, naming both.
        (win / "hello.exe").rename(win / "other.exe")
        self.gate(matrix, '/platforms/3/content: binary "hello" is declared but neither hello.exe nor hello is in the '
                          "package's PATH (bin)")

    def test_gate_refuses_an_empty_content_tree(self):
        matrix = make_project(self.dir, self.package("pipe/gate-empty"))
        shutil.rmtree(self.dir / "build" / "linux-amd64")
        (self.dir / "build" / "linux-amd64" / "only" / "dirs").mkdir(parents=True)
        self.gate(matrix, "/platforms/0/content: the content tree holds no file: an empty package would be published")
        # Even when the metadata declares no binaries.
        meta = json.loads((self.dir / "metadata.json").read_text())
        del meta["binaries"]
        (self.dir / "metadata.json").write_text(json.dumps(meta))
        self.gate(matrix, "/platforms/0/content: the content tree holds no file")

    def test_gate_refuses_an_archive_made_for_another_platform_or_package(self):
        matrix = make_project(self.dir, self.package("pipe/gate-receipt"))
        data = json.loads(matrix.read_text())
        tree = self.dir / "build" / "linux-amd64"
        other_platform = self.dir / "other-platform"
        run(["create", tree, "-i", "gate-receipt:1.2.3", "-p", "linux/amd64", "-m", self.dir / "metadata.json",
             "-o", other_platform], check=True)
        (archive,) = other_platform.glob("*.tar.xz")
        data["platforms"][1]["archive"] = str(archive)
        matrix.write_text(json.dumps(data))
        self.gate(matrix, '/platforms/1/archive: the archive was made for "linux/amd64", not linux/arm64 (its receipt '
                          'gate-receipt-1.2.3-linux-amd64-receipt.json says so); give this platform its own archive')
        other_package = self.dir / "other-package"
        run(["create", tree, "-i", "%s:1.2.3" % self.package("acme/other"), "-p", "linux/arm64",
             "-m", self.dir / "metadata.json", "-o", other_package], check=True)
        (archive,) = other_package.glob("*.tar.xz")
        data["platforms"][1]["archive"] = str(archive)
        matrix.write_text(json.dumps(data))
        self.gate(matrix, '/platforms/1/archive: the archive was made for package "other" '
                          '(other-1.2.3-linux-arm64-receipt.json: "%s:1.2.3"), not "gate-receipt"' % self.package("acme/other"))
        self.assertEqual(tags_of(self.registry, "pipe/gate-receipt"), [])

    # -- 8. verify ages well ---------------------------------------------------------------------------
    def test_verify_of_an_older_report_after_a_newer_release(self):
        repo = "pipe/aging"
        older = make_project(self.dir / "1.2.3", self.package(repo))
        _, old, old_path = self.release(older)
        newer = make_project(self.dir / "1.3.0", self.package(repo), tag="1.3.0", version="1.3.0")
        _, new, _ = self.release(newer)
        moved = [t["tag"] for t in new["tags"] if t["action"] == "moved"]
        self.assertEqual(sorted(moved), ["1", "latest", "stable"])
        v = run(["verify", old_path, "--format", "json"])
        self.assertEqual(v.returncode, 0, str(v))
        out = v.json()
        self.assertTrue(out["ok"])
        self.assertEqual(out["problems"], [])
        digests = tag_digests(self.registry, repo)
        self.assertEqual(sorted((s["tag"], s["found"], tuple(s["by"])) for s in out["superseded"]),
                         sorted((t, digests[t], ("1.3.0",)) for t in moved))
        for s in out["superseded"]:
            self.assertEqual(s["expected"], [t["after"] for t in old["tags"] if t["tag"] == s["tag"]][0])
        self.assertIn("tag latest: superseded by 1.3.0", v.stderr)
        v = run(["verify", old_path, "--tags", "primary"])
        self.assertEqual(v.returncode, 0, str(v))
        self.assertNotIn("superseded", v.stderr)
        v = run(["verify", old_path, "--tags", "some"])
        self.assertEqual(v.returncode, 64, str(v))
        self.assertIn('--tags: expected primary or all, got "some"', v.stderr)

    def test_verify_deep_takes_the_unpack_limits(self):
        repo = "pipe/deep-limits"
        matrix = make_project(self.dir, self.package(repo))
        _, _, report = self.release(matrix)
        self.assertEqual(run(["verify", report, "--deep"]).returncode, 0)
        r = run(["verify", report, "--deep", "--max-unpacked-size", "16"])
        self.assertNotEqual(r.returncode, 0, str(r))
        self.assertIn('"bin/hello": unpacks to more than 16 bytes, the limit set (raise it with --max-unpacked-size or '
                      'OCX_RELEASE_MAX_UNPACKED)', r.stderr)
        r = run(["verify", report, "--deep"], env={"OCX_RELEASE_MAX_UNPACKED": "16"})
        self.assertNotEqual(r.returncode, 0, str(r))
        r = run(["verify", report, "--max-unpacked-size", "lots"])
        self.assertEqual(r.returncode, 64, str(r))

    def test_a_bundle_over_the_unpack_limits_is_not_published(self):
        # What release bundles must be what install takes: refused here, not by every consumer.
        repo = "pipe/bundle-limits"
        matrix = make_project(self.dir, self.package(repo))
        mark = self.registry.mark()
        r, rep, _ = self.release(matrix, "--max-unpacked-size", "16", code=65)
        self.assertIn("unpacks to more than 16 bytes, the limit set (raise it with --max-unpacked-size or "
                      "OCX_RELEASE_MAX_UNPACKED)", r.stderr)
        self.assertEqual(rep["status"], "failed")
        self.assertEqual(self.writes_since(mark), [])
        self.assertNotIn("1.2.3", tags_of(self.registry, repo))

    def test_verify_problems_as_json_objects(self):
        repo = "pipe/verify-json"
        matrix = make_project(self.dir, self.package(repo))
        _, first, first_path = self.release(matrix)
        self.change_amd64(self.dir)
        self.release(matrix, "--replace")
        now = tag_digests(self.registry, repo)
        v = run(["verify", first_path, "--tags", "primary", "--format", "json"])
        self.assertEqual(v.returncode, 65, str(v))
        self.assertEqual(v.json()["problems"], [{
            "tag": "1.2.3", "platform": None, "expected": first["index"]["digest"], "found": now["1.2.3"],
            "message": "tag 1.2.3: 1.2.3 is %s, report says %s" % (now["1.2.3"], first["index"]["digest"])}])
        # A rolling tag that the same version moved (a replacement, not a newer release) is a problem too.
        v = run(["verify", first_path, "--format", "json"])
        self.assertEqual(v.returncode, 65, str(v))
        problems = {p["tag"]: p for p in v.json()["problems"]}
        self.assertEqual(sorted(problems), ["1", "1.2", "1.2.3", "latest", "stable"])
        self.assertEqual((problems["1.2"]["expected"], problems["1.2"]["found"]),
                         ([t["after"] for t in first["tags"] if t["tag"] == "1.2"][0], now["1.2"]))
        self.assertIn("(and no newer version moved it there)", problems["1.2"]["message"])


if __name__ == "__main__":
    unittest.main()
