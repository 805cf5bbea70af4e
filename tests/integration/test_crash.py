"""Crashes: a release killed (SIGKILL) at random points converges when the same command runs again.

Each trial (seeded, reproducible: OCX_CRASH_SEED, OCX_CRASH_TRIALS) writes a fresh project, starts
`release` through a FaultProxy in front of a real docker-registry and kills it:

* at a random moment within the length of a clean release, or
* inside an exact window: the proxy stalls one chosen request (a layer upload, a manifest by
  digest, the primary tag, a rolling tag, the alias, a canonical tag, the tag listing) and the
  process is killed while it waits; the stalled request then still reaches the registry (the
  client died, the server did the write) or is dropped.

After the kill the registry must be consistent (every tag old-or-new, everything a tag reaches
present, no alias ahead of its version); then the same command runs again, unchanged, and must
exit 0 with exactly the state a clean release produces, `verify` passing. Half of the trials
release 1.2.4 over a clean 1.2.3, so the rolling tags and the alias really move.

The same is done for an OCI image layout target (oci:DIR), where a kill can land between a
blob's temp file and its rename, or between index.json writes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
import unittest
from pathlib import Path

from fault_proxy import FaultProxy, stall
from fixtures import Registry, hermetic_env, release_bin, run
from release_helpers import scratch
from test_faults import PRIMARY, audit, project, reference, tag_map

SEED = int(os.environ.get("OCX_CRASH_SEED", "20240611"))
TRIALS = int(os.environ.get("OCX_CRASH_TRIALS", "20"))
LAYOUT_TRIALS = int(os.environ.get("OCX_CRASH_LAYOUT_TRIALS", "5"))
STALL = 1.0  # seconds a chosen request is held

# Requests whose window a trial can aim at (method, path regex); {tag} is the release's tag.
WINDOWS = [
    ("PUT", r"/blobs/uploads/.+digest="),  # a layer or config upload
    ("POST", r"/blobs/uploads/$"),
    ("PUT", r"/manifests/sha256:"),        # a platform manifest by digest
    ("PUT", r"/manifests/{tag}$"),          # the primary tag
    ("PUT", r"/manifests/1\.2$"),           # the first rolling tag
    ("PUT", r"/manifests/latest$"),
    ("PUT", r"/manifests/stable$"),         # the alias
    ("PUT", r"/manifests/sha256\."),        # a canonical tag
    ("GET", r"/tags/list"),
]


def start_release(matrix: Path, report: Path) -> subprocess.Popen:
    return subprocess.Popen([release_bin(), "release", matrix, "--report", report], env=hermetic_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def settle(proxy: FaultProxy, limit: float = 30.0) -> None:
    """Waits until the proxy has answered every request it received."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with proxy._lock:
            if all(r["status"] is not None for r in proxy.requests):
                return
        time.sleep(0.01)
    raise AssertionError("the proxy still has requests in flight after %ss" % limit)


def kill(proc: subprocess.Popen) -> bool:
    """SIGKILL if still running; True when the kill landed before the process finished."""
    landed = proc.poll() is None
    if landed:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    return landed and proc.returncode == -signal.SIGKILL


class RegistryCrashTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.registry = Registry().start()
        cls.work = scratch()
        t0 = time.monotonic()
        cls.first, cls.second = reference(cls.registry, cls.work, "ref/hello", tags=(PRIMARY, "1.2.4"))
        cls.clean_seconds = (time.monotonic() - t0) / 2

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_killed_releases_converge_on_rerun(self):
        rng = random.Random(SEED)
        log = []
        landed = 0
        for trial in range(TRIALS):
            repo = "crash/t%d" % trial
            base = self.work / ("t%d" % trial)
            second = trial % 2 == 1
            expected, tag = (self.second, "1.2.4") if second else (self.first, PRIMARY)
            with FaultProxy(self.registry.host) as proxy:
                proxy._httpd.handle_error = lambda *a: None  # a killed client leaves broken pipes
                package = "%s/%s" % (proxy.host, repo)
                if second:
                    prior = project(base / "prior", package)
                    run(["release", prior, "--report", base / "prior.json"], check=True)
                matrix = project(base / "run", package, tag=tag)
                report = base / "report.json"
                window = None
                if trial % 3 != 0:  # two trials in three aim at a window, the rest at a random moment
                    method, path = rng.choice(WINDOWS)
                    path = path.replace("{tag}", tag.replace(".", r"\."))
                    then = rng.choice(["forward", "forward", "close"])
                    rule = proxy.inject(stall(STALL, then=then), method, path, nth=rng.randint(1, 2))
                    window = "%s %s (%s)" % (method, path, then)
                proc = start_release(matrix, report)
                if window is None:
                    time.sleep(rng.uniform(0.02, self.clean_seconds * 1.1))
                else:
                    deadline = time.monotonic() + 60
                    while rule.fired == 0 and proc.poll() is None and time.monotonic() < deadline:
                        time.sleep(0.005)
                    time.sleep(rng.uniform(0.0, STALL / 2))
                killed = kill(proc)
                landed += killed
                # Requests in flight (a stalled one above all) still reach the registry after the
                # client died; the registry is read back once they are done.
                settle(proxy)
                proxy.clear()
                context = "trial %d (seed %d): %s, killed=%s" % (trial, SEED, window or "random moment", killed)
                log.append(context)
                # Right after the crash: consistent, nothing ahead of its version.
                state = tag_map(self.registry, repo)
                self.assertEqual(audit(self.registry, repo), [], context)
                for t, d in state.items():
                    self.assertIn(d, (expected.before.get(t), expected.after.get(t)), "%s: tag %s\n%s" % (context, t, state))
                moved = [t for t in expected.order if state.get(t) == expected.after[t] != expected.before.get(t)]
                for t in moved:
                    for e in expected.order[:expected.order.index(t)]:
                        self.assertEqual(state.get(e), expected.after[e], "%s: %s moved before %s" % (context, t, e))
                # The same command again converges.
                rerun = run(["release", matrix, "--report", report])
                self.assertEqual(rerun.returncode, 0, "%s\n%s" % (context, rerun))
                self.assertEqual(tag_map(self.registry, repo), expected.after, context)
                v = run(["verify", report])
                self.assertEqual(v.returncode, 0, "%s\n%s" % (context, v))
                self.assertEqual(json.loads(report.read_text())["status"], "published", context)
        # Most kills must have landed mid-run, or the test proves little.
        self.assertGreaterEqual(landed, TRIALS * 2 // 3, "\n".join(log))


class LayoutCrashTest(unittest.TestCase):
    """The same against oci:DIR: no server, so a kill lands between file writes and renames."""

    def test_killed_layout_releases_converge_on_rerun(self):
        work = scratch()
        self.addCleanup(shutil.rmtree, work, True)
        t0 = time.monotonic()
        ref_matrix = project(work / "ref", "oci:%s" % (work / "ref-layout"))
        run(["release", ref_matrix, "--report", work / "ref.json"], check=True)
        clean = time.monotonic() - t0
        expected = layout_tags(work / "ref-layout")
        rng = random.Random(SEED + 1)
        landed = 0
        for trial in range(LAYOUT_TRIALS):
            layout = work / ("layout-%d" % trial)
            matrix = project(work / ("t%d" % trial), "oci:%s" % layout)
            report = work / ("report-%d.json" % trial)
            proc = start_release(matrix, report)
            time.sleep(rng.uniform(0.01, clean))
            landed += kill(proc)
            context = "layout trial %d (seed %d)" % (trial, SEED + 1)
            if (layout / "index.json").exists():
                # index.json is always complete JSON, and every tag in it reaches its blobs.
                for t, d in layout_tags(layout).items():
                    self.assertEqual(d, expected[t], "%s: tag %s" % (context, t))
            rerun = run(["release", matrix, "--report", report])
            self.assertEqual(rerun.returncode, 0, "%s\n%s" % (context, rerun))
            self.assertEqual(layout_tags(layout), expected, context)
            v = run(["verify", report])
            self.assertEqual(v.returncode, 0, "%s\n%s" % (context, v))
        self.assertGreaterEqual(landed, 1)


def layout_tags(layout: Path) -> dict:
    """{tag: digest} of an OCI layout, checking every tagged blob (and what an index reaches)."""
    index = json.loads((layout / "index.json").read_text())
    out = {}
    blobs = layout / "blobs" / "sha256"

    def blob(digest: str) -> bytes:
        path = blobs / digest.split(":", 1)[1]
        assert path.exists(), "blob %s missing from %s" % (digest, layout)
        data = path.read_bytes()
        import hashlib
        assert "sha256:" + hashlib.sha256(data).hexdigest() == digest, "blob %s corrupt" % digest
        return data

    for entry in index["manifests"]:
        tag = entry.get("annotations", {}).get("org.opencontainers.image.ref.name")
        doc = json.loads(blob(entry["digest"]))
        manifests = doc.get("manifests", [doc] if "layers" in doc else [])
        for m in manifests:
            mdoc = json.loads(blob(m["digest"])) if "digest" in m else m
            blob(mdoc["config"]["digest"])
            for layer in mdoc["layers"]:
                blob(layer["digest"])
        if tag:
            out[tag] = entry["digest"]
    return out


if __name__ == "__main__":
    unittest.main()
