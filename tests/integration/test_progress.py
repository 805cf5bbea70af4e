"""Progress on stderr (issue 14, item 7): in CI logs (no terminal) a release prints a plain
"progress: NN% …" line at least every 10 s while it works, read here line by line with the time
each arrived; under a pseudo-terminal `--progress tty` redraws one line in place; `-v` lines
name their platform; stdout stays machine output; -q and --progress none print no progress."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import time
import unittest
from pathlib import Path

from fixtures import File, Registry, hermetic_env, make_tree, release_bin, run
from release_helpers import METADATA, make_project, scratch

PROGRESS = re.compile(r"^progress: (\d+)% \(.* of .*, .*/s(, ETA \S+)?\)")


def big_project(base: Path, package: str, megabytes: int = 65) -> Path:
    """One content platform of `megabytes` of random bytes (incompressible: xz works hard), one small."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "metadata.json").write_text(json.dumps(METADATA))
    make_tree(base / "build" / "big", {"bin": {"hello": File("#!/bin/sh\n", 0o755)},
                                       "data": {"a.bin": File(os.urandom((megabytes // 2) << 20)),
                                                "b.bin": File(os.urandom((megabytes - megabytes // 2) << 20))}})
    make_tree(base / "build" / "small", {"bin": {"hello": File("#!/bin/sh\n", 0o755)}})
    matrix = {"schema": 1, "package": package, "tag": "1.0.0", "metadata": "metadata.json",
              "output_dir": "out",
              "platforms": [{"platform": "linux/amd64", "content": "build/big"},
                            {"platform": "linux/arm64", "content": "build/small"}]}
    (base / "release.json").write_text(json.dumps(matrix))
    return base / "release.json"


def run_on_pty(args: list) -> tuple:
    """Runs ocx-release with stderr on a pseudo-terminal; returns (Popen, everything it wrote there)."""
    master, slave = pty.openpty()
    env = hermetic_env({"NO_COLOR": None, "TERM": "xterm"})
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the other side closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc, b"".join(chunks).decode("utf-8", "replace")


class TestProgress(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = Path(scratch())
        cls.registry = Registry().start()

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_plain_progress_line_at_least_every_10_seconds(self):
        matrix = big_project(self.work / "big", "%s/progress/big" % self.registry.host)
        proc = subprocess.Popen([release_bin(), "release", matrix, "--report", "-", "--jobs", "1"],
                                env=hermetic_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        start = time.monotonic()
        lines = []  # (seconds since start, line) as they arrive
        for raw in proc.stderr:
            lines.append((time.monotonic() - start, raw.decode("utf-8", "replace").rstrip("\n")))
        end = time.monotonic() - start
        stdout = proc.stdout.read().decode()
        proc.stdout.close()
        proc.stderr.close()
        self.assertEqual(proc.wait(), 0, "\n".join(l for _, l in lines))
        text = "\n".join("%6.2f %s" % t for t in lines)
        report = json.loads(stdout)  # stdout is the report alone
        self.assertEqual(report["status"], "published")
        self.assertNotIn("progress:", stdout)
        progress = [(t, l) for t, l in lines if l.startswith("progress:")]
        for _, l in progress:
            self.assertRegex(l, PROGRESS)
        # The work (bundling and uploading) ends when the last platform's manifest is pushed.
        work_end = max(t for t, l in lines if "pushed manifest" in l)
        self.assertGreater(work_end, 10, "the release was too quick to show the interval:\n" + text)
        stamps = [0.0] + [t for t, _ in progress if t <= work_end] + [work_end]
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        print("\n  plain progress: run %.1f s, %d progress lines, largest gap %.2f s" % (end, len(progress), max(gaps)))
        # 10 s by the clock of the process, plus the time a line takes to cross the pipe.
        self.assertLessEqual(max(gaps), 10.5, text)
        percents = [int(PROGRESS.match(l).group(1)) for _, l in progress]
        self.assertEqual(percents, sorted(percents), text)
        # One plain line per step, naming the platform.
        self.assertTrue(any(l.startswith("[linux/amd64] bundled ") for _, l in lines), text)
        self.assertTrue(any(l.startswith("[linux/arm64] pushed manifest ") for _, l in lines), text)
        self.assertNotIn("\r", "".join(l for _, l in lines))
        self.assertNotIn("\x1b", "".join(l for _, l in lines))

    def test_tty_redraws_in_place_with_a_percentage(self):
        matrix = big_project(self.work / "tty", "%s/progress/tty" % self.registry.host, megabytes=16)
        proc, err = run_on_pty([release_bin(), "release", matrix, "--progress", "tty", "--report", "-"])
        stdout = proc.stdout.read().decode()
        proc.stdout.close()
        self.assertEqual(proc.wait(), 0)
        self.assertEqual(json.loads(stdout)["status"], "published")
        redraws = re.findall(r"\r\x1b\[K([^\r\n]*)", err)
        live = [r for r in redraws if "total " in r]
        self.assertGreater(len(live), 1, repr(err[:2000]))
        self.assertTrue(any(re.search(r"linux/amd64 (bundle|upload) \d+% of ", r) for r in live), repr(live[:20]))
        self.assertTrue(all(re.search(r"total \d+% \(", r) for r in live), repr(live[:20]))
        self.assertNotIn("progress:", err)  # no plain lines on a terminal
        # The live line is gone at the end: the last redraw is empty, the summary lines follow.
        self.assertIn("release %s/progress/tty:1.0.0: published" % self.registry.host, err)

    def test_push_shows_its_upload_on_a_terminal(self):
        work = self.work / "push"
        tree = make_tree(work / "tree", {"bin": {"hello": File("#!/bin/sh\n", 0o755)},
                                         "data.bin": File(os.urandom(8 << 20))})
        (work / "metadata.json").write_text(json.dumps(METADATA))
        run(["create", tree, "-i", "hello:1.0.0", "-p", "linux/amd64", "-m", work / "metadata.json", "-o", work,
             "-f", "--progress", "none"], check=True)
        proc, err = run_on_pty([release_bin(), "push", "-n", "-i", "%s/progress/push:1.0.0" % self.registry.host,
                                "-p", "linux/amd64", "--progress", "tty", str(work / "hello-1.0.0-linux-amd64.tar.xz")])
        proc.stdout.close()
        self.assertEqual(proc.wait(), 0, err)
        live = [r for r in re.findall(r"\r\x1b\[K([^\r\n]*)", err) if "total " in r]
        self.assertTrue(any(re.match(r"linux/amd64 upload \d+% of 8\.\d MiB \| total \d+% ", r) for r in live), repr(live))

    def test_verbose_lines_carry_their_platform_and_quiet_prints_no_progress(self):
        matrix = make_project(self.work / "v", "%s/progress/verbose" % self.registry.host)
        r = run(["release", matrix, "-v", "--progress", "plain"])
        self.assertEqual(r.returncode, 0, str(r))
        for platform in ("linux/amd64", "darwin/arm64"):
            self.assertIn("[%s] bundling with " % platform, r.stderr)
            self.assertRegex(r.stderr, r"(?m)^\[%s\] blob sha256:[0-9a-f]{64} uploaded" % platform)
        self.assertRegex(r.stderr, r"(?m)^\[linux/arm64\] blob sha256:[0-9a-f]{64} (uploaded|already present)")
        blob_lines = [l for l in r.stderr.splitlines() if " blob sha256:" in l]
        self.assertTrue(blob_lines and all(re.match(r"^\[[a-z0-9/]+\] blob ", l) for l in blob_lines), r.stderr)
        q = run(["release", matrix, "-q", "--progress", "tty"])
        self.assertEqual(q.returncode, 0, str(q))
        self.assertEqual(q.stderr, "")
        bad = run(["release", matrix, "--progress", "fancy"])
        self.assertEqual(bad.returncode, 64, str(bad))
        self.assertIn('--progress: expected auto, tty, plain or none, got "fancy"', bad.stderr)


if __name__ == "__main__":
    unittest.main()
