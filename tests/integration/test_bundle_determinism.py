"""`ocx-release create` end to end: the same tree gives the same bytes whatever the file metadata and
the thread count, GNU tar and bsdtar extract it exactly, and a tree that cannot be bundled is refused
with exit code 65 before anything is written (docs/wire-format.md §6)."""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

from fixtures import release_bin


def build_tree(root, reverse=False, mtime=1_000_000_000, umask=0o022):
    members = [
        ("bin/", None),
        ("bin/mytool", b"#!/bin/sh\necho hi\n"),
        ("lib/", None),
        ("lib/libfoo.so.1", bytes(range(256)) * 400),
        ("lib/libfoo.so", "libfoo.so.1"),
        ("share/empty/", None),
        ("README", b"read me\n"),
    ]
    if reverse:
        members.reverse()
    old = os.umask(umask)
    try:
        os.makedirs(root)
        for name, data in members:
            path = os.path.join(root, name)
            if name.endswith("/"):
                os.makedirs(path, exist_ok=True)
            elif isinstance(data, str):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                os.symlink(data, path)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(data)
                if name == "bin/mytool":
                    os.chmod(path, 0o777 & ~umask)
    finally:
        os.umask(old)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.utime(os.path.join(dirpath, name), (mtime, mtime), follow_symlinks=False)


def describe(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                out[rel] = ("dir",)
            else:
                with open(path, "rb") as f:
                    out[rel] = ("file", bool(st.st_mode & 0o111), f.read())
    return out


class BundleDeterminism(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ocx-bundle-it-")
        self.dir = self.tmp.name
        env = dict(os.environ)
        env.pop("SOURCE_DATE_EPOCH", None)
        self.env = env

    def tearDown(self):
        self.tmp.cleanup()

    def create(self, source, out, jobs, expect=0):
        proc = subprocess.run(
            [release_bin(), "create", source, "-i", "mytool:1.0.0", "-p", "linux/amd64", "-o", out, "-j", str(jobs),
             "--format", "json"],
            capture_output=True, text=True, env=self.env)
        self.assertEqual(proc.returncode, expect, proc.stderr)
        return proc

    def test_same_bytes_for_any_metadata_and_thread_count(self):
        build_tree(os.path.join(self.dir, "a"))
        build_tree(os.path.join(self.dir, "b"), reverse=True, mtime=1_700_000_000, umask=0o077)
        results = []
        for tree, jobs in (("a", 1), ("b", 2), ("b", 0)):
            proc = self.create(os.path.join(self.dir, tree), os.path.join(self.dir, f"out-{tree}-{jobs}"), jobs)
            report = json.loads(proc.stdout)
            self.assertTrue(report["path"].endswith("mytool-1.0.0-linux-amd64.tar.xz"))
            with open(report["path"], "rb") as f:
                data = f.read()
            self.assertEqual(report["digest"], "sha256:" + hashlib.sha256(data).hexdigest())
            self.assertEqual(report["size"], len(data))
            results.append(data)
        self.assertEqual(results[0], results[1])
        self.assertEqual(results[0], results[2])

    def test_gnu_tar_and_bsdtar_extract_the_tree(self):
        src = os.path.join(self.dir, "src")
        build_tree(src, umask=0o077)
        report = json.loads(self.create(src, os.path.join(self.dir, "out"), 0).stdout)
        for tool, args in (("gnu", ["tar", "-xJf"]), ("bsd", ["bsdtar", "-xf"])):
            dest = os.path.join(self.dir, tool)
            os.makedirs(dest)
            subprocess.run(args + [report["path"], "-C", dest], check=True, env=dict(self.env, LC_ALL="C.UTF-8"))
            self.assertEqual(describe(dest), describe(src), tool)
            self.assertEqual(os.stat(os.path.join(dest, "bin", "mytool")).st_mode & 0o777, 0o755)
            self.assertEqual(os.stat(os.path.join(dest, "README")).st_mode & 0o777, 0o644)

    def test_escaping_symlink_is_refused_before_writing(self):
        src = os.path.join(self.dir, "src")
        build_tree(src)
        os.symlink("../../etc/passwd", os.path.join(src, "bin", "passwd"))
        out = os.path.join(self.dir, "out")
        proc = self.create(src, out, 1, expect=65)
        self.assertIn('"bin/passwd": symlink to "../../etc/passwd" leaves the package', proc.stderr)
        self.assertFalse(os.path.exists(out) and os.listdir(out))

    def test_runs_the_built_binary_not_the_one_on_path(self):
        # Outside ctest (no OCX_RELEASE_BIN) the tests run <source>/build/ocx-release, as every other
        # integration test does; an ocx-release on PATH, here one that only fails, is never run.
        source = os.path.join(self.dir, "source")
        os.makedirs(os.path.join(source, "build"))
        os.symlink(release_bin(), os.path.join(source, "build", "ocx-release"))
        fake_dir = os.path.join(self.dir, "path")
        os.makedirs(fake_dir)
        fake = os.path.join(fake_dir, "ocx-release")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\necho 'the ocx-release on PATH ran' >&2\nexit 97\n")
        os.chmod(fake, 0o755)
        env = {k: v for k, v in self.env.items() if k != "OCX_RELEASE_BIN"}
        env.update(OCX_SOURCE_DIR=source, PATH=fake_dir + os.pathsep + env.get("PATH", ""))
        proc = subprocess.run(
            [sys.executable, "-m", "unittest", "-v",
             "test_bundle_determinism.BundleDeterminism.test_escaping_symlink_is_refused_before_writing"],
            cwd=os.path.dirname(os.path.abspath(__file__)), env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("the ocx-release on PATH ran", proc.stderr)


if __name__ == "__main__":
    unittest.main()
