"""Fail fast (issue 14, item 5): before the first bundle, `release` (and `push`, `finalize`)
checks that the registry answers and takes the credentials with push scope. Wrong credentials
exit 80, an unresolvable host or a refused connection 69 at once (no retries) with "is a
registry listening at HOST?", naming the URL the user meant (http:// for a loopback registry),
not the internal https probe; and nothing is bundled or uploaded."""

from __future__ import annotations

import json
import os
import shutil
import time
import unittest
from pathlib import Path

from fixtures import File, Registry, TokenServer, free_port, make_tree, run
from release_helpers import METADATA, make_project, scratch

WRONG = "Wr0ng-Pw-ocx-secret"


def host_slug(host: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in host)


def big_project(base: Path, package: str, megabytes_per_platform: int = 30) -> Path:
    """Two content platforms of random (incompressible) bytes: ~60 MB that take a while to bundle."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "metadata.json").write_text(json.dumps(METADATA))
    platforms = []
    for name in ("linux-amd64", "linux-arm64"):
        make_tree(base / "build" / name, {"bin": {"hello": File("#!/bin/sh\necho hi\n", 0o755)},
                                          "data.bin": File(os.urandom(megabytes_per_platform << 20))})
        platforms.append({"platform": name.replace("-", "/"), "content": "build/" + name})
    matrix = {"schema": 1, "package": package, "tag": "1.0.0", "cascade": True, "metadata": "metadata.json",
              "output_dir": "out/bundles", "platforms": platforms}
    (base / "release.json").write_text(json.dumps(matrix))
    return base / "release.json"


class TestFailFast(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = Path(scratch())
        cls.reg = Registry(auth="htpasswd", users={"alice": "Pw-7qZ!x-ocx-secret"}).start()
        cls.matrix = big_project(cls.work / "big", "%s/fail/fast" % cls.reg.host)

    @classmethod
    def tearDownClass(cls):
        cls.reg.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def creds(self, password: str) -> dict:
        prefix = "OCX_AUTH_%s_" % host_slug(self.reg.host)
        return {prefix + "USER": "alice", prefix + "TOKEN": password}

    def test_wrong_credentials_fail_with_80_before_any_bundle(self):
        out = self.matrix.parent / "out" / "bundles"
        report_path = self.work / "wrong-creds-report.json"
        mark = self.reg.mark()
        start = time.monotonic()
        r = run(["release", self.matrix, "--report", report_path], env=self.creds(WRONG))
        elapsed = time.monotonic() - start
        self.assertEqual(r.returncode, 80, str(r))
        self.assertIn("authentication to %s failed" % self.reg.host, r.stderr)
        self.assertNotIn(WRONG, r.stderr)
        self.assertNotIn("bundled", r.stderr)
        bundles = [p.name for p in out.rglob("*")] if out.exists() else []
        self.assertEqual(bundles, [], "bundles were written before the check")
        writes = [(e.method, e.path, e.status) for e in self.reg.requests(since=mark)
                  if e.method in ("PUT", "PATCH") or (e.method == "POST" and e.status < 400)]
        self.assertEqual(writes, [], "the registry got a blob or manifest")
        rep = json.loads(report_path.read_text())
        self.assertEqual(rep["status"], "failed")
        self.assertEqual([(e["step"], e["kind"]) for e in rep["errors"]], [("check target", "auth")])
        self.assertEqual(rep["platforms"], [])
        print("\n  wrong credentials on %s: exit %d after %.2f s" % (self.matrix, r.returncode, elapsed))

    def test_right_credentials_pass_the_check_and_leave_no_upload_session(self):
        mark = self.reg.mark()
        small = big_project(self.work / "small", "%s/fail/small" % self.reg.host, megabytes_per_platform=1)
        r = run(["release", small, "--dry-run", "-v"], env=self.creds("Pw-7qZ!x-ocx-secret"))
        self.assertEqual(r.returncode, 0, str(r))
        self.assertIn("the registry answers and accepts the credentials", r.stderr)
        # A dry run writes nothing, not even an upload session.
        self.assertEqual([e for e in self.reg.requests(since=mark) if e.method in ("PUT", "POST", "PATCH", "DELETE")],
                         [])
        # A push checks read access only: no upload session is opened and cancelled; its first
        # write shows whether it may push (test_read_only_token_…).
        work = self.work / "push"
        tree = make_tree(work / "tree", {"bin": {"hello": File("#!/bin/sh\n", 0o755)}})
        (work / "metadata.json").write_text(json.dumps(METADATA))
        run(["create", tree, "-i", "hello:1.0.0", "-p", "linux/amd64", "-m", work / "metadata.json", "-o", work,
             "-f"], check=True)
        mark = self.reg.mark()
        r = run(["push", "-n", "-i", "%s/fail/push:1.0.0" % self.reg.host, "-p", "linux/amd64", "-v",
                 work / "hello-1.0.0-linux-amd64.tar.xz"], env=self.creds("Pw-7qZ!x-ocx-secret"))
        self.assertEqual(r.returncode, 0, str(r))
        self.assertIn("the registry answers and accepts the credentials", r.stderr)
        self.assertEqual([e for e in self.reg.requests(since=mark) if e.method == "DELETE"], [])

    def test_read_only_token_fails_the_check_before_any_bundle(self):
        # A token server grants what the user may have without an error: a read-only user gets
        # a pull-only token, and only the upload session shows that it cannot push.
        ts = TokenServer(users={"reader": "R3ad-0nly-ocx-secret"}, permissions={"reader": {"pull"}}).start()
        try:
            with Registry(auth="token", users={"reader": "R3ad-0nly-ocx-secret"}, token_server=ts) as reg:
                matrix = big_project(self.work / "readonly", "%s/fail/readonly" % reg.host, megabytes_per_platform=5)
                mark = reg.mark()
                r = run(["release", matrix], env={"OCX_AUTH_%s_USER" % host_slug(reg.host): "reader",
                                                  "OCX_AUTH_%s_TOKEN" % host_slug(reg.host): "R3ad-0nly-ocx-secret"})
                self.assertIn(r.returncode, (77, 80), str(r))
                self.assertIn("push access check", r.stderr)
                self.assertNotIn("bundled", r.stderr)
                self.assertFalse((matrix.parent / "out" / "bundles").exists())
                self.assertEqual([(e.method, e.path) for e in reg.requests(since=mark) if e.method in ("PUT", "PATCH")],
                                 [])
                # push finds it at its first write, an upload session, before anything is stored.
                work = self.work / "readonly-push"
                tree = make_tree(work / "tree", {"bin": {"hello": File("#!/bin/sh\n", 0o755)}})
                (work / "metadata.json").write_text(json.dumps(METADATA))
                run(["create", tree, "-i", "hello:1.0.0", "-p", "linux/amd64", "-m", work / "metadata.json", "-o",
                     work, "-f"], check=True)
                mark = reg.mark()
                r = run(["push", "-n", "-i", "%s/fail/readonly:1.0.0" % reg.host, "-p", "linux/amd64",
                         work / "hello-1.0.0-linux-amd64.tar.xz"],
                        env={"OCX_AUTH_%s_USER" % host_slug(reg.host): "reader",
                             "OCX_AUTH_%s_TOKEN" % host_slug(reg.host): "R3ad-0nly-ocx-secret"})
                self.assertIn(r.returncode, (77, 80), str(r))
                self.assertIn("POST blob upload", r.stderr)
                self.assertEqual([(e.method, e.path) for e in reg.requests(since=mark)
                                  if e.method in ("PUT", "PATCH") or (e.method == "POST" and e.status < 400)], [])
        finally:
            ts.stop()

    def test_finalize_checks_the_credentials_before_writing_a_tag(self):
        matrix = make_project(self.work / "shards", "%s/fail/finalize" % self.reg.host)
        part = self.work / "part-amd64.json"
        ok = self.creds("Pw-7qZ!x-ocx-secret")
        run(["release", matrix, "--shard", "linux/amd64", "--report", part], env=ok, check=True)
        mark = self.reg.mark()
        r = run(["finalize", matrix, part], env=self.creds(WRONG))
        self.assertEqual(r.returncode, 80, str(r))
        self.assertIn("authentication to %s failed" % self.reg.host, r.stderr)
        self.assertEqual([(e.method, e.path) for e in self.reg.requests(since=mark)
                          if e.method in ("PUT", "PATCH") or (e.method == "POST" and e.status < 400)], [])


class TestOpenRegistry(unittest.TestCase):
    """A registry that asks for no credentials: choosing http over https pings GET /v2/ once, and
    its 200 is all the check needs, so no second ping follows (issue 19, item 4)."""

    def test_one_get_v2_per_push_and_release(self):
        with Registry() as reg:
            work = Path(scratch())
            self.addCleanup(shutil.rmtree, work, True)
            tree = make_tree(work / "tree", {"bin": {"hello": File("#!/bin/sh\n", 0o755)}})
            (work / "metadata.json").write_text(json.dumps(METADATA))
            run(["create", tree, "-i", "hello:1.0.0", "-p", "linux/amd64", "-m", work / "metadata.json", "-o", work,
                 "-f"], check=True)
            mark = reg.mark()
            r = run(["push", "-n", "-i", "%s/open/push:1.0.0" % reg.host, "-p", "linux/amd64",
                     work / "hello-1.0.0-linux-amd64.tar.xz"])
            self.assertEqual(r.returncode, 0, str(r))
            self.assertEqual(reg.count("GET", "^/v2/$", since=mark), 1)
            small = big_project(work / "small", "%s/open/release" % reg.host, megabytes_per_platform=1)
            mark = reg.mark()
            r = run(["release", small])
            self.assertEqual(r.returncode, 0, str(r))
            self.assertEqual(reg.count("GET", "^/v2/$", since=mark), 1)
            # release's push access check still ran: its upload session opened and cancelled.
            self.assertEqual([(e.method, e.status) for e in reg.requests(since=mark)
                              if e.method in ("POST", "DELETE")][:2], [("POST", 202), ("DELETE", 204)])


class TestUnreachable(unittest.TestCase):
    def setUp(self):
        self.work = Path(scratch())
        self.addCleanup(shutil.rmtree, self.work, True)

    def test_unresolvable_host_is_69_at_once_without_retry(self):
        matrix = big_project(self.work / "p", "nonexistent.invalid:5000/acme/tool", megabytes_per_platform=1)
        start = time.monotonic()
        r = run(["release", matrix], timeout=60)
        elapsed = time.monotonic() - start
        self.assertEqual(r.returncode, 69, str(r))
        self.assertIn("is a registry listening at nonexistent.invalid:5000?", r.stderr)
        self.assertIn("https://nonexistent.invalid:5000/v2/", r.stderr)
        self.assertNotIn("retrying", r.stderr)
        self.assertNotIn("gave up", r.stderr)
        self.assertFalse((matrix.parent / "out" / "bundles").exists() and
                         any((matrix.parent / "out" / "bundles").iterdir()))
        # One attempt: a retried DNS failure would sleep its backoff (0.5 s, 1 s, …) first.
        self.assertEqual(r.stderr.count("error:"), 1, str(r))
        self.assertLess(elapsed, 30, "took %.1f s" % elapsed)

    def test_refused_connection_on_loopback_names_the_http_url(self):
        port = free_port()
        matrix = big_project(self.work / "p", "127.0.0.1:%d/acme/tool" % port, megabytes_per_platform=1)
        r = run(["release", matrix, "-vv"], timeout=60)
        self.assertEqual(r.returncode, 69, str(r))
        self.assertIn("error: GET http://127.0.0.1:%d/v2/: " % port, r.stderr)
        self.assertIn("is a registry listening at 127.0.0.1:%d?" % port, r.stderr)
        self.assertNotIn("error: GET https://", r.stderr)
        self.assertNotIn("retrying", r.stderr)
        # -vv shows every request: the https probe, the plain one, and nothing after them.
        sent = [l for l in r.stderr.splitlines() if l.startswith("debug: > ")]
        self.assertEqual(sent, ["debug: > GET https://127.0.0.1:%d/v2/" % port,
                                "debug: > GET http://127.0.0.1:%d/v2/" % port], r.stderr)
        # push: the same answer, before any upload.
        tree = make_tree(self.work / "tree", {"bin": {"hello": File("#!/bin/sh\n", 0o755)}})
        run(["create", tree, "-i", "hello:1.0.0", "-p", "linux/amd64", "-m", self.work / "p" / "metadata.json",
             "-o", self.work, "-f"], check=True)
        r = run(["push", "-n", "-i", "127.0.0.1:%d/acme/tool:1.0.0" % port, "-p", "linux/amd64",
                 self.work / "hello-1.0.0-linux-amd64.tar.xz"])
        self.assertEqual(r.returncode, 69, str(r))
        self.assertIn("error: GET http://127.0.0.1:%d/v2/: " % port, r.stderr)
        self.assertIn("is a registry listening at 127.0.0.1:%d?" % port, r.stderr)

if __name__ == "__main__":
    unittest.main()
