"""The integration fixtures prove themselves against the real docker-registry, skopeo and curl-free
urllib clients (the CLI is not involved): if these fail, every other integration test is suspect."""

import base64
import hashlib
import json
import os
import stat
import tempfile
import threading
import time
import unittest
from pathlib import Path

import fixtures
from fault_proxy import WRONG_DIGEST
from fixtures import (FaultProxy, File, Registry, Symlink, TokenServer, held, make_tree, registry_get, reset, respond,
                      run, skopeo_copy, skopeo_copy_all, skopeo_inspect_raw, stall, truncate, write_image_layout,
                      wrong_digest)

OCTET = {"Content-Type": "application/octet-stream"}


def upload_blob(base_url: str, repo: str, data: bytes, auth=None, ca_file=None) -> fixtures.Response:
    """POST + monolithic PUT, as the distribution spec describes; returns the PUT response."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    start = registry_get(base_url, "/v2/%s/blobs/uploads/" % repo, method="POST", data=b"", auth=auth,
                         ca_file=ca_file)
    if start.status != 202:
        return start
    location = start.headers["location"]
    sep = "&" if "?" in location else "?"
    return registry_get(location, sep + "digest=" + digest, method="PUT", data=data, headers=OCTET, auth=auth,
                        ca_file=ca_file)


def jwt_part(token: str, index: int) -> dict:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class TestRegistry(unittest.TestCase):
    def test_plain_registry_stores_blobs_and_logs_requests(self):
        with Registry() as reg:
            self.assertRegex(reg.host, r"^127\.0\.0\.1:\d+$")
            self.assertEqual(registry_get(reg.url, "/v2/").status, 200)
            data = b"hello blob\n"
            put = upload_blob(reg.url, "acme/tool", data)
            self.assertEqual(put.status, 201, put.body)
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            self.assertEqual(put.headers["docker-content-digest"], digest)
            head = registry_get(reg.url, "/v2/acme/tool/blobs/" + digest, method="HEAD")
            self.assertEqual(head.status, 200)
            self.assertEqual(head.headers["content-length"], str(len(data)))
            # The access log counts requests per path (startup probes excluded by default).
            self.assertEqual(reg.count("POST", r"/blobs/uploads/$"), 1)
            self.assertEqual(reg.count("PUT", r"/blobs/uploads/"), 1)
            self.assertEqual(reg.count("HEAD"), 1)
            self.assertEqual(reg.count("GET", r"^/v2/$"), 1)
            mark = reg.mark()
            registry_get(reg.url, "/v2/acme/tool/tags/list")
            self.assertEqual([(e.method, e.status) for e in reg.requests(since=mark)], [("GET", 404)])
            stored = Path(reg.storage_dir, "docker/registry/v2/blobs/sha256", digest[7:9], digest[7:], "data")
            self.assertEqual(stored.read_bytes(), data)
            workdir, proc = reg.dir, reg.proc
        self.assertFalse(os.path.exists(workdir))
        self.assertIsNotNone(proc.poll())

    def test_missing_binary_fails_instead_of_skipping(self):
        saved = fixtures.REGISTRY_BIN
        fixtures.REGISTRY_BIN = "/nonexistent/docker-registry"
        try:
            with self.assertRaises(RuntimeError) as ctx:
                Registry().start()
            self.assertIn("docker-registry not found at /nonexistent/docker-registry", str(ctx.exception))
        finally:
            fixtures.REGISTRY_BIN = saved

    def test_htpasswd(self):
        with Registry(auth="htpasswd", users={"bob": "hunter2"}) as reg:
            anonymous = registry_get(reg.url, "/v2/")
            self.assertEqual(anonymous.status, 401)
            self.assertTrue(anonymous.headers["www-authenticate"].startswith("Basic "))
            self.assertEqual(registry_get(reg.url, "/v2/", auth=("bob", "wrong")).status, 401)
            self.assertEqual(registry_get(reg.url, "/v2/", auth=("bob", "hunter2")).status, 200)
            self.assertEqual(reg.creds, "bob:hunter2")

    def test_tls_needs_the_ca(self):
        with Registry(tls=True) as reg:
            self.assertTrue(reg.url.startswith("https://127.0.0.1:"))
            untrusted = registry_get(reg.url, "/v2/")
            self.assertEqual(untrusted.status, 0)
            self.assertIn("CERTIFICATE_VERIFY_FAILED", untrusted.error)
            self.assertEqual(registry_get(reg.url, "/v2/", ca_file=reg.ca_file).status, 200)
            self.assertEqual(os.listdir(reg.cert_dir), ["ca.crt"])

    def test_read_only_registry_refuses_writes(self):
        with Registry(read_only=True) as reg:
            self.assertEqual(registry_get(reg.url, "/v2/").status, 200)
            refused = registry_get(reg.url, "/v2/acme/tool/blobs/uploads/", method="POST", data=b"")
            self.assertEqual(refused.status, 405)
            self.assertEqual(registry_get(reg.url, "/v2/acme/tool/tags/list").status, 404)


class TestTokenAuth(unittest.TestCase):
    def test_token_flow_end_to_end(self):
        with TokenServer(users={"alice": "secret", "reader": "pw"}, permissions={"reader": {"pull"}}) as ts, \
                Registry(auth="token", token_server=ts) as reg:
            challenge = registry_get(reg.url, "/v2/")
            self.assertEqual(challenge.status, 401)
            self.assertEqual(challenge.headers["www-authenticate"],
                             'Bearer realm="%s",service="%s"' % (ts.realm, ts.service))

            self.assertEqual(registry_get(ts.realm, "?service=%s" % ts.service).status, 401)
            self.assertEqual(registry_get(ts.realm, "?service=%s" % ts.service, auth=("alice", "nope")).status, 401)
            got = registry_get(ts.realm, "?service=%s&scope=repository:acme/tool:pull,push" % ts.service,
                               auth=("alice", "secret"))
            self.assertEqual(got.status, 200)
            token = got.json()["token"]
            header, claims = jwt_part(token, 0), jwt_part(token, 1)
            self.assertEqual(header["alg"], "RS256")
            self.assertRegex(header["kid"], r"^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$")
            self.assertEqual((claims["iss"], claims["aud"], claims["sub"]), (ts.issuer, ts.service, "alice"))
            self.assertEqual(claims["access"], [{"type": "repository", "name": "acme/tool",
                                                 "actions": ["pull", "push"]}])

            self.assertEqual(registry_get(reg.url, "/v2/", auth="Bearer " + token).status, 200)
            self.assertEqual(registry_get(reg.url, "/v2/", auth="Bearer " + token[:-4] + "AAAA").status, 401)
            # The scoped token lets alice push; the helper follows the challenge by itself.
            self.assertEqual(upload_blob(reg.url, "acme/tool", b"x", auth=("alice", "secret")).status, 201)
            # A pull-only user gets a token without push, which the registry refuses.
            denied = upload_blob(reg.url, "acme/tool", b"y", auth=("reader", "pw"))
            self.assertEqual(denied.status, 401)
            self.assertIn('error="insufficient_scope"', denied.headers["www-authenticate"])
            last = ts.requests[-1]
            self.assertEqual((last["user"], last["status"]), ("reader", 200))
            # The registry lists the actions in no fixed order (a Go map).
            self.assertEqual(len(last["scopes"]), 1)
            name, _, actions = last["scopes"][0].rpartition(":")
            self.assertEqual((name, sorted(actions.split(","))), ("repository:acme/tool", ["pull", "push"]))

    def test_fail_next_and_post_grant(self):
        with TokenServer() as ts:
            ts.fail_next(503)
            url = "?service=%s&scope=repository:a/b:pull" % ts.service
            self.assertEqual(registry_get(ts.realm, url, auth=("alice", "secret")).status, 503)
            self.assertEqual(registry_get(ts.realm, url, auth=("alice", "secret")).status, 200)
            form = "grant_type=password&username=alice&password=secret&service=%s&scope=repository:a/b:pull" % ts.service
            post = registry_get(ts.realm, "", method="POST", data=form.encode(),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
            self.assertEqual(post.status, 200)
            self.assertEqual(jwt_part(post.json()["access_token"], 1)["access"][0]["actions"], ["pull"])
            self.assertEqual([r["status"] for r in ts.requests], [503, 200, 200])
            self.assertNotIn("secret", json.dumps(ts.requests))  # passwords are never recorded


class TestFaultProxy(unittest.TestCase):
    def test_faults_then_pass_through(self):
        with Registry() as reg, FaultProxy(reg.host) as proxy:
            rule = proxy.inject(respond(503), method="GET", path=r"^/v2/$")
            self.assertEqual(registry_get(proxy.url, "/v2/").status, 503)
            self.assertEqual(registry_get(proxy.url, "/v2/").status, 200)
            self.assertEqual((rule.seen, rule.fired), (2, 1))
            self.assertEqual(proxy.count("GET", r"^/v2/$"), 2)
            self.assertEqual(reg.count("GET", r"^/v2/$"), 1)  # the 503 never reached the registry

            proxy.inject(respond(429, {"Retry-After": "2"}), path="/tags/list", nth=2)
            self.assertEqual(registry_get(proxy.url, "/v2/a/tags/list").status, 404)
            limited = registry_get(proxy.url, "/v2/a/tags/list")
            self.assertEqual((limited.status, limited.headers["retry-after"]), (429, "2"))

            data = os.urandom(256 * 1024)
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            proxy.inject(reset(after_bytes=4096), method="PUT", path="/blobs/uploads/")
            cut = upload_blob(proxy.url, "acme/tool", data)
            self.assertEqual(cut.status, 0)
            self.assertIn("reset", cut.error.lower())
            self.assertEqual(reg.count("PUT"), 0)
            # Location URLs point back at the proxy, so a retry goes through it and succeeds.
            self.assertEqual(upload_blob(proxy.url, "acme/tool", data).status, 201)
            self.assertEqual(reg.count("PUT"), 1)

            blob_path = "/v2/acme/tool/blobs/" + digest
            proxy.inject(truncate(1000), method="GET", path="/blobs/sha256:")
            short = registry_get(proxy.url, blob_path)
            self.assertEqual((short.status, len(short.body)), (200, 1000))
            self.assertIn("incomplete body", short.error)
            self.assertEqual(registry_get(proxy.url, blob_path).body, data)

            proxy.inject(wrong_digest(), method="HEAD")
            lied = registry_get(proxy.url, blob_path, method="HEAD")
            self.assertEqual(lied.headers["docker-content-digest"], WRONG_DIGEST)
            self.assertEqual(lied.headers["content-length"], str(len(data)))
            self.assertEqual(registry_get(proxy.url, blob_path, method="HEAD").headers["docker-content-digest"], digest)

            # A held request is answered only once the test says so, and never reaches the registry.
            release = threading.Event()
            proxy.inject(held(release, 503), method="GET", path="/held/")
            answer = []
            waiter = threading.Thread(target=lambda: answer.append(registry_get(proxy.url, "/v2/held/tags/list")),
                                      daemon=True)
            waiter.start()
            try:
                waiter.join(0.5)
                self.assertEqual(answer, [])
            finally:
                release.set()
            waiter.join(10)
            self.assertEqual(answer[0].status, 503)
            self.assertEqual(reg.count("GET", "/held/"), 0)

            proxy.inject(stall(5), method="GET", path="/stalled/")
            started = time.monotonic()
            timed_out = registry_get(proxy.url, "/v2/stalled/tags/list", timeout=0.5)
            self.assertEqual(timed_out.status, 0)
            self.assertIn("timed out", timed_out.error)
            self.assertLess(time.monotonic() - started, 3)
            stop_started = time.monotonic()
        self.assertLess(time.monotonic() - stop_started, 3)  # stop() wakes the stalled handler


class TestSkopeoHelpers(unittest.TestCase):
    def test_push_inspect_copy_over_tls_with_credentials(self):
        with tempfile.TemporaryDirectory() as tmp, Registry(tls=True, auth="htpasswd") as reg:
            image = write_image_layout(os.path.join(tmp, "src"), "v1")
            ref = reg.host + "/acme/image:v1"
            skopeo_copy("oci:%s/src:v1" % tmp, ref, creds=reg.creds, cert_dir=reg.cert_dir, tls_verify=True)
            raw = skopeo_inspect_raw(ref, tls_verify=True, creds=reg.creds, cert_dir=reg.cert_dir)
            self.assertEqual(raw, image["manifest"])
            with self.assertRaises(AssertionError) as ctx:
                skopeo_inspect_raw(ref, tls_verify=True, creds=reg.creds)  # no CA: must fail
            self.assertNotIn(reg.password, str(ctx.exception))
            dest = skopeo_copy_all(ref, os.path.join(tmp, "back"), tag="t", creds=reg.creds, cert_dir=reg.cert_dir,
                                   tls_verify=True)
            self.assertEqual(dest, "oci:%s/back:t" % tmp)
            self.assertEqual(skopeo_inspect_raw(dest), image["manifest"])
            tags = registry_get(reg.url, "/v2/acme/image/tags/list", auth=(reg.username, reg.password),
                                ca_file=reg.ca_file)
            self.assertEqual(tags.json(), {"name": "acme/image", "tags": ["v1"]})
            got = registry_get(reg.url, "/v2/acme/image/manifests/v1", auth=(reg.username, reg.password),
                               accept="application/vnd.oci.image.manifest.v1+json", ca_file=reg.ca_file)
            self.assertEqual(got.body, image["manifest"])
            self.assertEqual(got.headers["docker-content-digest"], image["digest"])


class TestHelpers(unittest.TestCase):
    def test_make_tree(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = make_tree(Path(tmp, "pkg"), {
                "bin": {"tool": File("#!/bin/sh\necho hi\n", 0o755)},
                "share": {"doc": {"README": "read me\n"}, "empty": {}},
                "data.bin": b"\x00\x01",
                "link": Symlink("bin/tool"),
            })
            self.assertEqual((root / "bin/tool").read_text(), "#!/bin/sh\necho hi\n")
            self.assertEqual(stat.S_IMODE((root / "bin/tool").stat().st_mode), 0o755)
            self.assertEqual(stat.S_IMODE((root / "data.bin").stat().st_mode), 0o644)
            self.assertEqual((root / "share/doc/README").read_text(), "read me\n")
            self.assertTrue((root / "share/empty").is_dir())
            self.assertEqual(os.readlink(root / "link"), "bin/tool")

    def test_run_captures_output_in_a_hermetic_environment(self):
        with tempfile.TemporaryDirectory() as tmp:
            fake = Path(tmp, "ocx-release")
            fake.write_text('#!/bin/sh\necho "args:$*"\necho "auth:${OCX_AUTH_x_TOKEN:-unset} '
                            'cfg:$DOCKER_CONFIG extra:$EXTRA" >&2\nexit 3\n')
            fake.chmod(0o755)
            saved = dict(os.environ)
            os.environ.update({"OCX_RELEASE_BIN": str(fake), "OCX_AUTH_x_TOKEN": "leak"})
            try:
                r = run(["push", "-n", "oci:x:1"], env={"EXTRA": "1"})
                self.assertEqual(r.returncode, 3)
                self.assertEqual(r.stdout, "args:push -n oci:x:1\n")
                self.assertRegex(r.stderr, r"^auth:unset cfg:\S+docker-config extra:1\n$")
                with self.assertRaises(AssertionError) as ctx:
                    run(["x"], check=True)
                self.assertIn("[exit 3]", str(ctx.exception))
            finally:
                os.environ.clear()
                os.environ.update(saved)


if __name__ == "__main__":
    unittest.main()
