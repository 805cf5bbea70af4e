"""Decompression bombs (issue 17 item 2): unpacking is bounded in file bytes and members, while it
happens — `install`, `exec`'s cache and `push`'s archive check apply the same limits
(bundle/limits.hpp): by default max(1 GiB, 100 x the compressed size) bytes and 1,000,000
members; --max-unpacked-size / --max-entries or OCX_RELEASE_MAX_UNPACKED / OCX_RELEASE_MAX_ENTRIES
set them. A limit hit is exit 65 naming the layer, the member and the way to raise it, and the
partial tree is removed.

Bombs reach install through a layout written by another tool (push refuses them). Most cases use
a small limit set through the environment or a flag; one uses the default on a ~0.8 MiB .tar.xz
that declares a 5 GiB file of zeros (concatenated xz streams, so it is cheap to make): it is
refused at that member's header, before its bytes are written.
"""

from __future__ import annotations

import io
import lzma
import os
import re
import shutil
import tarfile
import unittest
from pathlib import Path

from fixtures import run
from release_helpers import scratch
from test_consumer import METADATA, write_unchecked_layout

MIB = 1 << 20
GIB = 1 << 30


def zeros_archive(path: Path, members: list[tuple[str, int]]) -> Path:
    """A .tar.xz of files of zeros, made with tarfile (small sizes only)."""
    with tarfile.open(path, "w:xz", format=tarfile.PAX_FORMAT) as tar:
        for name, size in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = size, 0o644, 0
            tar.addfile(info, io.BytesIO(bytes(size)))
    return path


def zero_bomb(path: Path, name: str, size: int, chunk: int = 64 * MIB) -> Path:
    """A valid .tar.xz holding one file of `size` zero bytes, as concatenated xz streams: the header,
    one 64 MiB block of zeros compressed once and repeated, then the tail and the end blocks."""
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, 0
    block = lzma.compress(bytes(chunk), preset=6)
    rest = size % chunk
    tail = bytes(rest + (-rest % 512)) + bytes(1024)  # the data's padding, then tar's end marker
    with open(path, "wb") as f:
        f.write(lzma.compress(info.tobuf(format=tarfile.PAX_FORMAT)))
        for _ in range(size // chunk):
            f.write(block)
        f.write(lzma.compress(tail))
    return path


class UnpackLimitsTest(unittest.TestCase):
    def setUp(self):
        self.dir = scratch()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.layout = self.dir / "layout"
        self.meta = self.dir / "metadata.json"
        self.meta.write_text('{"type":"bundle","version":1}')

    def publish(self, tag: str, archive: Path) -> str:
        write_unchecked_layout(self.layout, tag, "linux/amd64", archive, METADATA)
        return "oci:%s:%s" % (self.layout, tag)

    def install(self, ref: str, out: Path, *args, env=None):
        return run(["install", ref, "-p", "linux/amd64", "-o", out, *args], env=env)

    def test_install_stops_at_the_byte_limit_and_removes_the_partial_tree(self):
        # a, b fit under 3 MiB; c crosses it: a and b are already on disk when c is refused.
        archive = zeros_archive(self.dir / "bytes.tar.xz", [("a", MIB), ("b", MIB), ("c", 2 * MIB)])
        ref = self.publish("bytes", archive)
        parent = self.dir / "inst"
        parent.mkdir()
        r = self.install(ref, parent / "out", env={"OCX_RELEASE_MAX_UNPACKED": "3M"})
        self.assertEqual(r.returncode, 65, str(r))
        self.assertRegex(r.stderr, r'error: layer 1 \(sha256:[0-9a-f]{12}\): "c": unpacks to more than 3 MiB, '
                                   r'the limit set \(raise it with --max-unpacked-size or OCX_RELEASE_MAX_UNPACKED\)')
        self.assertEqual(list(parent.iterdir()), [])
        # The flag wins over the variable; at the limit it installs.
        r = self.install(ref, parent / "out", "--max-unpacked-size", "4M", env={"OCX_RELEASE_MAX_UNPACKED": "3M"})
        self.assertEqual(r.returncode, 0, str(r))
        self.assertEqual((parent / "out" / "content" / "c").stat().st_size, 2 * MIB)

    def test_install_and_exec_stop_at_the_entry_limit(self):
        archive = zeros_archive(self.dir / "many.tar.xz", [("f%03d" % i, 0) for i in range(150)])
        ref = self.publish("many", archive)
        r = self.install(ref, self.dir / "out", "--max-entries", "100")
        self.assertEqual(r.returncode, 65, str(r))
        self.assertIn('"f100": more than 100 members, the limit for unpacking (raise it with --max-entries or '
                      'OCX_RELEASE_MAX_ENTRIES)', r.stderr)
        self.assertFalse((self.dir / "out").exists())
        cache = self.dir / "cache"
        env = {"OCX_RELEASE_CACHE": cache, "OCX_RELEASE_MAX_ENTRIES": "100"}
        r = run(["exec", ref, "-p", "linux/amd64", "--", "true"], env=env)
        self.assertEqual(r.returncode, 65, str(r))
        self.assertIn('"f100": more than 100 members', r.stderr)
        packages = cache / "packages"
        self.assertEqual([p.name for p in packages.iterdir() if not p.name.endswith(".lock")], [])
        env["OCX_RELEASE_MAX_ENTRIES"] = "150"
        self.assertEqual(run(["exec", ref, "-p", "linux/amd64", "--", "true"], env=env).returncode, 0)

    def test_push_checks_archives_against_the_same_limits(self):
        archive = zeros_archive(self.dir / "tool.tar.xz", [("a", MIB), ("b", MIB)])
        args = ["push", archive, "-i", "oci:%s:1.0.0" % (self.dir / "pushed"), "-p", "linux/amd64", "-m", self.meta]
        r = run(args, env={"OCX_RELEASE_MAX_UNPACKED": "1536K"})
        self.assertEqual(r.returncode, 65, str(r))
        self.assertIn('%s: "b": unpacks to more than 1536 KiB, the limit set' % archive, r.stderr)
        self.assertFalse((self.dir / "pushed").exists())
        # A record of an earlier pass does not vouch past today's limit.
        self.assertEqual(run(args).returncode, 0)
        r = run(args + ["--max-unpacked-size", "1536K"])
        self.assertEqual(r.returncode, 65, str(r))
        self.assertIn('"b": unpacks to more than 1536 KiB', r.stderr)
        r = run(args, env={"OCX_RELEASE_MAX_ENTRIES": "1"})
        self.assertEqual(r.returncode, 65, str(r))
        self.assertIn('"b": more than 1 members', r.stderr)

    def test_push_counts_what_follows_the_last_member(self):
        # One small member, then 64 MiB of zeros in the same xz stream: tar reads them as padding
        # and stops, but the check decompresses the stream to its end, so they count.
        tar = io.BytesIO()
        with tarfile.open(fileobj=tar, mode="w", format=tarfile.PAX_FORMAT) as t:
            info = tarfile.TarInfo("bin/tool")
            info.size, info.mode, info.mtime = 5, 0o755, 0
            t.addfile(info, io.BytesIO(b"hello"))
        archive = self.dir / "padded.tar.xz"
        archive.write_bytes(lzma.compress(tar.getvalue() + bytes(64 * MIB), preset=6))
        args = ["push", archive, "-i", "oci:%s:1.0.0" % (self.dir / "padded"), "-p", "linux/amd64", "-m", self.meta]
        r = run(args + ["--max-unpacked-size", "32M"])
        self.assertEqual(r.returncode, 65, str(r))
        self.assertIn("%s: the data after the last member unpacks past 32 MiB with the members, the unpack limit "
                      "(raise it with --max-unpacked-size" % archive, r.stderr)
        self.assertFalse((self.dir / "padded").exists())
        self.assertEqual(run(args + ["--max-unpacked-size", "80M"]).returncode, 0)

    def test_bad_limit_values_are_usage_errors(self):
        archive = zeros_archive(self.dir / "tool.tar.xz", [("a", 1)])
        ref = self.publish("ok", archive)
        cases = [
            (["--max-unpacked-size", "lots"], {}, '--max-unpacked-size: "lots" is not a size'),
            (["--max-unpacked-size", "0"], {}, '--max-unpacked-size: "0" is not a size'),
            (["--max-entries", "1k"], {}, '--max-entries: "1k" is not a positive whole number'),
            ([], {"OCX_RELEASE_MAX_UNPACKED": "-5"}, 'OCX_RELEASE_MAX_UNPACKED: "-5" is not a size'),
            ([], {"OCX_RELEASE_MAX_ENTRIES": "x\x1b[31m"},
             'OCX_RELEASE_MAX_ENTRIES: "x\\x1B[31m" is not a positive whole number'),
        ]
        for flags, env, message in cases:
            with self.subTest(flags=flags, env=env):
                r = self.install(ref, self.dir / "out", *flags, env=env)
                self.assertEqual(r.returncode, 64, str(r))
                self.assertIn(message, r.stderr)
                self.assertNotIn("\x1b", r.stderr)
                self.assertFalse((self.dir / "out").exists())

    def test_the_default_limit_refuses_the_2_gib_bomb_before_writing_it(self):
        bomb = zero_bomb(self.dir / "bomb.tar.xz", "zeros", 2 * GIB)
        size = bomb.stat().st_size
        self.assertLess(size, MIB)  # ~0.3 MiB that would unpack to 2 GiB
        expected = ('"zeros": unpacks to more than 1 GiB, the limit for %d compressed bytes: the larger of 1 GiB and '
                    '100 times that (raise it with --max-unpacked-size or OCX_RELEASE_MAX_UNPACKED)' % size)
        r = run(["push", bomb, "-i", "oci:%s:1.0.0" % (self.dir / "pushed"), "-p", "linux/amd64", "-m", self.meta])
        self.assertEqual(r.returncode, 65, str(r))
        self.assertIn("%s: %s" % (bomb, expected), r.stderr)
        ref = self.publish("bomb", bomb)
        parent = self.dir / "inst"
        parent.mkdir()
        r = self.install(ref, parent / "out")
        self.assertEqual(r.returncode, 65, str(r))
        self.assertRegex(r.stderr, r"error: layer 1 \(sha256:[0-9a-f]{12}\): " + re.escape(expected))
        self.assertEqual(list(parent.iterdir()), [])


if __name__ == "__main__":
    unittest.main()
