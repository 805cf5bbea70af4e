"""One set of archive rules (issue 17 item 4): `create` (a tree on disk), `push` (an archive before
it is published) and `install` (extraction) decide with the same module, bundle/member_rules, so
push publishes exactly what install accepts.

A corpus of hostile archives, generated here with Python's tarfile (which writes anything), goes
through all three paths:
* push ARCHIVE -i oci:LAYOUT:TAG — refused (65) or published;
* install of the same bytes, put into a layout as another tool would (push would refuse them) —
  refused (65, with the partial tree removed) or installed;
* create of the same members laid out as a tree on disk, where the file system can hold it (no
  `..` or absolute names, no duplicates, no member under a file; hardlinks, the setuid bit and
  empty link targets cannot be expressed as create reads a tree, so those cases skip create).
The three verdicts must agree with each other and with the expected one, and push and install
must give the same reason for the same member. Archives pushed together are checked as the one
tree install merges them into (LayersTogetherTest), each of them passing alone.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import stat
import tarfile
import unittest
from pathlib import Path

from fixtures import run
from release_helpers import scratch
from test_consumer import METADATA, write_unchecked_layout

REFUSE, ACCEPT = "refuse", "accept"

# (name, members, verdict, whether create can see the same tree). Members, in archive order:
# ("f", name[, mode]) file · ("d", name[, mode]) directory · ("l", name, target) symlink ·
# ("h", name, target) hardlink · ("c"|"b"|"p", name) character/block device, FIFO.
CORPUS = [
    ("dotdot", [("f", "../escaped")], REFUSE, False),
    ("dotdot-nested", [("d", "a"), ("f", "a/../../escaped")], REFUSE, False),
    ("absolute", [("f", "/tmp/ocx-absolute-member")], REFUSE, False),
    ("symlink-up", [("d", "bin"), ("l", "bin/etc", "../../etc")], REFUSE, True),
    ("symlink-deep-up", [("d", "a"), ("d", "a/b"), ("l", "a/b/up", "../../..")], REFUSE, True),
    ("symlink-absolute", [("l", "passwd", "/etc/passwd")], REFUSE, True),
    ("symlink-empty", [("l", "empty", "")], REFUSE, False),
    ("chain-issue-17", [("d", "d"), ("l", "d/l", "."), ("l", "esc", "d/l/../.."), ("f", "esc/x")], REFUSE, False),
    ("chain-without-write", [("d", "d"), ("l", "d/l", "."), ("l", "esc", "d/l/../..")], REFUSE, True),
    ("chain-later-link", [("l", "esc", "l/.."), ("l", "l", ".")], REFUSE, True),
    ("chain-up-link", [("d", "x"), ("l", "x/up", ".."), ("l", "sneaky", "x/up/..")], REFUSE, True),
    ("chain-two-hops", [("d", "a"), ("l", "a/b", "."), ("l", "c", "a/b"), ("l", "esc", "c/b/../..")], REFUSE, True),
    ("chain-through-absolute", [("d", "x"), ("l", "x/usr", "/usr"), ("l", "bin", "x/usr/bin")], REFUSE, True),
    ("loop-pair", [("l", "p", "q"), ("l", "q", "p")], REFUSE, True),
    ("loop-self", [("l", "self", "self")], REFUSE, True),
    ("loop-41-hops", [("l", "l%d" % i, "l%d" % (i + 1)) for i in range(41)], REFUSE, True),
    ("under-symlink", [("d", "real"), ("l", "d", "real"), ("f", "d/x")], REFUSE, False),
    ("under-file", [("f", "f"), ("f", "f/x")], REFUSE, False),
    ("duplicate-file", [("f", "x"), ("f", "x")], REFUSE, False),
    ("directory-over-file", [("f", "x"), ("d", "x")], REFUSE, False),
    ("symlink-over-directory", [("d", "x"), ("f", "x/y"), ("l", "x", ".")], REFUSE, False),
    ("hardlink-up", [("h", "shadow", "../../etc/shadow")], REFUSE, False),
    ("hardlink-absolute", [("h", "passwd", "/etc/passwd")], REFUSE, False),
    ("hardlink-to-later", [("h", "hl", "later"), ("f", "later")], REFUSE, False),
    ("hardlink-to-symlink", [("f", "f"), ("l", "s", "f"), ("h", "hl", "s")], REFUSE, False),
    ("hardlink-to-directory", [("d", "d"), ("h", "hl", "d")], REFUSE, False),
    ("hardlink-to-missing", [("h", "hl", "nothing")], REFUSE, False),
    ("char-device", [("d", "dev"), ("c", "dev/null")], REFUSE, True),
    ("block-device", [("b", "disk")], REFUSE, True),
    ("fifo", [("p", "pipe")], REFUSE, True),
    ("setuid", [("f", "su", 0o4755)], REFUSE, False),
    ("setgid-directory", [("d", "shared", 0o2775)], REFUSE, False),
    ("name-not-utf8", [("f", b"caf\xe9".decode("utf-8", "surrogateescape"))], REFUSE, True),
    ("target-not-utf8", [("l", "l", b"caf\xe9".decode("utf-8", "surrogateescape"))], REFUSE, True),
    # Benign ones, so a path that refused everything would fail too.
    ("good-tree", [("d", "bin"), ("f", "bin/tool", 0o755), ("l", "bin/alias", "tool"), ("d", "share"),
                   ("l", "share/tool", "../bin/tool"), ("l", "x-up", "bin/.."), ("l", "dangling", "no/such")],
     ACCEPT, True),
    ("good-hardlink", [("d", "bin"), ("f", "bin/tool", 0o755), ("h", "bin/tool2", "bin/tool")], ACCEPT, False),
    ("good-40-hops", [("l", "l%d" % i, "l%d" % (i + 1)) for i in range(40)] + [("f", "l40")], ACCEPT, True),
    ("good-link-to-root", [("d", "x"), ("l", "x/up", "..")], ACCEPT, True),
]


def write_archive(path: Path, members: list) -> Path:
    # GNU format keeps names as raw bytes (surrogateescape), so non-UTF-8 names reach the archive.
    with tarfile.open(path, "w:xz", format=tarfile.GNU_FORMAT, encoding="utf-8", errors="surrogateescape") as tar:
        for kind, name, *rest in members:
            info = tarfile.TarInfo(name)
            info.mtime, info.mode = 0, 0o644
            data = b""
            if kind == "f":
                info.mode = rest[0] if rest else 0o644
                data = b"payload\n"
            elif kind == "d":
                info.type, info.mode = tarfile.DIRTYPE, rest[0] if rest else 0o755
            elif kind == "l":
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, rest[0], 0o777
            elif kind == "h":
                info.type, info.linkname = tarfile.LNKTYPE, rest[0]
            else:
                info.type = {"c": tarfile.CHRTYPE, "b": tarfile.BLKTYPE, "p": tarfile.FIFOTYPE}[kind]
                info.devmajor, info.devminor = (1, 3) if kind != "p" else (0, 0)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
    return path


def write_tree(root: Path, members: list) -> Path:
    root.mkdir(parents=True)
    for kind, name, *rest in members:
        path = os.path.join(os.fsencode(root), os.fsencode(name))
        if kind == "f":
            with open(path, "wb") as f:
                f.write(b"payload\n")
            os.chmod(path, rest[0] if rest else 0o644)
        elif kind == "d":
            os.mkdir(path, rest[0] if rest else 0o755)
        elif kind == "l":
            os.symlink(os.fsencode(rest[0]), path)
        elif kind == "p":
            os.mkfifo(path)
        else:
            os.mknod(path, 0o600 | (stat.S_IFCHR if kind == "c" else stat.S_IFBLK), os.makedev(1, 3))
    return root


def write_layers_layout(layout: Path, tag: str, archives: list) -> None:
    """What another tool can publish: an OCX-shaped index + manifest with `archives` as its layers,
    written straight into an OCI layout (push checks them; install must decide the same)."""
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')

    def put(data: bytes, media_type: str) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    compact = lambda obj: json.dumps(obj, separators=(",", ":")).encode()  # noqa: E731
    layers = [put(a.read_bytes(), "application/vnd.oci.image.layer.v1.tar+xz") for a in archives]
    config = put(compact(METADATA), "application/vnd.sh.ocx.package.v1+json")
    manifest = put(compact({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "config": config, "layers": layers, "artifactType": "application/vnd.sh.ocx.package.v1"}),
                   "application/vnd.oci.image.manifest.v1+json")
    index = put(compact({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                         "manifests": [dict(manifest, platform={"architecture": "amd64", "os": "linux"})]}),
                "application/vnd.oci.image.index.v1+json")
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        dict(index, annotations={"org.opencontainers.image.ref.name": tag})]}))


def reason(stderr: str) -> str:
    """The member and reason of a refusal, without the file or layer in front."""
    m = re.search(r'(?m)^error: .*?("(?:[^"\\]|\\.)*": .*)$', stderr)
    return m.group(1) if m else stderr


class ArchiveRulesTest(unittest.TestCase):
    def setUp(self):
        self.dir = scratch()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.meta = self.dir / "metadata.json"
        self.meta.write_text('{"type":"bundle","version":1}')

    def test_the_corpus_is_large_and_hostile_enough(self):
        self.assertGreaterEqual(sum(1 for c in CORPUS if c[2] == REFUSE), 25)
        self.assertEqual(len({c[0] for c in CORPUS}), len(CORPUS))

    def test_create_push_and_install_agree_on_every_archive(self):
        can_mknod = os.geteuid() == 0
        for name, members, expected, on_disk in CORPUS:
            with self.subTest(name):
                work = self.dir / name
                work.mkdir()
                archive = write_archive(work / ("%s.tar.xz" % name), members)
                push = run(["push", archive, "-i", "oci:%s:%s" % (work / "pushed", name), "-p", "linux/amd64",
                            "-m", self.meta])
                write_unchecked_layout(work / "foreign", name, "linux/amd64", archive, METADATA)
                (work / "inst").mkdir()
                install = run(["install", "oci:%s:%s" % (work / "foreign", name), "-p", "linux/amd64",
                               "-o", work / "inst" / "out"])
                verdicts = {"push": push.returncode, "install": install.returncode}
                if on_disk and (can_mknod or not any(m[0] in "cb" for m in members)):
                    write_tree(work / "tree", members)
                    create = run(["create", work / "tree", "-i", "%s:1" % name, "-p", "linux/amd64", "-m", self.meta,
                                  "-o", work / "created"])
                    verdicts["create"] = create.returncode
                want = 65 if expected == REFUSE else 0
                self.assertEqual(verdicts, {k: want for k in verdicts},
                                 "%s\n%s\n%s" % (push, install, create if "create" in verdicts else ""))
                if expected == REFUSE:
                    self.assertEqual(reason(push.stderr), reason(install.stderr), "%s\n%s" % (push, install))
                    self.assertEqual(list((work / "inst").iterdir()), [])
                    self.assertFalse((work / "pushed").exists())
                    self.assertFalse((work / "created").exists() and any((work / "created").iterdir()))
        self.assertFalse(Path("/tmp/ocx-absolute-member").exists())


class LayersTogetherTest(unittest.TestCase):
    """Archives pushed together are one tree to install: push checks them as extract merges them."""

    CASES = [
        ("same-file", [[("d", "bin"), ("f", "bin/a")], [("d", "bin"), ("f", "bin/a")]], REFUSE, {}),
        ("chain-through-a-layer", [[("l", "esc", "l/..")], [("l", "l", ".")]], REFUSE, {}),
        ("under-a-link-of-a-layer", [[("d", "real"), ("l", "d", "real")], [("f", "d/x")]], REFUSE, {}),
        ("limit-over-the-sum", [[("f", "a")], [("f", "b")]], REFUSE, {"OCX_RELEASE_MAX_UNPACKED": "10"}),
        ("two-good-layers", [[("d", "bin"), ("f", "bin/a")], [("d", "bin"), ("f", "bin/b")]], ACCEPT, {}),
    ]

    def setUp(self):
        self.dir = scratch()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.meta = self.dir / "metadata.json"
        self.meta.write_text('{"type":"bundle","version":1}')

    def test_push_and_install_agree_across_layers(self):
        for name, layers, expected, env in self.CASES:
            with self.subTest(name):
                work = self.dir / name
                work.mkdir()
                archives = [write_archive(work / ("layer%d.tar.xz" % i), m) for i, m in enumerate(layers)]
                for a in archives:  # each alone passes: only together are they refused
                    alone = run(["push", a, "-i", "oci:%s:alone" % (work / "alone"), "-p", "linux/amd64",
                                 "-m", self.meta])
                    self.assertEqual(alone.returncode, 0, str(alone))
                push = run(["push", *archives, "-i", "oci:%s:%s" % (work / "pushed", name), "-p", "linux/amd64",
                            "-m", self.meta], env=env)
                write_layers_layout(work / "foreign", name, archives)
                (work / "inst").mkdir()
                install = run(["install", "oci:%s:%s" % (work / "foreign", name), "-p", "linux/amd64",
                               "-o", work / "inst" / "out"], env=env)
                want = 65 if expected == REFUSE else 0
                self.assertEqual((push.returncode, install.returncode), (want, want), "%s\n%s" % (push, install))
                if expected == REFUSE:
                    self.assertEqual(reason(push.stderr), reason(install.stderr), "%s\n%s" % (push, install))
                    self.assertFalse((work / "pushed").exists())
                    self.assertEqual(list((work / "inst").iterdir()), [])


if __name__ == "__main__":
    unittest.main()
