"""The command line as people read it (issue 14, item 9; issue 18, item 3): one command table
drives dispatch, the top-level help and "did you mean"; every `--help` is compared exactly with a
snapshot under tests/data/help/; the end-of-run summary aligns its columns and prints human sizes;
a report does not point at bundles in a removed temporary directory.

The snapshots are the contract for `--help`. After changing a command's options or examples,
regenerate them and review the diff:

    OCX_UPDATE_HELP=1 OCX_RELEASE_BIN=build/ocx-release python3 -m unittest test_cli.TestHelp
"""

from __future__ import annotations

import json
import os
import re
import shutil
import unittest
from pathlib import Path

from fixtures import Registry, run
from release_helpers import make_project, scratch
from schemas import validate_report

HELP_DIR = Path(os.environ.get("OCX_SOURCE_DIR") or Path(__file__).resolve().parents[2]) / "tests" / "data" / "help"
COMMANDS = ["create", "push", "release", "finalize", "verify", "install", "env", "exec", "ls", "cascade", "copy", "describe"]
READ_ONLY = ["verify", "install", "env", "exec", "ls", "cascade"]
UPLOAD_FLAGS = ["--chunk-size", "--mount-from"]


def listed_commands(top_help: str) -> list[str]:
    block = top_help.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines()]


class TestHelp(unittest.TestCase):
    def check_snapshot(self, name: str, text: str) -> None:
        path = HELP_DIR / (name + ".txt")
        if os.environ.get("OCX_UPDATE_HELP"):
            HELP_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        self.assertTrue(path.exists(), "no snapshot %s (see this file's docstring to make one)" % path)
        self.assertEqual(text, path.read_text(), "`%s --help` differs from %s" % (name, path))

    def test_top_level_help_lists_every_command_and_version(self):
        r = run(["--help"])
        self.assertEqual(r.returncode, 0, str(r))
        self.check_snapshot("ocx-release", r.stdout)
        self.assertEqual(listed_commands(r.stdout), COMMANDS)
        self.assertIn("--version", r.stdout)
        self.assertEqual(r.stderr, "")
        # Without a command: the same text on stderr, exit 64.
        bare = run([])
        self.assertEqual(bare.returncode, 64, str(bare))
        self.assertEqual(bare.stderr, r.stdout)

    def test_every_command_help_matches_its_snapshot(self):
        for command in COMMANDS:
            with self.subTest(command=command):
                r = run([command, "--help"])
                self.assertEqual(r.returncode, 0, str(r))
                self.check_snapshot(command, r.stdout)
                # "package create|push" is the OCX spelling of the same command.
                if command in ("create", "push"):
                    self.assertEqual(run(["package", command, "--help"]).stdout, r.stdout)

    def test_help_shape(self):
        for command in COMMANDS:
            with self.subTest(command=command):
                text = run([command, "--help"]).stdout
                usage = text.splitlines()[0]
                self.assertTrue(usage.startswith("usage: ocx-release %s " % command), usage)
                # Positional arguments are in the usage line, never offered as flags.
                for flag in ("--matrix", "--files", "--archives", "--path", "--reference", "--dir", "--command"):
                    self.assertNotRegex(text, r"(?m)^\s+%s\b" % re.escape(flag))
                if command == "verify":
                    self.assertNotRegex(text, r"(?m)^\s+--report\b")
                # Help ends with examples of this very command.
                examples = text.split("\nexamples:\n", 1)
                self.assertEqual(len(examples), 2, text)
                lines = examples[1].splitlines()
                self.assertGreaterEqual(len(lines), 2)
                for line in lines:
                    self.assertTrue(line.startswith("  $ ocx-release %s " % command), line)
                for flag in UPLOAD_FLAGS:
                    if command in READ_ONLY:
                        self.assertNotIn(flag, text)
                    elif command not in ("create", "describe"):  # describe uploads small blobs whole
                        self.assertIn(flag, text)


class TestDidYouMean(unittest.TestCase):
    def test_mistyped_command(self):
        r = run(["relase", "x.json"])
        self.assertEqual(r.returncode, 64, str(r))
        self.assertEqual(r.stderr, 'error: unknown command "relase"; did you mean "release"? '
                                   "Run `ocx-release --help` for the list\n")
        r = run(["frobnicate"])
        self.assertEqual(r.returncode, 64, str(r))
        self.assertNotIn("did you mean", r.stderr)
        self.assertIn('unknown command "frobnicate"', r.stderr)
        # Terminal escapes in the command word are shown, not obeyed.
        r = run(["\x1b[2Jx"])
        self.assertNotIn("\x1b", r.stderr)
        self.assertIn('unknown command "\\x1B[2Jx"', r.stderr)

    def test_mistyped_flags(self):
        cases = [(["release", "x.json", "--dryrun"], "--dryrun", "--dry-run"),
                 (["release", "x.json", "--tga", "1.0.0"], "--tga", "--tag"),
                 (["push", "--platfrom", "linux/amd64"], "--platfrom", "--platform"),
                 (["verify", "r.json", "--dep"], "--dep", "--deep"),
                 (["finalize", "m.json", "p.json", "--reprot=x"], "--reprot=x", "--report")]
        for args, shown, near in cases:
            with self.subTest(args=args):
                r = run(args)
                self.assertEqual(r.returncode, 64, str(r))
                self.assertEqual(r.stderr, "error: unrecognised option '%s'; did you mean %s?\n" % (shown, near))
        r = run(["release", "x.json", "--zzzzzzzzzz"])
        self.assertEqual(r.returncode, 64, str(r))
        self.assertNotIn("did you mean", r.stderr)


class TestSummary(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = Path(scratch())
        cls.registry = Registry().start()

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_summary_is_aligned_with_human_sizes_canonical_tags_and_reasons(self):
        matrix = make_project(self.work / "p", "%s/cli/summary" % self.registry.host)
        r = run(["release", matrix, "--report", self.work / "report.json"])
        self.assertEqual(r.returncode, 0, str(r))
        rep = json.loads((self.work / "report.json").read_text())
        lines = r.stderr.splitlines()
        head = lines.index("  platform      archive  uploaded  manifest             canonical tag")
        for p, line in zip(rep["platforms"], lines[head + 1:head + 4]):
            cells = line.split()
            self.assertEqual(cells[0], p["platform"])
            self.assertEqual(" ".join(cells[1:3]), "%d B" % p["archive"]["size"])  # under 1 KiB: bytes
            self.assertEqual(cells[-1], p["canonical_tag"])
            self.assertEqual(line.index(p["canonical_tag"]), lines[head].index("canonical tag"))
        tags = lines[lines.index("  tag     action   before  after"):]
        self.assertEqual([l.split()[0] for l in tags[1:6]], [t["tag"] for t in rep["tags"]])
        # An offline plan skips the rolling tags and says why.
        r = run(["release", matrix, "--dry-run", "--offline"])
        self.assertEqual(r.returncode, 0, str(r))
        self.assertRegex(r.stderr, r"(?m)^  \(rolling tags\)\s+skipped\s+-\s+-\s+offline: rolling tags depend on the "
                                   r"tags in the registry$")

    def test_archive_path_is_null_when_the_bundle_was_temporary(self):
        matrix = make_project(self.work / "tmpbundles", "%s/cli/temporary" % self.registry.host)
        doc = json.loads(matrix.read_text())
        del doc["output_dir"]
        matrix.write_text(json.dumps(doc))
        r = run(["release", matrix, "--report", "-"])
        self.assertEqual(r.returncode, 0, str(r))
        rep = validate_report(r.json())
        paths = {p["platform"]: p["archive"]["path"] for p in rep["platforms"]}
        self.assertIsNone(paths["linux/amd64"])
        self.assertIsNone(paths["darwin/arm64"])
        self.assertTrue(os.path.isfile(paths["linux/arm64"]), paths)  # the prebuilt archive is still there
        # verify reads such a report back.
        (self.work / "tmp-report.json").write_text(r.stdout)
        v = run(["verify", self.work / "tmp-report.json"])
        self.assertEqual(v.returncode, 0, str(v))


if __name__ == "__main__":
    unittest.main()
