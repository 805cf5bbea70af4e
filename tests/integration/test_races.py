"""Races: concurrent writers of one package (issue "Reliability and security").

test_push.py (TestConcurrentPush) races four `push -c` of different platforms to one tag on a
registry; this file covers what it does not:

* the same race on an OCI image layout (oci:DIR), where the writers share index.json;
* concurrent `release --shard` legs of one release while `push -c` of other versions hits the
  same repository, then `finalize`;
* concurrent whole releases of different versions (1.0.0, 1.1.0, 2.0.0) of one package.

In every case: no process hangs, every process exits 0 or fails cleanly with its report saying
so, every tag reaches only content that is there, every primary tag holds all of its platforms,
and running the same commands again (one after the other) converges to the state a sequential
run produces.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import time
import unittest
from pathlib import Path

from fixtures import File, Registry, hermetic_env, make_tree, release_bin, run
from release_helpers import METADATA, scratch
from test_crash import layout_tags
from test_faults import audit, tag_map

PLATFORMS = ["linux/amd64", "linux/arm64", "darwin/arm64", "windows/amd64"]
ROUNDS = int(os.environ.get("OCX_RACE_ROUNDS", "10"))


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_archives(work: Path, version: str, name: str = "tool") -> dict:
    """One bundle per platform for `version` (content differs per version and platform), each with
    its metadata sidecar; {platform: archive path}. `name` is the package the receipts name: a
    release refuses an archive made for another package."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "metadata.json").write_text(json.dumps(METADATA))
    out = {}
    for p in PLATFORMS:
        slug = p.replace("/", "-")
        tree = make_tree(work / "src" / version / slug,
                         {"bin": {"hello": File("#!/bin/sh\necho %s %s\n" % (version, p), 0o755)}})
        dest = work / "dist" / name / version
        r = run(["create", tree, "-i", "%s:%s" % (name, version), "-p", p, "-m", work / "metadata.json", "-o", dest, "-f",
                 "--format", "json"], check=True)
        out[p] = Path(r.json()["path"])
    return out


def run_all(commands: list[list], timeout: float = 120) -> list[tuple[int, str, str]]:
    """Starts every command at once; waits for all; [(exit code, stdout, stderr)]."""
    procs = [subprocess.Popen([release_bin(), *map(str, c)], env=hermetic_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for c in commands]
    out = []
    for p in procs:
        o, e = p.communicate(timeout=timeout)
        out.append((p.returncode, o, e))
    return out


def layout_platforms(layout: Path, tag: str) -> dict:
    """{platform: manifest digest} held by a layout tag's index."""
    tags = layout_tags(layout)
    index = json.loads((layout / "blobs" / "sha256" / tags[tag].split(":")[1]).read_text())
    out = {}
    for m in index["manifests"]:
        p = m["platform"]
        out["%s/%s" % (p["os"], p["architecture"])] = m["digest"]
    return out


class LayoutRaceTest(unittest.TestCase):
    # Regression: entries were lost. write_tag (src/publish/tags.cpp) reads the tag, merges and
    # PUTs; LayoutTarget::put_manifest holds the layout's flock only around its own index.json
    # update, so push now settles before its read-back on layouts too (it used to skip it) and a
    # concurrent writer's stale merge is seen and merged again.
    def test_concurrent_platform_pushes_to_a_layout_keep_every_entry(self):
        work = scratch()
        self.addCleanup(shutil.rmtree, work, True)
        layout = work / "layout"
        failures = []
        for i in range(ROUNDS):
            version = "1.%d.0" % i
            archives = make_archives(work, version)
            commands = [["push", archives[p], "-i", "oci:%s:%s" % (layout, version), "-p", p, "-c",
                         "--format", "json"] + (["-n"] if i == 0 else []) for p in PLATFORMS]
            results = run_all(commands)
            manifests = {}
            for (code, out, err), p in zip(results, PLATFORMS):
                self.assertEqual(code, 0, "round %d %s:\n%s" % (i, p, err))
                manifests[p] = json.loads(out)["platforms"][0]["manifest"]["digest"]
            held = layout_platforms(layout, version)
            if held != manifests:
                failures.append("round %d: %s holds %s, pushed %s\n%s" % (
                    i, version, sorted(held), sorted(manifests), "\n".join(e for _, _, e in results)))
            # Rounds run one after the other, so the rolling tags hold this round's platforms.
            for t in ("1.%d" % i, "1", "latest"):
                if layout_platforms(layout, t) != manifests:
                    failures.append("round %d: rolling tag %s holds %s" % (i, t, layout_platforms(layout, t)))
        self.assertEqual(failures, [], "\n\n".join(failures))

    def test_concurrent_shards_into_a_layout_then_finalize(self):
        work = scratch()
        self.addCleanup(shutil.rmtree, work, True)
        layout = work / "layout"
        for rnd in range(3):
            version = "3.%d.0" % rnd
            archives = make_archives(work, version)
            (work / "metadata.json").write_text(json.dumps(METADATA))
            m = {"schema": 1, "package": "oci:%s" % layout, "tag": version, "cascade": True, "aliases": ["stable"],
                 "metadata": "metadata.json",
                 "platforms": [{"platform": p, "archive": str(archives[p])} for p in PLATFORMS]}
            matrix = work / ("release-%s.json" % version)
            matrix.write_text(json.dumps(m))
            parts = [work / ("part-%s-%d.json" % (version, i)) for i in range(len(PLATFORMS))]
            results = run_all([["release", matrix, "--shard", p, "--report", part] for p, part in zip(PLATFORMS, parts)])
            for code, _, err in results:
                self.assertEqual(code, 0, err)
            report = work / ("final-%s.json" % version)
            f = run(["finalize", matrix, *parts, "--report", report])
            self.assertEqual(f.returncode, 0, str(f))
            self.assertEqual(run(["verify", report]).returncode, 0)
            final = json.loads(report.read_text())
            want = {p["platform"]: p["manifest"]["digest"] for p in final["platforms"]}
            for t in (version, "3.%d" % rnd, "3", "latest", "stable"):
                self.assertEqual(layout_platforms(layout, t), want, t)
            # Every canonical tag the shards wrote concurrently is in index.json.
            tags = layout_tags(layout)
            for p in final["platforms"]:
                self.assertEqual(tags[p["canonical_tag"]], p["manifest"]["digest"])


class RegistryRaceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.registry = Registry().start()
        cls.work = scratch()

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def matrix(self, base: Path, repo: str, version: str, archives: dict) -> Path:
        base.mkdir(parents=True, exist_ok=True)
        (base / "metadata.json").write_text(json.dumps(METADATA))
        m = {"schema": 1, "package": "%s/%s" % (self.registry.host, repo), "tag": version, "cascade": True,
             "metadata": "metadata.json",
             "platforms": [{"platform": p, "archive": str(archives[p])} for p in PLATFORMS]}
        path = base / ("release-%s.json" % version)
        path.write_text(json.dumps(m))
        return path

    def test_shards_race_with_pushes_of_other_versions_then_finalize(self):
        repo = "race/shards"
        rng = random.Random(7)
        for rnd in range(3):
            version = "2.%d.0" % rnd
            others = ["1.%d.0" % rnd]
            archives = {v: make_archives(self.work / repo, v, "shards") for v in [version] + others}
            matrix = self.matrix(self.work / repo, repo, version, archives[version])
            parts = [self.work / repo / ("part-%d-%d.json" % (rnd, i)) for i in range(len(PLATFORMS))]
            commands = [["release", matrix, "--shard", p, "--report", part] for p, part in zip(PLATFORMS, parts)]
            for v in others:
                for p in PLATFORMS:
                    commands.append(["push", archives[v][p], "-i", "%s/%s:%s" % (self.registry.host, repo, v),
                                     "-p", p, "-c", "-n"])
            rng.shuffle(commands)
            results = run_all(commands)
            # The concurrent pushes of 1.r.0 (test_push.py's race, here next to the shards) keep every platform.
            self.assertEqual(set(registry_platforms(self.registry, repo, others[0])), set(PLATFORMS))
            for c, (code, out, err) in zip(commands, results):
                self.assertEqual(code, 0, "%s\n%s" % (c, err))
            report = self.work / repo / ("final-%d.json" % rnd)
            f = run(["finalize", matrix, *parts, "--report", report])
            self.assertEqual(f.returncode, 0, str(f))
            v = run(["verify", report])
            self.assertEqual(v.returncode, 0, str(v))
            self.assertEqual(audit(self.registry, repo), [])
            final = json.loads(report.read_text())
            index = registry_index(self.registry, repo, version)
            self.assertEqual([m["digest"] for m in index["manifests"]],
                             [p["manifest"]["digest"] for p in final["platforms"]])
            # The highest version owns latest and its major tag, whatever the pushes of 1.x did.
            state = tag_map(self.registry, repo)
            self.assertEqual(state["latest"], final["index"]["digest"])
            self.assertEqual(state["2"], final["index"]["digest"])

    def test_concurrent_releases_of_different_versions(self):
        repo = "race/versions"
        versions = ["1.0.0", "1.1.0", "2.0.0"]
        seq_repo = "race/sequential"
        # The same bytes for every repository (a bundle's bytes do not depend on its package name),
        # each with a receipt naming the package it is released to.
        archives = lambda r: {v: make_archives(self.work / repo, v, r.split("/")[-1]) for v in versions}
        seq = {v: self.matrix(self.work / seq_repo, seq_repo, v, archives(seq_repo)[v]) for v in versions}
        for v in versions:
            run(["release", seq[v]], check=True)
        expected = tag_map(self.registry, seq_repo)
        indexes = {expected[v] for v in versions}
        for rnd in range(3):
            r = "%s-%d" % (repo, rnd)
            built = archives(r)
            matrices = {v: self.matrix(self.work / r, r, v, built[v]) for v in versions}
            results = run_all([["release", matrices[v], "--report", self.work / r / ("report-%s.json" % v)]
                               for v in versions])
            for v, (code, out, err) in zip(versions, results):
                rep = json.loads((self.work / r / ("report-%s.json" % v)).read_text())
                if code != 0:  # a clean failure: the report says so and names the tag
                    self.assertEqual(code, 75, err)
                    self.assertIn(rep["status"], ("partial", "failed"), err)
                    self.assertIn("concurrent writer", err)
                else:
                    self.assertEqual(rep["status"], "published")
            self.assertEqual(audit(self.registry, r), [])
            state = tag_map(self.registry, r)
            for v in versions:
                self.assertEqual(state[v], expected[v], "primary tag %s" % v)
            for t in ("1.0", "1.1", "1", "2.0", "2", "latest"):
                self.assertIn(state[t], indexes, "%s holds no release's index" % t)
            # Running the same releases again, one after the other, converges.
            for v in versions:
                run(["release", matrices[v]], check=True)
            self.assertEqual(tag_map(self.registry, r), expected)


    # Regression: a rolling tag moved back to an older version when the cascade was decided only
    # from the tag list read when a push started. compute_tag now decides a moving level again
    # against the current tags, so a newer version pushed meanwhile blocks it. The proxy stalls
    # the older push's primary tag write to make the interleaving exact.
    def test_an_older_push_never_moves_a_rolling_tag_back(self):
        from fault_proxy import FaultProxy, stall
        repo = "race/backwards"
        archives = {v: make_archives(self.work / repo, v) for v in ("1.1.0", "1.1.1")}
        with FaultProxy(self.registry.host) as proxy:
            rule = proxy.inject(stall(3), "PUT", r"/manifests/1\.1\.0$")
            older = subprocess.Popen([release_bin(), "push", archives["1.1.0"]["linux/amd64"], "-i",
                                      "%s/%s:1.1.0" % (proxy.host, repo), "-p", "linux/amd64", "-c", "-n"],
                                     env=hermetic_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            while rule.fired == 0 and older.poll() is None:
                time.sleep(0.01)
            newer = run(["push", archives["1.1.1"]["linux/amd64"], "-i", "%s/%s:1.1.1" % (self.registry.host, repo),
                         "-p", "linux/amd64", "-c", "-n"])
            self.assertEqual(newer.returncode, 0, str(newer))
            out, err = older.communicate(timeout=60)
            self.assertEqual(older.returncode, 0, err)
        self.assertEqual(audit(self.registry, repo), [])
        state = tag_map(self.registry, repo)
        for t in ("1.1", "1", "latest"):
            self.assertEqual(state[t], state["1.1.1"], "%s moved back to 1.1.0:\n%s" % (t, err))


def registry_platforms(registry: Registry, repo: str, tag: str) -> list[str]:
    return ["%s/%s" % (m["platform"]["os"], m["platform"]["architecture"])
            for m in registry_index(registry, repo, tag)["manifests"]]


def registry_index(registry: Registry, repo: str, tag: str) -> dict:
    from fixtures import registry_get
    r = registry_get(registry.url, "/v2/%s/manifests/%s" % (repo, tag),
                     accept="application/vnd.oci.image.index.v1+json")
    assert r.status == 200, r
    return r.json()


if __name__ == "__main__":
    unittest.main()
