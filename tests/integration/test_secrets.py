"""Secrets never leak (docs/cli.md "Credentials": "A secret never appears in any output, log line,
error or report, at any verbosity").

Every way of giving credentials — OCX_AUTH_* variables against an htpasswd registry, a Docker
config `auths` entry, a `credsStore` helper program, and Bearer tokens from a token server — runs
`release` (and `push`, `verify`) at -v and -vv, succeeding and failing (a wrong password). The
password, its Basic encoding and every token the token server issued must not appear in stdout,
stderr, the report, the GitLab dotenv file, or any file left in $TMPDIR (a fresh one per run,
which must also be empty afterwards) or in the project directory.

The GitHub Action's step summary (action/run.sh) is checked when that script exists.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import stat
import unittest
from pathlib import Path

from fault_proxy import FaultProxy, respond
from fixtures import release_bin, hermetic_env, Registry, TokenServer, run
from release_helpers import make_project, scratch

USER = "alice"


def basic(user: str, password: str) -> str:
    return base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def env_slug(host: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in host)


class SecretsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.password = "pw-" + secrets.token_hex(12)
        cls.wrong = "wrong-" + secrets.token_hex(12)
        cls.htpasswd = Registry(auth="htpasswd", users={USER: cls.password}).start()
        cls.tokens_issued: list[str] = []
        cls.token_server = TokenServer(users={USER: cls.password}).start()
        issue = cls.token_server.issue

        def recording_issue(user, scopes):
            token = issue(user, scopes)
            cls.tokens_issued.append(token)
            return token

        cls.token_server.issue = recording_issue
        cls.token_reg = Registry(auth="token", users={USER: cls.password}, token_server=cls.token_server).start()
        cls.work = scratch()

    @classmethod
    def tearDownClass(cls):
        cls.htpasswd.stop()
        cls.token_reg.stop()
        cls.token_server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    # -- the ways of passing credentials --------------------------------------------------------
    def env_auth(self, reg: Registry, password: str, base: Path) -> dict:
        s = env_slug(reg.host)
        return {"OCX_AUTH_%s_TYPE" % s: "basic", "OCX_AUTH_%s_USER" % s: USER, "OCX_AUTH_%s_TOKEN" % s: password}

    def docker_auths(self, reg: Registry, password: str, base: Path) -> dict:
        d = base / "docker-config"
        d.mkdir(parents=True, exist_ok=True)
        (d / "config.json").write_text(json.dumps({"auths": {reg.host: {"auth": basic(USER, password)}}}))
        return {"DOCKER_CONFIG": str(d)}

    def creds_store(self, reg: Registry, password: str, base: Path) -> dict:
        d = base / "docker-config"
        bin_dir = base / "bin"
        d.mkdir(parents=True, exist_ok=True)
        bin_dir.mkdir(parents=True, exist_ok=True)
        (d / "config.json").write_text(json.dumps({"credsStore": "ocxtest"}))
        helper = bin_dir / "docker-credential-ocxtest"
        helper.write_text("#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread host\n"
                          "printf '{\"ServerURL\":\"%%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}' \"$host\"\n"
                          % (USER, password))
        helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
        return {"DOCKER_CONFIG": str(d), "PATH": "%s:%s" % (bin_dir, os.environ["PATH"])}

    MODES = (("env", "htpasswd", "env_auth"), ("docker-auths", "htpasswd", "docker_auths"),
             ("creds-store", "htpasswd", "creds_store"), ("token-env", "token", "env_auth"),
             ("token-docker-auths", "token", "docker_auths"))

    # -- scanning ---------------------------------------------------------------------------------
    def secrets_for(self, password: str) -> list[str]:
        out = [password, basic(USER, password), base64.b64encode(password.encode()).decode().rstrip("=")]
        for token in self.tokens_issued:
            out += [token, token.split(".")[-1]]
        return out

    def scan(self, where: str, text: str, needles: list[str]) -> list[str]:
        return ["%s contains %s…" % (where, n[:12]) for n in needles if n in text]

    def scan_tree(self, root: Path, needles: list[str], skip: set) -> list[str]:
        found = []
        for dirpath, _, files in os.walk(root):
            for f in files:
                p = Path(dirpath, f)
                if p in skip or p.is_symlink() or not p.is_file():
                    continue
                data = p.read_bytes().decode("latin-1")
                found += self.scan(str(p), data, needles)
        return found

    def run_scanned(self, name: str, reg: Registry, method: str, password: str, verbosity: str, expect_ok: bool):
        base = self.work / name
        tmpdir = base / "tmp"
        tmpdir.mkdir(parents=True)
        env = getattr(self, method)(reg, password, base)
        env["TMPDIR"] = str(tmpdir)
        matrix = make_project(base / "project", "%s/secrets/%s" % (reg.host, name))
        report = base / "project" / "report.json"
        dotenv = base / "project" / "release.env"
        r = run(["release", matrix, verbosity, "--report", report, "--gitlab-dotenv", dotenv], env=env)
        runs = [r]
        if expect_ok:
            self.assertEqual(r.returncode, 0, str(r))
            runs.append(run(["verify", report, verbosity], env=env))
            self.assertEqual(runs[-1].returncode, 0, str(runs[-1]))
            archive = next((base / "project" / "out" / "bundles").glob("*linux-amd64.tar.xz"))
            runs.append(run(["push", archive, "-i", "%s/secrets/%s:9.9.9" % (reg.host, name), "-p", "linux/amd64",
                             verbosity, "--format", "json"], env=env))
            self.assertEqual(runs[-1].returncode, 0, str(runs[-1]))
        else:
            self.assertEqual(r.returncode, 80, str(r))
            self.assertIn("authentication", r.stderr)
        if verbosity == "-vv":  # debug lines were on (they name where the credentials came from)
            self.assertIn("credentials for %s: " % reg.host, r.stderr)
        needles = self.secrets_for(password)
        found = []
        for i, x in enumerate(runs):
            found += self.scan("stdout of run %d" % i, x.stdout, needles)
            found += self.scan("stderr of run %d" % i, x.stderr, needles)
        skip = {base / "docker-config" / "config.json", base / "bin" / "docker-credential-ocxtest"}
        found += self.scan_tree(base, needles, skip)
        if method != "env_auth":  # control: the scan does see the secret in the credential files
            self.assertNotEqual(self.scan_tree(base, needles, set()), [])
        self.assertEqual(found, [], "\n".join(found))
        self.assertEqual(list(tmpdir.iterdir()), [], "files left in TMPDIR")
        return r

    def test_every_mode_at_every_verbosity(self):
        for name, kind, method in self.MODES:
            reg = self.htpasswd if kind == "htpasswd" else self.token_reg
            for verbosity in ("-v", "-vv"):
                with self.subTest(mode=name, verbosity=verbosity):
                    before = len(self.tokens_issued)
                    self.run_scanned("%s%s" % (name, verbosity), reg, method, self.password, verbosity, True)
                    if kind == "token":
                        self.assertGreater(len(self.tokens_issued), before, "no token was issued")

    def test_a_wrong_password_is_not_echoed(self):
        for name, kind, method in self.MODES:
            reg = self.htpasswd if kind == "htpasswd" else self.token_reg
            with self.subTest(mode=name):
                self.run_scanned("wrong-%s" % name, reg, method, self.wrong, "-vv", False)

    def test_github_step_summary(self):
        """action/run.sh as a runner runs it, with the password as the registry-password input:
        no secret in its stdout/stderr, outputs, step summary or RUNNER_TEMP, for a release and
        for a wrong password."""
        root = Path(__file__).resolve().parents[2]
        run_sh = root / "action" / "run.sh"
        for name, password, expect in (("action-ok", self.password, 0), ("action-wrong", self.wrong, 80)):
            with self.subTest(name):
                base = self.work / name
                step = base / "step"
                (step / "runner-temp").mkdir(parents=True)
                output, summary = step / "output", step / "summary.md"
                output.write_text("")
                summary.write_text("")
                matrix = make_project(base / "project", "%s/secrets/%s" % (self.htpasswd.host, name))
                env = hermetic_env({
                    "INPUT_MATRIX": str(matrix), "INPUT_REGISTRY_USERNAME": USER, "INPUT_REGISTRY_PASSWORD": password,
                    "INPUT_ARGS": "-vv", "INPUT_BINARY": release_bin(), "GITHUB_ACTIONS": "true",
                    "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
                    "RUNNER_TEMP": str(step / "runner-temp"), "GITHUB_WORKSPACE": str(base / "project"),
                    "TMPDIR": str(step / "runner-temp")})
                r = subprocess.run(["bash", str(run_sh)], cwd=base / "project", env=env, capture_output=True,
                                   text=True, timeout=300)
                self.assertEqual(r.returncode, expect, r.stdout + r.stderr)
                needles = [n for n in self.secrets_for(password) if n != password]
                # The runner is told to mask the password (that one line must carry it), nothing else may.
                masked = [line for line in r.stdout.splitlines() if line.startswith("::add-mask::")]
                self.assertIn("::add-mask::%s" % password, masked)
                rest = "\n".join(line for line in r.stdout.splitlines() if not line.startswith("::add-mask::"))
                found = self.scan("stdout", rest, needles + [password]) + self.scan("stderr", r.stderr, needles + [password])
                found += self.scan("step summary", summary.read_text(), needles + [password])
                found += self.scan("outputs", output.read_text(), needles + [password])
                found += self.scan_tree(base, needles + [password], set())
                self.assertEqual(found, [], "\n".join(found))
                if expect == 0:
                    self.assertIn("linux/amd64", summary.read_text())

class EchoedSecretsTest(unittest.TestCase):
    """What the scan above cannot reach: a secret written into a reference (`user:pass@host/repo`,
    no scheme), a secret of 3 characters, and a registry echoing a secret percent-encoded."""

    def setUp(self):
        self.work = scratch()
        self.addCleanup(shutil.rmtree, self.work, True)

    def release(self, package: str, name: str, env: dict | None = None, expect: int = 0):
        base = self.work / name
        matrix = make_project(base, package)
        report, dotenv = base / "report.json", base / "ocx.env"
        r = run(["release", matrix, "--report", report, "--gitlab-dotenv", dotenv, "-vv"], env=env)
        self.assertEqual(r.returncode, expect, str(r))
        return r, report.read_text(), dotenv.read_text() if dotenv.exists() else ""

    def test_user_and_password_in_a_reference_are_masked(self):
        with Registry() as reg:
            password = "pw-" + secrets.token_hex(8)
            r, report, dotenv = self.release("alice:%s@%s/secrets/userinfo" % (password, reg.host), "userinfo",
                                             expect=65)
            self.assertIn("***@%s/secrets/userinfo" % reg.host, r.stderr)
            for where, text in (("stdout", r.stdout), ("stderr", r.stderr), ("report", report), ("dotenv", dotenv)):
                self.assertNotIn(password, text, "the password leaked into " + where)
            self.assertIn("***@%s/secrets/userinfo" % reg.host, report)
            r = run(["install", "bob:%s@%s/secrets/userinfo:1.0" % (password, reg.host), "-o", self.work / "out"])
            self.assertNotEqual(r.returncode, 0, str(r))
            self.assertNotIn(password, r.stdout + r.stderr)

    def test_a_short_secret_and_a_percent_encoded_echo_are_masked(self):
        cases = [("short", "Zq9", "DENIED: password Zq9 is not accepted"),
                 ("percent", "s3/p@ss w0rd!", "DENIED: password s3%2Fp%40ss%20w0rd%21 is not accepted")]
        with Registry() as reg, FaultProxy(reg.host) as proxy:
            slug = env_slug(proxy.host)
            for name, password, echo in cases:
                with self.subTest(name):
                    proxy.clear()
                    body = json.dumps({"errors": [{"code": "DENIED", "message": echo[len("DENIED: "):]}]})
                    proxy.inject(respond(400, {"Content-Type": "application/json"}, body), "PUT", r"/manifests/",
                                 times=100)
                    env = {"OCX_AUTH_%s_USER" % slug: USER, "OCX_AUTH_%s_TOKEN" % slug: password}
                    r, report, dotenv = self.release("%s/secrets/%s" % (proxy.host, name), name, env, expect=69)
                    self.assertIn("DENIED: password *** is not accepted", r.stderr)
                    echoed = echo.split(" ")[2]
                    for where, text in (("stderr", r.stderr), ("report", report), ("dotenv", dotenv)):
                        self.assertNotIn(" %s " % echoed, text, "the echoed secret leaked into " + where)
                    self.assertIn("DENIED: password *** is not accepted", report)


if __name__ == "__main__":
    unittest.main()
