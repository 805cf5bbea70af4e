"""`ocx-release push` against registries that need credentials or TLS (docs/cli.md "Credentials",
"Targets"): htpasswd Basic, Bearer tokens from a token server, a self-signed CA. Credentials come
from OCX_AUTH_<HOST>_TYPE/USER/TOKEN or a Docker config.json; wrong ones exit 80 naming the
registry, and no secret ever reaches stdout, stderr or the report, at any verbosity."""

from __future__ import annotations

import base64
import json
import subprocess
import tempfile
import unittest
from pathlib import Path

from fault_proxy import FaultProxy
from fixtures import run, skopeo_inspect_raw
from test_push import AMD, ARM, RegistryHarness, sha256

PASSWORD = "Pw-7qZ!x-ocx-secret"
WRONG = "Wr0ng-Pw-ocx-secret"


def host_slug(host: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in host)


class AuthHarness(RegistryHarness):
    def env_creds(self, user: str | None = "alice", token: str | None = PASSWORD, type_: str | None = None) -> dict:
        prefix = "OCX_AUTH_%s_" % host_slug(self.reg.host)
        env = {}
        if type_ is not None:
            env[prefix + "TYPE"] = type_
        if user is not None:
            env[prefix + "USER"] = user
        if token is not None:
            env[prefix + "TOKEN"] = token
        return env

    def docker_config(self, entry: dict) -> dict:
        """A DOCKER_CONFIG directory whose config.json has auths[host] = entry."""
        d = tempfile.mkdtemp(dir=self._tmp, prefix="docker-config-")
        Path(d, "config.json").write_text(json.dumps({"auths": {self.reg.host: entry}}))
        return {"DOCKER_CONFIG": d}

    @staticmethod
    def auth_entry(user: str, password: str) -> dict:
        return {"auth": base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}

    def assertNoSecret(self, result, *secrets: str):
        """None of the secrets (nor the Basic header made of them) in stdout or stderr."""
        forms = set()
        for s in secrets:
            forms |= {s, base64.b64encode(("alice:%s" % s).encode()).decode()}
        for form in forms:
            self.assertNotIn(form, result.stdout, "secret in stdout")
            self.assertNotIn(form, result.stderr, "secret in stderr")

    def assertAuthFailure(self, repo: str, env: dict, secret: str, *flags: str):
        """At default verbosity, -v and -vv: exit 80, the registry host named, the secret nowhere,
        the report's error of kind auth, and nothing written."""
        for verbosity in ([], ["-v"], ["-vv"]):
            with self.subTest(verbosity=verbosity, flags=flags):
                mark = self.reg.mark()
                report, result = self.push(repo, "1.0.0", AMD, None, *flags, *verbosity, env=env, expect=80)
                self.assertIn(self.reg.host, result.stderr)
                self.assertIn("authentication to %s failed" % self.reg.host, result.stderr)
                self.assertNoSecret(result, secret)
                self.assertEqual(report["status"], "failed")
                self.assertEqual([e["kind"] for e in report["errors"]], ["auth"])
                self.assertNotIn(secret, json.dumps(report))
                self.assertEqual(self.writes_since(mark, accepted_only=True), [])
                if verbosity == ["-vv"]:  # the wire log is there, just without secrets
                    self.assertIn("debug: > ", result.stderr)
        self.assertEqual(self.store.tag_list(repo), [])


class TestHtpasswd(AuthHarness):
    registry_kwargs = {"auth": "htpasswd", "users": {"alice": PASSWORD}}

    def test_env_basic_with_and_without_type(self):
        for i, type_ in enumerate(("basic", "BASIC", None)):
            with self.subTest(type=type_):
                repo = "htpasswd/env%d" % i
                report, result = self.push(repo, "1.0.0", AMD, None, "-n", "-c", "-vv",
                                           env=self.env_creds(type_=type_))
                self.assertEqual(report["status"], "published")
                self.assertIn("OCX_AUTH_%s_* variables" % host_slug(self.reg.host), result.stderr)
                self.assertNoSecret(result, PASSWORD)
                self.assertTags(repo, {t: {AMD: "1.0.0"} for t in ("1.0.0", "1.0", "1", "latest")})

    def test_docker_config_auths(self):
        for i, entry in enumerate((self.auth_entry("alice", PASSWORD), {"username": "alice", "password": PASSWORD})):
            with self.subTest(entry=list(entry)):
                repo = "htpasswd/docker%d" % i
                report, result = self.push(repo, "1.0.0", AMD, None, "-n", "-c", "-vv", env=self.docker_config(entry))
                self.assertEqual(report["status"], "published")
                self.assertIn("auths in", result.stderr)
                self.assertNoSecret(result, PASSWORD)
                self.assertTags(repo, {t: {AMD: "1.0.0"} for t in ("1.0.0", "1.0", "1", "latest")})

    def test_environment_wins_over_docker_config(self):
        good_config = self.docker_config(self.auth_entry("alice", PASSWORD))
        bad_config = self.docker_config(self.auth_entry("alice", WRONG))
        self.push("htpasswd/precedence", "1.0.0", AMD, None, "-n", env={**self.env_creds(), **bad_config})
        _, result = self.push("htpasswd/precedence", "1.0.0", ARM, None,
                              env={**self.env_creds(token=WRONG), **good_config}, expect=80)
        self.assertNoSecret(result, PASSWORD, WRONG)
        # TYPE=anonymous: no credentials, and the Docker config is not consulted.
        _, result = self.push("htpasswd/precedence", "1.0.0", ARM, None,
                              env={**self.env_creds(user=None, token=None, type_="anonymous"), **good_config},
                              expect=80)
        self.assertIn(self.reg.host, result.stderr)
        self.assertEqual(self.entries("htpasswd/precedence", "1.0.0"), [(AMD, "1.0.0")])

    def test_no_credentials_exit_80_naming_the_registry(self):
        _, result = self.push("htpasswd/none", "1.0.0", AMD, None, "-n", expect=80)
        self.assertIn("no credentials found for %s" % self.reg.host, result.stderr)
        self.assertIn("OCX_AUTH_%s_USER" % host_slug(self.reg.host), result.stderr)

    def test_wrong_password_from_env(self):
        self.assertAuthFailure("htpasswd/wrong-env", self.env_creds(token=WRONG), WRONG)
        self.assertAuthFailure("htpasswd/wrong-env", self.env_creds(token=WRONG), WRONG, "-c")

    def test_wrong_password_from_docker_config(self):
        self.assertAuthFailure("htpasswd/wrong-docker", self.docker_config(self.auth_entry("alice", WRONG)), WRONG)

    def test_unknown_type_is_a_usage_error(self):
        _, result = self.push("htpasswd/type", "1.0.0", AMD, None, "-n", env=self.env_creds(type_="kerberos"),
                              expect=64)
        self.assertIn("unknown authentication type \"kerberos\"", result.stderr)
        self.assertNoSecret(result, PASSWORD)


class TestCredentialHost(AuthHarness):
    """OCX_AUTH_<SLUG>_* reach only the host they were written for. `ocx.registry.example:PORT` and
    `ocx-registry.example:PORT` share the slug ocx_registry_example_PORT. Neither resolves: the
    client reaches them through a FaultProxy used as its http_proxy, which forwards to the
    htpasswd registry and records every Authorization header it is sent."""
    registry_kwargs = {"auth": "htpasswd", "users": {"alice": PASSWORD}}

    def setUp(self):
        self.proxy = FaultProxy(self.reg.host).start()
        self.addCleanup(self.proxy.stop)
        port = self.proxy.host.rsplit(":", 1)[1]
        self.real_host = "ocx.registry.example:" + port   # the host the variables are written for
        self.look_alike = "ocx-registry.example:" + port  # another host mapping to the same names
        self.slug = host_slug(self.real_host)
        self.assertEqual(self.slug, host_slug(self.look_alike))

    def run_push(self, host: str, repo: str, creds: dict, expect: int):
        env = {"http_proxy": self.proxy.url, "no_proxy": None, "NO_PROXY": None, **creds}
        args = ["push", "-i", "%s/%s:1.0.0" % (host, repo), "-p", AMD, "-m", self.work.metadata("1.0.0"),
                "--insecure-registry", host, "--format", "json", "-n", self.work.archive(AMD)]
        result = run(args, env=env)
        self.assertEqual(result.returncode, expect, str(result))
        return result

    def creds(self, **extra: str) -> dict:
        p = "OCX_AUTH_%s_" % self.slug
        return {p + "USER": "alice", p + "TOKEN": PASSWORD, **{p + k: v for k, v in extra.items()}}

    def sent_credentials(self) -> list:
        return [r for r in self.proxy.requests if r["authorization"]]

    def test_without_host_variable_the_slug_read_back_decides(self):
        # The look-alike: refused before any request, naming the variable to add.
        result = self.run_push(self.look_alike, "cred/lookalike", self.creds(), 64)
        self.assertIn("OCX_AUTH_%s_* are for %s (the host their name reads back as), not for %s, and are not sent "
                      "there; if they are meant for %s, set OCX_AUTH_%s_HOST=%s" % (
                          self.slug, self.real_host, self.look_alike, self.look_alike, self.slug, self.look_alike),
                      result.stderr)
        self.assertNoSecret(result, PASSWORD)
        self.assertEqual(self.sent_credentials(), [])
        # The host the slug reads back as gets them (and the proxy route works).
        self.run_push(self.real_host, "cred/real", self.creds(), 0)
        self.assertTrue(self.sent_credentials())
        self.assertIn("1.0.0", self.store.tag_list("cred/real"))

    def test_host_variable_names_the_one_host(self):
        # Written for the real host: the look-alike goes without them (anonymous, so 401 -> exit 80).
        result = self.run_push(self.look_alike, "cred/other", self.creds(HOST=self.real_host), 80)
        self.assertIn("OCX_AUTH_%s_* are for OCX_AUTH_%s_HOST=\"%s\", not for %s: not used" % (
            self.slug, self.slug, self.real_host, self.look_alike), result.stderr)
        self.assertEqual(self.sent_credentials(), [])
        self.assertEqual(self.store.tag_list("cred/other"), [])
        # Written for the look-alike (a host with '-' needs _HOST): it gets them.
        self.run_push(self.look_alike, "cred/dash", self.creds(HOST=self.look_alike), 0)
        self.assertTrue(self.sent_credentials())
        self.assertIn("1.0.0", self.store.tag_list("cred/dash"))


class TestTokenServer(AuthHarness):
    registry_kwargs = {"auth": "token", "users": {"alice": PASSWORD}}

    def test_basic_credentials_are_exchanged_for_a_scoped_token(self):
        repo = "token/env"
        first = len(self.reg.token_server.requests)
        for platform, env in ((AMD, self.env_creds()), (ARM, self.docker_config(self.auth_entry("alice", PASSWORD)))):
            _, result = self.push(repo, "1.0.0", platform, None, "-n", "-c", "-vv", env=env)
            self.assertNoSecret(result, PASSWORD)
            self.assertIn("debug: > GET %s/token?" % self.reg.token_server.url, result.stderr)
            self.assertNotIn("eyJ", result.stdout + result.stderr)  # no JWT (the issued tokens) in any output
        both = {AMD: "1.0.0", ARM: "1.0.0"}
        self.assertTags(repo, {t: both for t in ("1.0.0", "1.0", "1", "latest")})
        requests = self.reg.token_server.requests[first:]
        self.assertTrue(requests)
        self.assertEqual({r["status"] for r in requests}, {200})
        self.assertEqual({r["user"] for r in requests}, {"alice"})
        self.assertIn("repository:%s:pull,push" % repo, {s for r in requests for s in r["scopes"]})
        raw = skopeo_inspect_raw(self.store.ref(repo, "latest"), creds="alice:" + PASSWORD)
        self.assertEqual(self.store.manifest(repo, "latest"), raw)

    def test_bearer_token_is_sent_as_is(self):
        repo = "token/bearer"
        token = self.reg.token_server.issue("alice", [{"type": "repository", "name": repo,
                                                       "actions": ["pull", "push"]}])
        for i, type_ in enumerate(("bearer", "token", None)):
            with self.subTest(type=type_):
                before = len(self.reg.token_server.requests)
                report, result = self.push(repo, "1.0.0", (AMD, ARM, AMD)[i], None, "-n", "-vv",
                                           env=self.env_creds(user=None, token=token, type_=type_))
                self.assertEqual(report["status"], "published")
                self.assertEqual(len(self.reg.token_server.requests), before)  # no exchange
                self.assertNoSecret(result, token)
        self.assertEqual(self.entries(repo, "1.0.0"), [(AMD, "1.0.0"), (ARM, "1.0.0")])

    def test_wrong_password_and_bad_token(self):
        self.assertAuthFailure("token/wrong", self.env_creds(token=WRONG), WRONG)
        self.assertAuthFailure("token/wrong", self.docker_config(self.auth_entry("alice", WRONG)), WRONG, "-c")
        bogus = "eyJhbGciOiJub25lIn0.bogus-token-ocx.sig"
        self.assertAuthFailure("token/wrong", self.env_creds(user=None, token=bogus, type_="bearer"), bogus)


class TestTLS(AuthHarness):
    registry_kwargs = {"tls": True, "auth": "htpasswd", "users": {"alice": PASSWORD}}

    def test_self_signed_ca_needs_ca_file_or_ssl_cert_file(self):
        repo = "tls/tool"
        creds = self.env_creds()
        mark = self.reg.mark()
        _, result = self.push(repo, "1.0.0", AMD, None, "-n", env=creds, expect=69)
        self.assertIn("certificate", result.stderr)
        self.assertIn("--ca-file", result.stderr)
        self.assertEqual(self.reg.requests(since=mark), [])  # not one request got through the handshake
        # A CA that did not sign the server certificate is no better.
        _, result = self.push(repo, "1.0.0", AMD, None, "-n", "--ca-file", self.other_ca(), env=creds, expect=69)
        self.assertIn("certificate", result.stderr)

        report, _ = self.push(repo, "1.0.0", AMD, None, "-n", "-c", "--ca-file", self.reg.ca_file, env=creds)
        report2, _ = self.push(repo, "1.0.0", ARM, None, "-c", env={**creds, "SSL_CERT_FILE": self.reg.ca_file})
        both = {AMD: "1.0.0", ARM: "1.0.0"}
        self.assertTags(repo, {t: both for t in ("1.0.0", "1.0", "1", "latest")})
        raw = skopeo_inspect_raw(self.store.ref(repo, "1.0.0"), tls_verify=True, creds="alice:" + PASSWORD,
                                 cert_dir=self.reg.cert_dir)
        self.assertEqual(sha256(raw), report2["index"]["digest"])
        self.assertNotEqual(report["index"]["digest"], report2["index"]["digest"])

    def test_wrong_password_over_tls(self):
        env = {**self.env_creds(token=WRONG), "SSL_CERT_FILE": self.reg.ca_file}
        self.assertAuthFailure("tls/wrong", env, WRONG)

    def other_ca(self) -> str:
        """A PEM CA certificate that did not sign the registry's certificate."""
        path = Path(self._tmp, "other-ca.crt")
        if not path.exists():
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-keyout", str(Path(self._tmp, "other-ca.key")), "-out", str(path),
                            "-days", "1", "-subj", "/CN=other-ca"], check=True, capture_output=True)
        return str(path)


if __name__ == "__main__":
    unittest.main()
