"""Bad input: the table in tests/data/bad/cases.json, one test per case.

Each case runs one command against a real docker-registry and asserts its exit code, a fragment
of its error message (stderr), and that the registry was not written to (no PUT, POST, PATCH or
DELETE in its access log). Cases cover matrix files, metadata, flags, references, platform
strings, tags, content trees and archives.

A case is {"id", "command": [...], "exit", "message", "setup"?: [names], "xfail"?: "bug"}.
In commands: {data} is tests/data/bad, {tmp} a fresh directory for the case, {reg} the registry
host; "matrix:NAME" is tests/data/bad/matrix/NAME copied into {tmp} with @REGISTRY@, @DATA@ and
@TMP@ replaced. Setups (below) make what cannot be committed: device files (mknod, as root),
FIFOs, symlinks escaping the root, non-UTF-8 names, deeply nested and huge JSON, archives.
"xfail" marks a case whose expected behaviour is not there yet (a bug reported to the lead): it
runs as an expected failure.

OCX_BAD_DISCOVER=1 also prints what each case actually does (for writing cases); the case asserts
all the same, so the variable left set never turns the corpus into cases that check nothing.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import stat
import tarfile
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from fixtures import Registry, run, without_access_checks

DATA = Path(__file__).resolve().parents[1] / "data" / "bad"
CASES = json.loads((DATA / "cases.json").read_text())["cases"]
WRITES = ("PUT", "POST", "PATCH", "DELETE")


# -- setups: each gets the case's tmp directory ----------------------------------------------------
def _archive(tmp: Path) -> Path:
    """A good bundle + sidecar made by `create` from tests/data/bad/tree."""
    r = run(["create", DATA / "tree", "-i", "tool:1.0.0", "-p", "linux/amd64", "-m", DATA / "metadata" / "good.json",
             "-o", tmp, "-f"], check=True)
    return tmp / "tool-1.0.0-linux-amd64.tar.xz"


def _tar_xz(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    path.write_bytes(buf.getvalue())
    shutil.copy(DATA / "metadata" / "good.json", path.parent / (path.name[:-len(".tar.xz")] + "-metadata.json"))


def setup_archive(tmp: Path) -> None:
    _archive(tmp)


def setup_truncated_xz(tmp: Path) -> None:
    good = _archive(tmp)
    data = good.read_bytes()
    (tmp / "cut.tar.xz").write_bytes(data[: len(data) // 2])
    shutil.copy(DATA / "metadata" / "good.json", tmp / "cut-metadata.json")


def setup_gzip_named_xz(tmp: Path) -> None:
    import gzip
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("hello")
        info.size = 6
        tar.addfile(info, io.BytesIO(b"hello\n"))
    (tmp / "gz.tar.xz").write_bytes(gzip.compress(buf.getvalue()))
    shutil.copy(DATA / "metadata" / "good.json", tmp / "gz-metadata.json")


def setup_not_an_archive(tmp: Path) -> None:
    (tmp / "text.tar.xz").write_text("this is not an archive\n")
    shutil.copy(DATA / "metadata" / "good.json", tmp / "text-metadata.json")


def setup_archive_symlink_escape(tmp: Path) -> None:
    f = tarfile.TarInfo("bin/hello")
    f.size, f.mode = 3, 0o755
    link = tarfile.TarInfo("etc-passwd")
    link.type, link.linkname = tarfile.SYMTYPE, "../../../../etc/passwd"
    _tar_xz(tmp / "escape.tar.xz", [(f, b"hi\n"), (link, None)])


def setup_archive_device(tmp: Path) -> None:
    dev = tarfile.TarInfo("dev/null")
    dev.type, dev.devmajor, dev.devminor, dev.mode = tarfile.CHRTYPE, 1, 3, 0o666
    _tar_xz(tmp / "device.tar.xz", [(dev, None)])


def setup_archive_absolute_path(tmp: Path) -> None:
    f = tarfile.TarInfo("/etc/cron.d/evil")
    f.size = 3
    _tar_xz(tmp / "absolute.tar.xz", [(f, b"hi\n")])


def setup_archive_without_sidecar(tmp: Path) -> None:
    (tmp / "sidecar-less").mkdir()
    shutil.copy(_archive(tmp), tmp / "sidecar-less" / "tool.tar.xz")


def setup_content(tmp: Path) -> None:
    _content(tmp)


def _content(tmp: Path) -> Path:
    content = tmp / "content"
    shutil.copytree(DATA / "tree", content)
    return content


def setup_content_symlink_escape(tmp: Path) -> None:
    os.symlink("../../../../../etc/passwd", _content(tmp) / "passwd")


def setup_content_absolute_symlink(tmp: Path) -> None:
    os.symlink("/etc/passwd", _content(tmp) / "passwd")


def setup_content_device(tmp: Path) -> None:
    os.mknod(_content(tmp) / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))


def setup_content_fifo(tmp: Path) -> None:
    os.mkfifo(_content(tmp) / "pipe")


def setup_content_socket(tmp: Path) -> None:
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(_content(tmp) / "sock"))
    s.close()


def setup_content_non_utf8_name(tmp: Path) -> None:
    content = _content(tmp)
    with open(os.path.join(os.fsencode(content), b"caf\xe9-\xff.txt"), "wb") as f:
        f.write(b"latin-1 name\n")


def setup_deep_matrix(tmp: Path) -> None:
    depth = 100_000
    (tmp / "deep.json").write_text('{"schema":1,"x":' + "[" * depth + "]" * depth + "}")


def setup_huge_matrix(tmp: Path) -> None:
    # 64 MiB of JSON: over the 8 MiB any local document may be. Refused unread, without a crash or a hang.
    with open(tmp / "huge.json", "w") as f:
        f.write('{"schema":1,"package":"127.0.0.1:9/bad/huge","tag":"1.0.0","padding":"')
        chunk = "x" * (1 << 20)
        for _ in range(64):
            f.write(chunk)
        f.write('","platforms":[]}')


def setup_deep_metadata(tmp: Path) -> None:
    depth = 10_000
    meta = json.loads((DATA / "metadata" / "good.json").read_text())
    text = json.dumps(meta)[:-1] + ',"integrations":{"acme":' + "[" * depth + "]" * depth + "}}"
    (tmp / "deep-metadata.json").write_text(text)
    _archive(tmp)


SETUPS = {name[len("setup_"):]: fn for name, fn in globals().items() if name.startswith("setup_")}


def expand(arg, case_tmp: Path, registry: Registry) -> str:
    arg = str(arg)
    if arg.startswith("matrix:"):
        text = (DATA / "matrix" / arg[len("matrix:"):]).read_bytes()
        for k, v in ((b"@REGISTRY@", registry.host), (b"@DATA@", str(DATA)), (b"@TMP@", str(case_tmp))):
            text = text.replace(k, v.encode())
        out = case_tmp / "release.json"
        out.write_bytes(text)
        return str(out)
    return arg.replace("{data}", str(DATA)).replace("{tmp}", str(case_tmp)).replace("{reg}", registry.host)


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.registry = Registry().start()
        cls.tmp = Path(tempfile.mkdtemp(prefix="ocx-bad-"))

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check_case(self, case: dict) -> None:
        case_tmp = self.tmp / case["id"]
        case_tmp.mkdir()
        for name in case.get("setup", []):
            SETUPS[name](case_tmp)
        args = [expand(a, case_tmp, self.registry) for a in case["command"]]
        mark = self.registry.mark()
        r = run(args, timeout=120)
        writes = [e for e in without_access_checks(self.registry.requests(since=mark)) if e.method in WRITES]
        if os.environ.get("OCX_BAD_DISCOVER"):
            print("\n== %s: exit %d, writes %d\n%s" % (case["id"], r.returncode, len(writes), r.stderr[-1500:]))
        self.assertEqual(r.returncode, case["exit"], str(r))
        self.assertIn(case["message"], r.stderr, str(r))
        self.assertEqual(writes, [], "the registry was written to:\n%s" % r)
        self.assertNotIn("internal error", r.stderr)

    def test_discovery_prints_and_still_asserts(self):
        # A case whose expected message never appears must fail under OCX_BAD_DISCOVER too.
        case = dict(next(c for c in CASES if not c.get("setup") and not c.get("xfail")))
        case["id"] = "discover-" + case["id"]
        case["message"] += " (a message no case prints)"
        printed = io.StringIO()
        with mock.patch.dict(os.environ, {"OCX_BAD_DISCOVER": "1"}), contextlib.redirect_stdout(printed):
            with self.assertRaises(AssertionError) as failed:
                self.check_case(case)
        self.assertIn(case["message"], str(failed.exception))
        self.assertIn("== %s: exit %d, writes 0\n" % (case["id"], case["exit"]), printed.getvalue())


def _make(case: dict):
    def test(self):
        self.check_case(case)
    test.__doc__ = case.get("xfail") or case["id"]
    return unittest.expectedFailure(test) if case.get("xfail") else test


for _case in CASES:
    setattr(BadInputTest, "test_" + _case["id"].replace("-", "_"), _make(_case))


class CorpusTest(unittest.TestCase):
    def test_the_table_is_well_formed(self):
        ids = [c["id"] for c in CASES]
        self.assertEqual(len(ids), len(set(ids)), "duplicate case ids")
        self.assertGreaterEqual(len(CASES), 40)
        for c in CASES:
            self.assertEqual(set(c) - {"id", "command", "exit", "message", "setup", "xfail", "group"}, set(), c["id"])
            self.assertTrue(c["message"], c["id"])
            for s in c.get("setup", []):
                self.assertIn(s, SETUPS, c["id"])
            for a in c["command"]:
                if a.startswith("matrix:"):
                    self.assertTrue((DATA / "matrix" / a[len("matrix:"):]).exists(), a)
        groups = {c.get("group") for c in CASES}
        self.assertTrue({"matrix", "metadata", "flags", "reference", "platform", "tag", "content", "archive"} <= groups,
                        groups)


if __name__ == "__main__":
    unittest.main()
