"""`release`, dry runs, shards + finalize, verify — against a real docker-registry (issue 5)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import unittest
from pathlib import Path

from fault_proxy import FaultProxy, respond
from fixtures import Registry, hermetic_env, release_bin, run, skopeo_copy_all, skopeo_inspect_raw
from release_helpers import make_project, manifest_at, scratch, tag_digests, tags_of

try:
    from schemas import validate_report
except ImportError:  # the schema module lands with the CI front ends
    validate_report = None


def check_schema(testcase: unittest.TestCase, report: dict) -> None:
    if validate_report is not None:
        validate_report(report)


class ReleaseTest(unittest.TestCase):
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

    def release(self, matrix: Path, *args, check=True):
        report = self.dir / ("report-%d.json" % len(list(self.dir.glob("report-*.json"))))
        r = run(["release", matrix, "--report", report, *args])
        if check:
            self.assertEqual(r.returncode, 0, str(r))
        data = json.loads(report.read_text()) if report.exists() else None
        if data is not None:
            check_schema(self, data)
        return r, data, report

    def test_three_platform_release_publishes_everything_and_verifies(self):
        repo = "acme/hello-full"
        matrix = make_project(self.dir, "%s/%s" % (self.registry.host, repo))
        r, rep, report_path = self.release(matrix)
        self.assertEqual(rep["status"], "published")
        self.assertEqual([p["platform"] for p in rep["platforms"]], ["linux/amd64", "linux/arm64", "darwin/arm64"])
        self.assertEqual([p["archive"]["created"] for p in rep["platforms"]], [True, False, True])
        self.assertEqual([(t["tag"], t["kind"], t["action"]) for t in rep["tags"]],
                         [("1.2.3", "primary", "created"), ("1.2", "cascade", "created"), ("1", "cascade", "created"),
                          ("latest", "cascade", "created"), ("stable", "alias", "created")])
        canonical = {p["canonical_tag"] for p in rep["platforms"]}
        self.assertEqual(set(tags_of(self.registry, repo)), {"1.2.3", "1.2", "1", "latest", "stable"} | canonical)
        # Every tag holds the same index, with all three platforms in matrix order and the annotation.
        digests = tag_digests(self.registry, repo)
        index_digest = rep["index"]["digest"]
        for t in ("1.2.3", "1.2", "1", "latest", "stable"):
            self.assertEqual(digests[t], index_digest, t)
        body, ctype = manifest_at(self.registry, repo, "1.2.3")
        self.assertEqual(ctype, "application/vnd.oci.image.index.v1+json")
        index = json.loads(body)
        self.assertEqual([m["digest"] for m in index["manifests"]], [p["manifest"]["digest"] for p in rep["platforms"]])
        self.assertEqual(index["annotations"]["org.opencontainers.image.source"], "https://example.invalid/acme/hello")
        # Bundles and sidecars were written to output_dir.
        self.assertTrue((self.dir / "out/bundles/hello-full-1.2.3-linux-amd64.tar.xz").exists())
        self.assertTrue((self.dir / "out/bundles/hello-full-1.2.3-linux-amd64-metadata.json").exists())
        # skopeo reads the index and each platform's manifest exactly as reported.
        ref = "docker://%s/%s" % (self.registry.host, repo)
        raw = skopeo_inspect_raw(ref + ":1.2.3")
        self.assertEqual("sha256:" + hashlib.sha256(raw).hexdigest(), index_digest)
        for p in rep["platforms"]:
            raw = skopeo_inspect_raw(ref + "@" + p["manifest"]["digest"])
            self.assertEqual("sha256:" + hashlib.sha256(raw).hexdigest(), p["manifest"]["digest"])
        skopeo_copy_all(ref + ":latest", str(self.dir / "copy"))
        v = run(["verify", report_path])
        self.assertEqual(v.returncode, 0, str(v))
        self.assertIn("all match", v.stderr)

    def test_rerun_uploads_nothing_and_changes_no_tag(self):
        repo = "acme/hello-rerun"
        matrix = make_project(self.dir, "%s/%s" % (self.registry.host, repo))
        self.release(matrix)
        before = tag_digests(self.registry, repo)
        mark = self.registry.mark()
        _, rep, _ = self.release(matrix)
        self.assertEqual(rep["status"], "published")
        self.assertTrue(all(t["action"] == "unchanged" for t in rep["tags"]), rep["tags"])
        self.assertEqual(sum(p["blobs"]["bytes_uploaded"] for p in rep["platforms"]), 0)
        self.assertEqual(sum(p["blobs"]["uploaded"] for p in rep["platforms"]), 0)
        self.assertEqual(tag_digests(self.registry, repo), before)
        # The one upload session is the fail-fast check's, cancelled at once; no blob is sent.
        sessions = [(e.method, e.status) for e in self.registry.requests(since=mark)
                    if e.method in ("POST", "DELETE") and "/blobs/uploads/" in e.path]
        self.assertEqual(sessions, [("POST", 202), ("DELETE", 204)])
        self.assertEqual(self.registry.count("PUT", r"/blobs/uploads/", since=mark), 0)
        self.assertEqual(self.registry.count("PATCH", None, since=mark), 0)

    def test_dry_run_plans_exactly_what_the_release_publishes(self):
        repo = "acme/hello-plan"
        matrix = make_project(self.dir, "%s/%s" % (self.registry.host, repo))
        mark = self.registry.mark()
        _, plan, _ = self.release(matrix, "--dry-run")
        self.assertEqual(plan["status"], "planned")
        self.assertTrue(plan["dry_run"])
        for method in ("PUT", "POST", "PATCH", "DELETE"):
            self.assertEqual(self.registry.count(method, None, since=mark), 0, method)
        self.assertEqual(tags_of(self.registry, repo), [])
        _, rep, _ = self.release(matrix)
        self.assertEqual(plan["index"]["digest"], rep["index"]["digest"])
        strip = lambda p: {k: p[k] for k in ("platform", "config", "manifest", "canonical_tag")}
        self.assertEqual([strip(p) for p in plan["platforms"]], [strip(p) for p in rep["platforms"]])
        self.assertEqual([p["archive"]["digest"] for p in plan["platforms"]], [p["archive"]["digest"] for p in rep["platforms"]])
        moves = lambda r: [(t["tag"], t["before"], t["after"], t["action"]) for t in r["tags"]]
        self.assertEqual(moves(plan), moves(rep))
        # A plan against the published state says nothing would move.
        _, again, _ = self.release(matrix, "--dry-run")
        self.assertTrue(all(t["action"] == "unchanged" for t in again["tags"]))

    def test_offline_dry_run_reads_nothing(self):
        matrix = make_project(self.dir, "127.0.0.1:9/acme/unreachable")
        _, plan, _ = self.release(matrix, "--dry-run", "--offline")
        self.assertEqual(plan["status"], "planned")
        self.assertTrue(plan["offline"])
        self.assertEqual(len(plan["platforms"]), 3)

    def test_shards_in_parallel_then_finalize_equal_a_one_job_release(self):
        one = make_project(self.dir / "one", "%s/acme/hello-onejob" % self.registry.host)
        _, single, _ = self.release(one)
        sharded = make_project(self.dir / "sharded", "%s/acme/hello-sharded" % self.registry.host)
        procs, parts = [], []
        for i, platform in enumerate(["linux/amd64", "linux/arm64", "darwin/arm64"]):
            part = self.dir / ("part-%d.json" % i)
            parts.append(part)
            procs.append(subprocess.Popen([release_bin(), "release", sharded, "--shard", platform, "--report", part],
                                          env=hermetic_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for p in procs:
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
        for part in parts:
            data = json.loads(part.read_text())
            check_schema(self, data)
            self.assertEqual(data["tags"], [])
        # Shards move no tag: only canonical tags exist before finalize.
        self.assertTrue(all(t.startswith("sha256.") for t in tags_of(self.registry, "acme/hello-sharded")))
        report = self.dir / "final.json"
        f = run(["finalize", sharded, *parts, "--report", report])
        self.assertEqual(f.returncode, 0, str(f))
        final = json.loads(report.read_text())
        check_schema(self, final)
        self.assertEqual(final["index"]["digest"], single["index"]["digest"])
        self.assertEqual([(t["tag"], t["after"]) for t in final["tags"]], [(t["tag"], t["after"]) for t in single["tags"]])
        self.assertEqual(tag_digests(self.registry, "acme/hello-sharded"), tag_digests(self.registry, "acme/hello-onejob"))
        v = run(["verify", report])
        self.assertEqual(v.returncode, 0, str(v))

    def test_finalize_needs_only_metadata_and_accepts_parts_without_canonical_tags(self):
        matrix = make_project(self.dir, "%s/acme/hello-nocanon" % self.registry.host, canonical_tags=False)
        parts = []
        for i, platform in enumerate(["linux/amd64", "linux/arm64", "darwin/arm64"]):
            parts.append(self.dir / ("part-%d.json" % i))
            run(["release", matrix, "--shard", platform, "--report", parts[-1]], check=True)
            self.assertIsNone(json.loads(parts[-1].read_text())["platforms"][0]["canonical_tag"])
        # A finalize job has the matrix and the metadata, not the build outputs.
        shutil.rmtree(self.dir / "build")
        shutil.rmtree(self.dir / "dist")
        report = self.dir / "final.json"
        f = run(["finalize", matrix, *parts, "--report", report])
        self.assertEqual(f.returncode, 0, str(f))
        self.assertEqual(json.loads(report.read_text())["status"], "published")
        self.assertFalse(any(t.startswith("sha256.") for t in tags_of(self.registry, "acme/hello-nocanon")))

    def test_finalize_refuses_a_missing_part(self):
        matrix = make_project(self.dir, "%s/acme/hello-missing-part" % self.registry.host)
        part = self.dir / "part.json"
        run(["release", matrix, "--shard", "linux/amd64", "--report", part], check=True)
        f = run(["finalize", matrix, part])
        self.assertEqual(f.returncode, 65, str(f))
        self.assertIn("no part report for platform linux/arm64", f.stderr)
        self.assertEqual([t for t in tags_of(self.registry, "acme/hello-missing-part") if not t.startswith("sha256.")], [])

    def test_ten_mistakes_reported_at_once_and_nothing_written(self):
        base = self.dir
        make_project(base, "%s/acme/hello-bad" % self.registry.host)
        (base / "bad-metadata.json").write_text(json.dumps({"type": "bundle", "version": 2, "binaries": ["a/b"]}))
        (base / "escape").mkdir()
        (base / "escape" / "link").symlink_to("/etc/passwd")
        bad = {
            "schema": 1,
            "package": "%s/acme/hello-bad" % self.registry.host,
            "tag": "1.2.3",
            "cascade": True,
            "aliases": ["ok", "not ok"],
            "compresion": {"level": "best"},
            "build_timestamp": "hourly",
            "metadata": "metadata.json",
            "platforms": [
                {"platform": "linux/x86", "content": "build/linux-amd64"},
                {"platform": "linux/arm64", "archive": "dist/missing.tar.xz"},
                {"platform": "darwin/arm64", "content": "escape"},
                {"platform": "windows/amd64", "content": "build/linux-amd64", "metadata": "bad-metadata.json"},
                {"platform": "darwin/arm64", "archive": "dist/x.zip"},
            ],
        }
        path = base / "bad.json"
        path.write_text(json.dumps(bad, indent=2))
        mark = self.registry.mark()
        r, rep, _ = self.release(path, check=False)
        self.assertEqual(r.returncode, 65, str(r))
        problems = [l for l in r.stderr.splitlines() if str(path) in l]
        expected = [
            '/compresion: unknown key "compresion"; did you mean "compression"?',
            '/build_timestamp: expected none, date or datetime, got "hourly"',
            '/aliases/1: invalid tag "not ok"',
            '/platforms/0/platform: unknown platform "linux/x86" (did you mean "linux/amd64"?)',
            '/platforms/4/platform: duplicate platform "darwin/arm64" (also at /platforms/2)',
            '/platforms/4/archive: "dist/x.zip" is not a supported archive',
            '/platforms/1/archive: no such file:',
            '/platforms/2/content:',
            '/platforms/3/metadata:',
            '/version',
        ]
        for e in expected:
            self.assertTrue(any(e in l for l in problems), "missing %r in:\n%s" % (e, r.stderr))
        self.assertGreaterEqual(len(problems), 10, r.stderr)
        self.assertEqual(len(problems), len(set(problems)), "a problem was printed twice:\n" + r.stderr)
        self.assertEqual(rep["status"], "failed")
        self.assertEqual(rep["errors"][0]["step"], "validate")
        for method in ("PUT", "POST", "PATCH", "DELETE"):
            self.assertEqual(self.registry.count(method, None, since=mark), 0, method)
        self.assertEqual(tags_of(self.registry, "acme/hello-bad"), [])

    def test_registry_refusing_writes_midway_moves_no_alias(self):
        repo = "acme/hello-refused"
        with FaultProxy(self.registry.host) as proxy:
            matrix = make_project(self.dir, "%s/%s" % (proxy.host, repo))
            # First release 1.2.3 fully; then 1.2.4 where the registry refuses the write of "1.2".
            self.release(matrix)
            before = tag_digests(self.registry, repo)
            matrix2 = make_project(self.dir / "next", "%s/%s" % (proxy.host, repo), tag="1.2.4", version="1.2.4")
            proxy.inject(respond(403, {"Content-Type": "application/json"},
                                 '{"errors":[{"code":"DENIED","message":"writes are frozen"}]}'),
                         method="PUT", path=r"/manifests/1\.2$", times=100)
            r, rep, _ = self.release(matrix2, check=False)
        self.assertNotEqual(r.returncode, 0, str(r))
        self.assertIn(rep["status"], ("failed", "partial"))
        actions = {t["tag"]: t["action"] for t in rep["tags"]}
        self.assertEqual(actions["1.2.4"], "created")
        self.assertEqual(actions["1.2"], "failed")
        self.assertEqual(actions["1"], "skipped")
        self.assertEqual(actions["latest"], "skipped")
        self.assertEqual(actions["stable"], "skipped")
        after = tag_digests(self.registry, repo)
        for t in ("1.2", "1", "latest", "stable"):
            self.assertEqual(after[t], before[t], "%s moved" % t)
        self.assertIn("DENIED", json.dumps(rep["errors"]))


if __name__ == "__main__":
    unittest.main()
