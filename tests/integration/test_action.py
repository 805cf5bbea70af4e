"""The GitHub Action's scripts, run as a GitHub runner runs them, against a real registry.

action/run.sh gets what action.yml hands it (INPUT_* variables) plus a runner's environment
(GITHUB_ACTIONS, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP as temporary files); the example
package (examples/hello, built by its build.sh) is released to a docker-registry on 127.0.0.1 and
read back with skopeo. Checked: every output, the job summary tables, the dry-run summary, the
`::error file=…::/json/path: …` annotations of a failing matrix, credentials from inputs (masked),
shards + finalize, usage errors, running outside GitHub, and action/install.sh's binary lookup.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
import unittest
from dataclasses import dataclass
from pathlib import Path

import fixtures
from fault_proxy import FaultProxy
from fixtures import Registry, registry_get, release_bin, skopeo_inspect_raw
from release_package import asset_name, built_package, os_arch, version
from schemas import SOURCE_DIR, validate_report

RUN_SH = SOURCE_DIR / "action" / "run.sh"
INSTALL_SH = SOURCE_DIR / "action" / "install.sh"
HELLO = SOURCE_DIR / "examples" / "hello"
PLATFORMS = ["linux/amd64", "linux/arm64", "darwin/arm64"]
DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")


def parse_github_output(text: str) -> dict:
    """$GITHUB_OUTPUT as the runner reads it: `name=value` and `name<<DELIM` … `DELIM`."""
    out, lines, i = {}, text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        m = re.match(r"^([\w-]+)<<(.+)$", line)
        if m:
            name, delim, value = m.group(1), m.group(2), []
            while lines[i] != delim:
                value.append(lines[i])
                i += 1
            i += 1
            out[name] = "\n".join(value)
        else:
            name, _, value = line.partition("=")
            out[name] = value
    return out


@dataclass
class StepResult:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict
    raw_outputs: str
    summary: str

    def __str__(self) -> str:
        return "[exit %d]\n--- stdout\n%s--- stderr\n%s--- outputs\n%s--- summary\n%s" % (
            self.returncode, self.stdout, self.stderr, self.raw_outputs, self.summary)

    def report(self) -> dict:
        with open(self.outputs["report"], encoding="utf-8") as f:
            return validate_report(json.load(f))


def clean_env(env: dict | None = None) -> dict:
    """A hermetic environment (fixtures.hermetic_env) without any runner or action variable that
    the machine running the tests may itself have (this suite may run inside GitHub Actions)."""
    base = {k: None for k in os.environ if k.startswith(("GITHUB_", "RUNNER_", "INPUT_", "ACTIONS_"))}
    base.update(env or {})
    return fixtures.hermetic_env(base)


class ActionTest(unittest.TestCase):
    """A work tree with the example package built, and a fake runner around run.sh."""

    @classmethod
    def setUpClass(cls):
        cls.bin = release_bin()
        cls.tmp = tempfile.mkdtemp(prefix="ocx-action-")
        cls.work = Path(cls.tmp) / "work"
        shutil.copytree(HELLO, cls.work / "examples" / "hello",
                        ignore=shutil.ignore_patterns("build", "dist", "*.ci.json"))
        r = subprocess.run(["bash", str(cls.work / "examples" / "hello" / "build.sh"), "1.0.0"],
                           env=clean_env({"OCX_RELEASE_BIN": cls.bin}), capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise AssertionError("examples/hello/build.sh failed:\n%s%s" % (r.stdout, r.stderr))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def matrix_for(self, package: str, name: str = "release.test.json", **changes) -> str:
        """examples/hello/release.json with `package` (and other keys) replaced, next to it (paths in
        it are relative to the matrix); returns its path relative to the work tree."""
        matrix = json.loads((HELLO / "release.json").read_text())
        matrix["package"] = package
        matrix.update(changes)
        (self.work / "examples" / "hello" / name).write_text(json.dumps(matrix, indent=2))
        return "examples/hello/" + name

    def run_step(self, inputs: dict, github: bool = True, env: dict | None = None) -> StepResult:
        step = tempfile.mkdtemp(prefix="step-", dir=self.tmp)
        output_file, summary_file = os.path.join(step, "output"), os.path.join(step, "summary.md")
        runner_temp = os.path.join(step, "runner-temp")
        os.makedirs(runner_temp)
        for f in (output_file, summary_file):
            open(f, "w").close()
        e = {"INPUT_" + k.upper().replace("-", "_"): v for k, v in inputs.items()}
        e.setdefault("INPUT_BINARY", self.bin)
        if github:
            e.update({"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": output_file, "GITHUB_STEP_SUMMARY": summary_file,
                      "RUNNER_TEMP": runner_temp, "GITHUB_WORKSPACE": str(self.work)})
        else:
            e["TMPDIR"] = runner_temp
        e.update(env or {})
        r = subprocess.run(["bash", str(RUN_SH)], cwd=self.work, env=clean_env(e), capture_output=True, text=True,
                           timeout=600)
        raw = Path(output_file).read_text()
        return StepResult(r.returncode, r.stdout, r.stderr, parse_github_output(raw), raw, Path(summary_file).read_text())

    def tag_list(self, reg: Registry, repo: str = "examples/hello") -> list:
        resp = registry_get(reg.url, "/v2/%s/tags/list" % repo)
        if resp.status == 404:
            return []
        self.assertEqual(resp.status, 200, resp.body)
        return resp.json().get("tags") or []


class Release(ActionTest):
    def test_release_outputs_summary_and_registry_agree(self):
        with Registry() as reg:
            package = reg.host + "/examples/hello"
            step = self.run_step({"matrix": self.matrix_for(package), "tag": "1.0.0"})
            self.assertEqual(step.returncode, 0, str(step))

            # Outputs: report (a file) and report-json (the same report), digest, tags, and the
            # subjects to attest and sign (README "Supply chain").
            self.assertEqual(sorted(step.outputs), ["digest", "report", "report-json", "subject-digest", "subject-name",
                                                    "subjects", "tags"])
            self.assertEqual(step.outputs["subject-name"], package)
            self.assertEqual(step.outputs["subject-digest"], step.outputs["digest"])
            self.assertEqual(step.outputs["subjects"].split("\n"),
                             ["%s@%s" % (package, d) for d in
                              [step.outputs["digest"]] + [p["manifest"]["digest"] for p in step.report()["platforms"]]])
            report = step.report()
            self.assertEqual(json.loads(step.outputs["report-json"]), report)
            self.assertEqual(report["status"], "published")
            self.assertEqual(report["package"], package)
            self.assertEqual([p["platform"] for p in report["platforms"]], PLATFORMS)
            raw = skopeo_inspect_raw(package + ":1.0.0")
            self.assertEqual(step.outputs["digest"], "sha256:" + hashlib.sha256(raw).hexdigest())
            self.assertEqual(step.outputs["digest"], report["index"]["digest"])
            self.assertEqual(step.outputs["tags"].split("\n"), ["1.0.0", "1.0", "1", "latest"])
            # Multi-line values use a random heredoc delimiter.
            self.assertRegex(step.raw_outputs, r"(?m)^tags<<ghadelimiter_[0-9a-f]{32}$")
            for tag in ("1.0.0", "1.0", "1", "latest"):
                self.assertEqual(skopeo_inspect_raw("%s:%s" % (package, tag)), raw)
            self.assertTrue(set(self.tag_list(reg)) >= {"1.0.0", "1.0", "1", "latest"})

            # The summary: a header, one row per platform, one per tag.
            s = step.summary
            self.assertIn("## ocx-release release: `%s:1.0.0` — published" % package, s)
            self.assertIn("| Platform | Manifest digest | Size |", s)
            for p in report["platforms"]:
                size = p["archive"]["size"]
                self.assertIn("| `%s` | `%s` | %s |" % (p["platform"], p["manifest"]["digest"],
                                                         "%d B" % size if size < 1024 else "%.1f KiB" % (size / 1024)), s)
            self.assertIn("| Tag | Before → After | Action |", s)
            short = "`%s`" % step.outputs["digest"][:19]
            self.assertIn("| `1.0.0` | — → %s | created |" % short, s)
            self.assertIn("| `latest` | — → %s | created |" % short, s)
            self.assertNotIn("Dry run", s)

            # The run is grouped in the log; no annotation on success.
            self.assertIn("::group::ocx-release release examples/hello/release.test.json --report ", step.stdout)
            self.assertIn("::endgroup::", step.stdout)
            self.assertNotIn("::error", step.stdout)

            # Again: nothing changes, and the summary says so.
            again = self.run_step({"matrix": self.matrix_for(package), "tag": "1.0.0"})
            self.assertEqual(again.returncode, 0, str(again))
            self.assertEqual(again.outputs["digest"], step.outputs["digest"])
            self.assertIn("| `1.0.0` | %s → %s | unchanged |" % (short, short), again.summary)
            self.assertNotEqual(again.outputs["report"], step.outputs["report"])

    def test_dry_run_plans_what_a_release_then_publishes(self):
        with Registry() as reg:
            package = reg.host + "/examples/hello"
            plan = self.run_step({"matrix": self.matrix_for(package), "tag": "2.0.0", "dry-run": "true",
                                  "args": "--jobs 2 --format 'json'"})
            self.assertEqual(plan.returncode, 0, str(plan))
            self.assertIn("--dry-run --jobs 2 --format json\n", plan.stdout)
            self.assertIn('"status": "planned"', plan.stdout)  # --format json: the report on stdout too
            report = plan.report()
            self.assertEqual(report["status"], "planned")
            self.assertTrue(report["dry_run"])
            self.assertIn("--dry-run", plan.stdout.split("::group::", 1)[1].split("\n", 1)[0])
            self.assertTrue(plan.summary.startswith("## Dry run: `%s:2.0.0` — planned" % package), plan.summary)
            self.assertIn("Nothing was written", plan.summary)
            self.assertIn("| Platform | Manifest digest | Size |", plan.summary)
            self.assertIn("| `2.0.0` | — → `%s` | created |" % plan.outputs["digest"][:19], plan.summary)
            self.assertRegex(plan.outputs["digest"], DIGEST)
            self.assertEqual(self.tag_list(reg), [], "a dry run wrote to the registry")

            release = self.run_step({"matrix": self.matrix_for(package), "tag": "2.0.0", "dry-run": "false"})
            self.assertEqual(release.returncode, 0, str(release))
            self.assertEqual(release.outputs["digest"], plan.outputs["digest"])
            self.assertEqual([p["manifest"] for p in release.report()["platforms"]],
                             [p["manifest"] for p in report["platforms"]])

    def test_outside_github_it_runs_and_prints(self):
        package = "oci:" + os.path.join(self.tmp, "layout-outside")
        step = self.run_step({"matrix": self.matrix_for(package, "outside.json"), "tag": "1.0.0"}, github=False)
        self.assertEqual(step.returncode, 0, str(step))
        self.assertNotIn("::", step.stdout)
        self.assertEqual(step.raw_outputs, "")
        self.assertEqual(step.summary, "")
        self.assertIn("+ ocx-release release examples/hello/outside.json", step.stderr)
        printed = dict(line.split("=", 1) for line in step.stdout.splitlines() if "=" in line)
        self.assertRegex(printed["digest"], DIGEST)
        self.assertEqual(printed["tags"], "1.0.0,1.0,1,latest")
        with open(printed["report"], encoding="utf-8") as f:
            self.assertEqual(validate_report(json.load(f))["index"]["digest"], printed["digest"])
        raw = skopeo_inspect_raw("oci:%s:1.0.0" % package[len("oci:"):])
        self.assertEqual(printed["digest"], "sha256:" + hashlib.sha256(raw).hexdigest())


class Annotations(ActionTest):
    def test_a_bad_matrix_is_annotated_at_its_json_paths(self):
        with Registry() as reg:
            matrix = json.loads((HELLO / "release.json").read_text())
            matrix["package"] = reg.host + "/examples/hello"
            matrix["platforms"][1]["platform"] = "linux/x86"
            matrix["platfroms"] = []
            (self.work / "examples" / "hello" / "bad.json").write_text(json.dumps(matrix, indent=2))
            step = self.run_step({"matrix": "examples/hello/bad.json"})
            self.assertEqual(step.returncode, 65, str(step))
            errors = [line for line in step.stdout.splitlines() if line.startswith("::error")]
            self.assertIn('::error file=examples/hello/bad.json::/platforms/1/platform: unknown platform "linux/x86"',
                          "\n".join(errors))
            self.assertTrue(any(e.startswith("::error file=examples/hello/bad.json::/platfroms: ") for e in errors),
                            errors)
            self.assertEqual(len(errors), len(set(errors)), "duplicate annotations: %s" % errors)
            report = step.report()
            self.assertEqual(report["status"], "failed")
            self.assertEqual(report["errors"][0]["step"], "validate")
            self.assertEqual(step.outputs["digest"], "")
            self.assertEqual(step.outputs["tags"], "")
            self.assertEqual(step.summary.splitlines()[0], "## ocx-release release: `examples/hello/bad.json` — failed")
            self.assertIn("| validate | data |", step.summary)
            self.assertEqual(self.tag_list(reg), [])
            self.assertEqual(reg.count("PUT"), 0)
            self.assertEqual(reg.count("POST"), 0)

    def test_a_missing_matrix_is_annotated(self):
        step = self.run_step({"matrix": "examples/hello/nope.json"})
        self.assertEqual(step.returncode, 79, str(step))
        self.assertIn("::error file=examples/hello/nope.json::no such matrix file", step.stdout)

    def test_invalid_json_is_annotated_with_line_and_column(self):
        (self.work / "examples" / "hello" / "broken.json").write_text('{\n  "schema": 1,\n  "package": \n}\n')
        step = self.run_step({"matrix": "examples/hello/broken.json"})
        self.assertEqual(step.returncode, 65, str(step))
        self.assertRegex(step.stdout, r"::error file=examples/hello/broken\.json,line=\d+,col=\d+::\d+:\d+: ")

    def test_usage_errors(self):
        cases = [
            ({"matrix": "m.json", "shard": "linux/amd64", "finalize-parts": "p.json"},
             "inputs 'shard' and 'finalize-parts' exclude each other"),
            ({"matrix": "m.json", "dry-run": "maybe"}, "input 'dry-run' must be true or false, got 'maybe'"),
            ({"matrix": "m.json", "finalize-parts": "parts/*.json"}, "finalize-parts: nothing matches 'parts/*.json'"),
            ({"matrix": ""}, "input 'matrix' is required"),
            ({"matrix": "m.json", "registry-username": "alice"},
             "give both 'registry-username' and 'registry-password', or neither"),
            ({"matrix": "m.json", "args": "--jobs 'unclosed"}, "input 'args' is not valid shell quoting"),
            ({"matrix": "m.json", "binary": "/nonexistent/ocx-release"}, "is not an executable file"),
        ]
        for inputs, message in cases:
            with self.subTest(message):
                step = self.run_step(inputs)
                self.assertEqual(step.returncode, 64, str(step))
                self.assertIn("::error title=ocx-release::", step.stdout)
                self.assertIn(message, step.stdout)
                self.assertIn("error: ", step.stderr)

    def test_a_failing_push_is_annotated_with_its_step(self):
        with Registry(read_only=True) as reg:
            step = self.run_step({"matrix": self.matrix_for(reg.host + "/examples/hello", "ro.json")})
            self.assertNotEqual(step.returncode, 0, str(step))
            report = step.report()
            self.assertEqual(report["status"], "failed")
            for e in report["errors"]:
                self.assertIn("::error title=ocx-release%%3A %s::%s: " % (e["step"], e["kind"]), step.stdout)
            self.assertIn("### Errors", step.summary)


# Workflow commands run.sh and summarize.py write on purpose; any other line starting "::" (after
# blanks, as the runner reads it) was written by someone else.
OURS = re.compile(r"^::(group|endgroup|stop-commands|add-mask|error title=|error file=|warning title=|notice title=)"
                  r"|^::[0-9a-f]{32}::$")


def forged_commands(text: str) -> list[str]:
    return [line for line in text.splitlines()
            if line.lstrip().startswith(("::", "##[")) and not OURS.match(line)]


class OutsideText(ActionTest):
    """Inputs and registry text never write a workflow command of their own into the log, and the
    job summary shows outside text as text."""

    def test_a_tag_input_with_a_newline_stays_on_its_line(self):
        package = "oci:" + os.path.join(self.tmp, "layout-forged")
        step = self.run_step({"matrix": self.matrix_for(package, "forged.json"),
                              "tag": "1.0.0\n::error::forged\n##[error]forged"})
        self.assertEqual(step.returncode, 65, str(step))
        self.assertEqual(forged_commands(step.stdout), [], str(step))
        self.assertEqual(forged_commands(step.stderr), [], str(step))
        group = [line for line in step.stdout.splitlines() if line.startswith("::group::")]
        self.assertEqual(len(group), 1, step.stdout)
        self.assertIn("--tag 1.0.0\\x0a::error::forged\\x0a##[error]forged", group[0])
        # The binary's own message quotes the tag escaped; its annotation carries it as data.
        self.assertIn('invalid tag \"1.0.0\\n::error::forged\\n##[error]forged\"', step.stderr)
        # The binary ran between ::stop-commands:: and the end token, a fresh one per run.
        tokens = re.findall(r"(?m)^::stop-commands::([0-9a-f]{32})$", step.stdout)
        self.assertEqual(len(tokens), 1, step.stdout)
        self.assertIn("\n::%s::\n" % tokens[0], step.stdout)
        again = self.run_step({"matrix": self.matrix_for(package, "forged.json"), "tag": "1.0.0\nx"})
        self.assertNotIn(tokens[0], again.stdout)

    def test_usage_errors_show_inputs_escaped(self):
        step = self.run_step({"matrix": "m.json", "dry-run": "maybe\n::error::forged"})
        self.assertEqual(step.returncode, 64, str(step))
        self.assertEqual(forged_commands(step.stdout), [], str(step))
        self.assertEqual(forged_commands(step.stderr), [], str(step))
        self.assertIn("got 'maybe\\x0a::error::forged'", step.stderr)

    def test_summary_cells_are_text(self):
        hostile = '<script>alert(1)</script> | ![x](http://registry.example/p.png) *b* `c` & "q"'
        step = tempfile.mkdtemp(prefix="summary-", dir=self.tmp)
        report = {"schema": 1, "package": "registry.example/acme/tool", "tag": "1.0.0", "status": "failed",
                  "dry_run": False, "platforms": [],
                  "tags": [{"tag": "1.0.0", "kind": "primary", "action": "failed", "before": None, "after": None,
                            "reason": hostile}],
                  "errors": [{"step": "tag 1.0.0", "kind": "unavailable", "message": hostile + "\nsecond line"}]}
        paths = {name: os.path.join(step, name) for name in ("report.json", "stderr.log", "summary.md", "output")}
        Path(paths["report.json"]).write_text(json.dumps(report))
        for name in ("stderr.log", "summary.md", "output"):
            Path(paths[name]).write_text("")
        r = subprocess.run(["python3", str(SOURCE_DIR / "action" / "summarize.py"), "finish", "--matrix", "m.json",
                            "--report", paths["report.json"], "--stderr", paths["stderr.log"], "--rc", "69"],
                           env=clean_env({"GITHUB_STEP_SUMMARY": paths["summary.md"], "GITHUB_OUTPUT": paths["output"]}),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = Path(paths["summary.md"]).read_text()
        self.assertNotIn("<script>", summary)
        self.assertNotIn("](http", summary)
        self.assertIn("&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\| \\!\\[x\\]\\(http://registry.example/p.png\\) "
                      "\\*b\\* \\`c\\` &amp; &quot;q&quot;<br>second line", summary)
        # Every table row still has its three cells: no unescaped '|' inside one.
        for line in summary.splitlines():
            if line.startswith("| "):
                self.assertEqual(len(re.findall(r"(?<!\\)\|", line)), 4, line)
        self.assertEqual(forged_commands(r.stdout), [], r.stdout)


class Credentials(ActionTest):
    def test_credentials_from_inputs_are_used_and_masked(self):
        with Registry(auth="htpasswd", users={"alice": "s3cr3t-pa55"}) as reg:
            matrix = self.matrix_for(reg.host + "/examples/hello", "auth.json")
            anonymous = self.run_step({"matrix": matrix})
            self.assertEqual(anonymous.returncode, 80, str(anonymous))

            step = self.run_step({"matrix": matrix, "registry-username": "alice", "registry-password": "s3cr3t-pa55"})
            self.assertEqual(step.returncode, 0, str(step))
            self.assertTrue(step.stdout.startswith("::add-mask::s3cr3t-pa55\n"), step.stdout[:200])
            rest = step.stdout.split("\n", 1)[1]
            for where, text in (("stdout", rest), ("stderr", step.stderr), ("outputs", step.raw_outputs),
                                ("summary", step.summary)):
                self.assertNotIn("s3cr3t-pa55", text, "the password leaked into " + where)
            self.assertEqual(step.report()["status"], "published")
            digest = "sha256:" + hashlib.sha256(
                skopeo_inspect_raw(reg.host + "/examples/hello:1.0.0", creds=reg.creds)).hexdigest()
            self.assertEqual(step.outputs["digest"], digest)

    def test_package_input_overrides_the_matrix_and_keys_the_credentials(self):
        with Registry(auth="htpasswd", users={"alice": "s3cr3t-pa55"}) as reg:
            # The matrix names a registry that is not there; the package input is what counts.
            matrix = self.matrix_for("127.0.0.1:9/examples/hello", "package-input.json")
            package = reg.host + "/examples/hello"
            step = self.run_step({"matrix": matrix, "package": package, "registry-username": "alice",
                                  "registry-password": "s3cr3t-pa55"})
            self.assertEqual(step.returncode, 0, str(step))
            self.assertIn("--package %s" % package, step.stdout)
            self.assertEqual(step.report()["package"], package)
            raw = skopeo_inspect_raw(package + ":1.0.0", creds=reg.creds)
            self.assertEqual(step.outputs["digest"], "sha256:" + hashlib.sha256(raw).hexdigest())

    def test_credentials_name_their_host(self):
        # A host with '-' does not read back from its OCX_AUTH_<SLUG>_ name: run.sh must write
        # _HOST for the binary to use the inputs there. Neither name resolves; the fault proxy, as
        # the http_proxy, forwards to the registry.
        with Registry(auth="htpasswd", users={"alice": "s3cr3t-pa55"}) as reg, FaultProxy(reg.host) as proxy:
            host = "ocx-registry.example:" + proxy.host.rsplit(":", 1)[1]
            step = self.run_step({"matrix": self.matrix_for(host + "/examples/hello", "dash.json"),
                                  "registry-username": "alice", "registry-password": "s3cr3t-pa55",
                                  "args": "--insecure-registry " + host},
                                 env={"http_proxy": proxy.url, "no_proxy": None, "NO_PROXY": None})
            self.assertEqual(step.returncode, 0, str(step))
            self.assertEqual(step.report()["status"], "published")
            self.assertTrue(any(r["authorization"] for r in proxy.requests))

    def test_credentials_for_a_layout_are_not_used(self):
        package = "oci:" + os.path.join(self.tmp, "layout-creds")
        step = self.run_step({"matrix": self.matrix_for(package, "layout-creds.json"),
                              "registry-username": "alice", "registry-password": "pw-for-nothing"})
        self.assertEqual(step.returncode, 0, str(step))
        self.assertIn("::warning title=ocx-release::registry credentials given, but the matrix package names no "
                      "registry host", step.stdout)

    def test_a_password_ending_in_a_line_break_is_masked_line_by_line(self):
        # Secrets pasted with a trailing newline are common; the mask loop must not end the step.
        package = "oci:" + os.path.join(self.tmp, "layout-newline")
        step = self.run_step({"matrix": self.matrix_for(package, "layout-newline.json"),
                              "registry-username": "alice", "registry-password": "first-line\nsecond-line\n"})
        self.assertEqual(step.returncode, 0, str(step))
        self.assertTrue(step.stdout.startswith("::add-mask::first-line\n::add-mask::second-line\n"), step.stdout[:200])


class SupplyChain(ActionTest):
    def test_sign_key_input_is_masked_and_the_summary_lists_the_attachments(self):
        key = os.path.join(self.tmp, "sign.key")
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key],
                       check=True, capture_output=True)
        pem = Path(key).read_text()
        package = "oci:" + os.path.join(self.tmp, "layout-signed")
        step = self.run_step({"matrix": self.matrix_for(package, "signed.json", sbom=True, provenance=True),
                              "sign-key": pem})
        self.assertEqual(step.returncode, 0, str(step))
        lines = [line for line in pem.splitlines() if line]
        self.assertTrue(step.stdout.startswith("".join("::add-mask::%s\n" % line for line in lines)), step.stdout[:400])
        rest = step.stdout.split("\n", len(lines))[-1]
        for where, text in (("stdout", rest), ("stderr", step.stderr), ("outputs", step.raw_outputs),
                            ("summary", step.summary)):
            self.assertNotIn(lines[1], text, "the key leaked into " + where)
        report = step.report()
        self.assertIn("| Attached | To | Signed | Referrer | Action |", step.summary)
        for a in report["attachments"]:
            self.assertIn("| %s | `%s` | %s | `%s` | attached |" % (a["kind"], a["platform"] or "index",
                                                                  "yes" if a["signed"] else "no", a["digest"][:19]),
                          step.summary)
        self.assertIn(("signature", None), [(a["kind"], a["platform"]) for a in report["attachments"]])


class ManageCommands(ActionTest):
    """Input `command`: copy, cascade and ls run with `args`, their JSON as the `json` output."""

    def test_release_then_ls_copy_and_cascade_check(self):
        with Registry() as reg:
            package = reg.host + "/examples/hello"
            step = self.run_step({"matrix": self.matrix_for(package, "manage.json"), "tag": "2.7.1"})
            self.assertEqual(step.returncode, 0, str(step))

            ls = self.run_step({"command": "ls", "args": package})
            self.assertEqual(ls.returncode, 0, str(ls))
            self.assertEqual("\n" in ls.outputs["json"], False)
            direct = subprocess.run([self.bin, "ls", package, "--format", "json"], env=clean_env(), capture_output=True,
                                    text=True, timeout=120)
            self.assertEqual(json.loads(ls.outputs["json"]), json.loads(direct.stdout))
            self.assertEqual([v["version"] for v in json.loads(ls.outputs["json"])["versions"]], ["2.7.1"])
            self.assertIn("::group::ocx-release ls %s --format json" % package, ls.stdout)

            dry = self.run_step({"command": "copy", "args": "%s:2.7.1 %s/promoted/hello -c" % (package, reg.host),
                                 "dry-run": "true"})
            self.assertEqual(dry.returncode, 0, str(dry))
            self.assertEqual(json.loads(dry.outputs["json"])["status"], "planned")
            self.assertEqual(self.tag_list(reg, "promoted/hello"), [])
            copy = self.run_step({"command": "copy", "args": "%s:2.7.1 %s/promoted/hello -c" % (package, reg.host)})
            self.assertEqual(copy.returncode, 0, str(copy))
            self.assertEqual(json.loads(copy.outputs["json"])["index"]["digest"], step.outputs["digest"])

            check = self.run_step({"command": "cascade", "args": "check %s %s/promoted/hello" % (package, reg.host)})
            self.assertEqual(check.returncode, 0, str(check))
            self.assertEqual([r["status"] for r in json.loads(check.outputs["json"])], ["planned", "planned"])

    def test_unknown_command_and_misplaced_inputs_are_usage_errors(self):
        bad = self.run_step({"command": "relase", "args": "x"})
        self.assertEqual(bad.returncode, 64, str(bad))
        self.assertIn("input 'command' must be release, copy, cascade or ls, got 'relase'", bad.stderr)
        with_matrix = self.run_step({"command": "ls", "matrix": "examples/hello/release.json", "args": "x"})
        self.assertEqual(with_matrix.returncode, 64, str(with_matrix))
        self.assertIn("input 'matrix' is for command release; give ls's arguments in 'args'", with_matrix.stderr)
        no_args = self.run_step({"command": "ls"})
        self.assertEqual(no_args.returncode, 64, str(no_args))
        self.assertIn("input 'args' must hold ls's arguments", no_args.stderr)


class Shards(ActionTest):
    def test_shards_then_finalize(self):
        with Registry() as reg:
            package = reg.host + "/examples/hello"
            matrix = self.matrix_for(package, "shards.json")
            parts = self.work / "parts"
            parts.mkdir()
            for platform in PLATFORMS:
                step = self.run_step({"matrix": matrix, "tag": "3.1.4", "shard": platform})
                self.assertEqual(step.returncode, 0, str(step))
                self.assertEqual(os.path.basename(step.outputs["report"]),
                                 "part-%s.json" % platform.replace("/", "-"))
                part = step.report()
                self.assertEqual([p["platform"] for p in part["platforms"]], [platform])
                self.assertEqual(step.outputs["digest"], "")
                self.assertEqual(step.outputs["tags"], "")
                self.assertIn("## ocx-release shard %s: `%s:3.1.4` — published" % (platform, package), step.summary)
                self.assertIn("--shard %s" % platform, step.stdout)
                shutil.copy(step.outputs["report"], parts)
            self.assertEqual([t for t in self.tag_list(reg) if not t.startswith("sha256.")], [],
                             "a shard wrote a tag")

            final = self.run_step({"matrix": matrix, "tag": "3.1.4", "finalize-parts": "parts/*.json"})
            self.assertEqual(final.returncode, 0, str(final))
            self.assertIn("::group::ocx-release finalize examples/hello/shards.json parts/part-", final.stdout)
            report = final.report()
            self.assertEqual(report["status"], "published")
            self.assertEqual([p["platform"] for p in report["platforms"]], PLATFORMS)
            raw = skopeo_inspect_raw(package + ":3.1.4")
            self.assertEqual(final.outputs["digest"], "sha256:" + hashlib.sha256(raw).hexdigest())
            self.assertEqual(final.outputs["tags"].split("\n"), ["3.1.4", "3.1", "3", "latest"])
            self.assertIn("## ocx-release finalize: `%s:3.1.4` — published" % package, final.summary)

            # The same index as one job would have published (deterministic bundles, one merge).
            plan = fixtures.run(["release", self.work / matrix, "--tag", "3.1.4", "--dry-run", "--offline",
                                 "--report", "-"], check=True)
            self.assertEqual(plan.json()["index"]["digest"], final.outputs["digest"])


class Demo(unittest.TestCase):
    """scripts/demo.sh, the README's first command (with OCX_RELEASE_BIN it skips the build)."""

    def run_demo(self, *args) -> tuple:
        tmp = tempfile.mkdtemp(prefix="ocx-demo-test-")
        self.addCleanup(shutil.rmtree, tmp, True)
        r = subprocess.run(["bash", str(SOURCE_DIR / "scripts" / "demo.sh"), *args], cwd=SOURCE_DIR,
                           env=clean_env({"OCX_RELEASE_BIN": release_bin(), "TMPDIR": tmp}),
                           capture_output=True, text=True, timeout=600)
        return r, tmp

    def test_demo_with_a_throwaway_registry(self):
        r, tmp = self.run_demo()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        host = re.search(r"docker-registry on http://(127\.0\.0\.1:\d+)", r.stderr).group(1)
        self.assertIn("$ skopeo inspect --raw --tls-verify=false docker://%s/examples/hello:1.0.0" % host, r.stderr)
        self.assertIn("$ skopeo list-tags --tls-verify=false docker://%s/examples/hello" % host, r.stderr)
        self.assertRegex(r.stderr, r"verified %s/examples/hello:1\.0\.0: \d+ checks, all match" % re.escape(host))
        self.assertIn("(as planned by the dry run)", r.stderr)
        tags = json.loads(r.stdout[r.stdout.rindex('{\n    "Repository"'):])["Tags"]
        self.assertTrue({"1.0.0", "1.0", "1", "latest"} <= set(tags), tags)
        # It cleaned up after itself: no temporary directory, no registry left answering.
        self.assertEqual(os.listdir(tmp), [])
        self.assertEqual(registry_get("http://" + host, "/v2/", timeout=2).status, 0)

    def test_demo_into_a_layout(self):
        with tempfile.TemporaryDirectory() as d:
            layout = os.path.join(d, "layout")
            r, tmp = self.run_demo("--layout", layout)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn("docker-registry", r.stderr)
            self.assertRegex(r.stderr, r"verified oci:%s:1\.0\.0: \d+ checks, all match" % re.escape(layout))
            raw = skopeo_inspect_raw("oci:%s:1.0.0" % layout)
            self.assertEqual(json.loads(raw)["mediaType"], "application/vnd.oci.image.index.v1+json")
            self.assertEqual(len(json.loads(raw)["manifests"]), 3)
            self.assertEqual(os.listdir(tmp), [])

    def test_demo_refuses_unknown_arguments(self):
        r, _ = self.run_demo("--registry")
        self.assertEqual(r.returncode, 64)
        self.assertIn("demo: unknown argument '--registry' (try --help)", r.stderr)


class FinalizeRefusal(ActionTest):
    def test_a_refused_part_is_annotated_from_stderr(self):
        # finalize refuses before it has a report: the annotation comes from its stderr.
        package = "oci:" + os.path.join(self.tmp, "layout-refused")
        matrix = self.matrix_for(package, "refused.json")
        (self.work / "bad-part.json").write_text('{"schema": 2}')
        step = self.run_step({"matrix": matrix, "finalize-parts": "bad-part.json"})
        self.assertEqual(step.returncode, 65, str(step))
        errors = [line for line in step.stdout.splitlines() if line.startswith("::error")]
        self.assertEqual(errors[0], "::error title=ocx-release::bad-part.json:/schema: unsupported report schema 2 "
                                    "(this tool reads 1)")
        self.assertIn("::error title=ocx-release::bad-part.json:/status: required key is missing", errors)
        self.assertEqual(step.outputs["report"], "")
        self.assertEqual(step.outputs["digest"], "")
        self.assertTrue(step.summary.startswith("## ocx-release finalize: failed (exit 65)"), step.summary)
        self.assertIn("bad-part.json:/schema: unsupported report schema 2", step.summary)


class Install(unittest.TestCase):
    def run_install(self, env: dict) -> tuple:
        with tempfile.TemporaryDirectory() as d:
            out, path_file = os.path.join(d, "output"), os.path.join(d, "path")
            open(out, "w").close()
            open(path_file, "w").close()
            e = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out, "GITHUB_PATH": path_file,
                 "XDG_CACHE_HOME": os.path.join(d, "xdg-cache")}
            e.update(env)
            r = subprocess.run(["bash", str(INSTALL_SH)], env=clean_env(e), capture_output=True, text=True,
                               timeout=120)
            return r, parse_github_output(Path(out).read_text()), Path(path_file).read_text()

    def test_the_binary_input_wins(self):
        binary = release_bin()
        r, outputs, path = self.run_install({"INPUT_BINARY": binary})
        self.assertEqual(r.returncode, 0, r.stderr)
        resolved = os.path.join(os.path.realpath(os.path.dirname(binary)), os.path.basename(binary))
        self.assertEqual(os.path.realpath(outputs["binary"]), os.path.realpath(resolved))
        self.assertEqual(r.stdout.strip(), outputs["binary"])
        self.assertEqual(path.strip(), os.path.dirname(outputs["binary"]))
        self.assertIn("using ", r.stderr)

    def test_ocx_release_on_path_is_used(self):
        with tempfile.TemporaryDirectory() as d:
            os.symlink(release_bin(), os.path.join(d, "ocx-release"))
            r, outputs, _ = self.run_install({"PATH": d + os.pathsep + os.environ.get("PATH", "")})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(outputs["binary"], os.path.join(d, "ocx-release"))

    def test_a_build_from_source_is_cached_by_source_hash(self):
        # A stand-in cmake "builds" by copying the real binary: this checks the cache, not CMake.
        with tempfile.TemporaryDirectory() as d:
            tools, cache = os.path.join(d, "tools"), os.path.join(d, "tool-cache")
            os.makedirs(tools)
            log = os.path.join(d, "cmake.log")
            fake = os.path.join(tools, "cmake")
            with open(fake, "w") as f:
                f.write("#!/bin/sh\necho \"$*\" >> %s\n"
                        "[ \"$1\" = --build ] && cp %s \"$2/ocx-release\"\n"
                        "[ \"$1\" = -S ] && mkdir -p \"$4\"\nexit 0\n" % (log, release_bin()))
            os.chmod(fake, 0o755)
            env = {"PATH": tools + os.pathsep + "/usr/bin:/bin", "RUNNER_TOOL_CACHE": cache, "OCX_INSTALL_DEPS": "0",
                   "INPUT_FROM_SOURCE": "true"}
            r, outputs, _ = self.run_install(env)
            self.assertEqual(r.returncode, 0, r.stderr)
            built = outputs["binary"]
            self.assertRegex(built, r"^%s/ocx-release/source-[0-9a-f]{16}/ocx-release$" % re.escape(cache))
            self.assertIn("building ocx-release from %s (source %s)" % (os.path.normpath(SOURCE_DIR), built.split("/")[-2][7:]),
                      r.stderr)
            self.assertIn("-DOCX_BUILD_TESTS=OFF", Path(log).read_text())
            self.assertFalse(os.path.exists(os.path.join(os.path.dirname(built), "build")))

            os.remove(fake)  # no cmake now: the second run must not build
            r2, outputs2, _ = self.run_install(env)
            self.assertEqual(r2.returncode, 0, r2.stderr)
            self.assertEqual(outputs2["binary"], built)
            self.assertIn("cached build " + built.split("/")[-2][7:], r2.stderr)

    def test_a_bad_binary_input_is_a_usage_error(self):
        r, outputs, _ = self.run_install({"INPUT_BINARY": "/nonexistent/ocx-release"})
        self.assertEqual(r.returncode, 64)
        self.assertIn("::error title=ocx-release install::input 'binary': /nonexistent/ocx-release is not an "
                      "executable file", r.stdout)
        self.assertEqual(outputs, {})


class ReleaseServer:
    """python's http.server on 127.0.0.1 serving a directory, with a log of the paths it was asked for."""

    def __init__(self, root: str):
        self.requests: list = []
        requests = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                requests.append(self.path)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class InstallRelease(unittest.TestCase):
    """action/install.sh downloading the release asset that scripts/package.sh built, from a
    loopback HTTP server laid out like a GitHub release (<url>/v<version>/<asset>)."""

    run_install = Install.run_install

    @classmethod
    def setUpClass(cls):
        cls.pkg = built_package()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ocx-install-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.served = os.path.join(self.tmp, "served")
        self.release_dir = os.path.join(self.served, "v" + version())
        os.makedirs(self.release_dir)
        for name in (asset_name(), asset_name() + ".sha256"):
            shutil.copy(self.pkg.dist / name, self.release_dir)
        self.cache = os.path.join(self.tmp, "tool-cache")
        self.arch_dir = os.path.join(self.cache, "ocx-release", version(), os_arch()[1])

    def install(self, server: ReleaseServer, **env) -> tuple:
        e = {"OCX_RELEASE_DOWNLOAD_URL": server.url, "RUNNER_TOOL_CACHE": self.cache, "PATH": "/usr/bin:/bin"}
        e.update(env)
        return self.run_install(e)

    def assert_nothing_installed(self, r, outputs, path):
        self.assertEqual(outputs, {}, r.stderr)
        self.assertEqual(path, "")
        self.assertFalse(os.path.exists(self.arch_dir))
        self.assertFalse(os.path.exists(self.arch_dir + ".complete"))
        self.assertEqual(os.listdir(os.path.dirname(self.arch_dir)), [])  # no download left behind

    def test_installs_the_asset_and_the_second_run_uses_the_cache(self):
        with ReleaseServer(self.served) as server:
            r, outputs, path = self.install(server)
            self.assertEqual(r.returncode, 0, r.stderr)
            binary = os.path.join(self.arch_dir, "ocx-release")
            self.assertEqual(outputs["binary"], binary)
            self.assertEqual(r.stdout.strip(), binary)
            self.assertEqual(path.strip(), self.arch_dir)
            self.assertTrue(os.path.isfile(self.arch_dir + ".complete"))
            self.assertEqual(sorted(os.listdir(self.arch_dir)), ["LICENSE", "README.md", "ocx-release"])
            self.assertIn("downloading %s/v%s/%s" % (server.url, version(), asset_name()), r.stderr)
            self.assertEqual(server.requests, ["/v%s/%s" % (version(), asset_name()),
                                               "/v%s/%s.sha256" % (version(), asset_name())])
            run = subprocess.run([binary, "--version"], capture_output=True, text=True)
            self.assertEqual(run.stdout.splitlines()[0], "ocx-release " + version())

            again, outputs2, path2 = self.install(server)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertEqual(outputs2["binary"], binary)
            self.assertEqual(path2.strip(), self.arch_dir)
            self.assertIn("ocx-release %s from the tool cache" % version(), again.stderr)
            self.assertEqual(len(server.requests), 2, "the second run downloaded: %s" % server.requests)

            # An explicit version input with a leading v is the same version.
            third, outputs3, _ = self.install(server, INPUT_VERSION="v" + version())
            self.assertEqual((third.returncode, outputs3["binary"]), (0, binary), third.stderr)
            self.assertEqual(len(server.requests), 2)

    def test_only_https_or_a_loopback_mirror(self):
        # The checksum comes from the same server as the asset: plain HTTP to another host would
        # let anyone on the path swap both. Nothing is fetched, nothing installed.
        r, outputs, path = self.run_install({"OCX_RELEASE_DOWNLOAD_URL": "http://mirror.example/releases",
                                             "RUNNER_TOOL_CACHE": self.cache, "PATH": "/usr/bin:/bin"})
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("OCX_RELEASE_DOWNLOAD_URL must be an https:// URL (plain http only on a loopback host), "
                      "got 'http://mirror.example/releases'", r.stderr)
        self.assertEqual((outputs, path), ({}, ""))
        self.assertFalse(os.path.exists(self.arch_dir))

    def test_an_input_with_a_line_break_cannot_forge_a_workflow_command(self):
        r, outputs, _ = self.run_install({"INPUT_BINARY": "/nonexistent\n::error::forged",
                                          "RUNNER_TOOL_CACHE": self.cache, "PATH": "/usr/bin:/bin"})
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertEqual(outputs, {})
        self.assertNotIn("\n::error::forged", r.stdout)
        self.assertIn("/nonexistent%0A::error::forged is not an executable file", r.stdout)

    def test_outside_github_it_installs_into_the_user_cache(self):
        # How examples/gitlab/.gitlab-ci.yml uses it: no runner, XDG_CACHE_HOME kept by the CI cache.
        xdg = os.path.join(self.tmp, "xdg")
        with ReleaseServer(self.served) as server:
            for attempt in (1, 2):
                r = subprocess.run(["bash", str(INSTALL_SH)], capture_output=True, text=True, timeout=120,
                                   env=clean_env({"OCX_RELEASE_DOWNLOAD_URL": server.url, "XDG_CACHE_HOME": xdg,
                                                  "PATH": "/usr/bin:/bin"}))
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stdout.strip(), os.path.join(xdg, "ocx-release", "releases", version(),
                                                                os_arch()[1], "ocx-release"))
                self.assertNotIn("::", r.stdout)
            self.assertEqual(len(server.requests), 2, server.requests)  # the second run downloaded nothing

    def test_by_default_it_downloads_from_the_action_repositorys_releases(self):
        # The action as the runner checks it out: <tool dir>/_actions/OWNER/REPO/REF/.
        action = os.path.join(self.tmp, "runner", "_actions", "acme", "ocx-release", "v1")
        os.makedirs(os.path.join(action, "action"))
        shutil.copy(INSTALL_SH, os.path.join(action, "action", "install.sh"))
        shutil.copy(SOURCE_DIR / "VERSION", action)
        os.makedirs(os.path.join(self.served, "acme", "ocx-release", "releases", "download"))
        os.rename(self.release_dir, os.path.join(self.served, "acme", "ocx-release", "releases", "download",
                                                 "v" + version()))
        with ReleaseServer(self.served) as server, tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "output")
            open(out, "w").close()
            r = subprocess.run(["bash", os.path.join(action, "action", "install.sh")], capture_output=True, text=True,
                               timeout=120, env=clean_env({
                                   "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out, "GITHUB_SERVER_URL": server.url,
                                   "GITHUB_REPOSITORY": "someone/else", "RUNNER_TOOL_CACHE": self.cache,
                                   "PATH": "/usr/bin:/bin"}))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(server.requests[0], "/acme/ocx-release/releases/download/v%s/%s" % (version(), asset_name()))
            self.assertEqual(parse_github_output(Path(out).read_text())["binary"],
                             os.path.join(self.arch_dir, "ocx-release"))

    def test_a_tampered_asset_is_refused_and_nothing_is_installed(self):
        asset = os.path.join(self.release_dir, asset_name())
        data = bytearray(Path(asset).read_bytes())
        data[len(data) // 2] ^= 0xFF
        Path(asset).write_bytes(bytes(data))
        with ReleaseServer(self.served) as server:
            r, outputs, path = self.install(server)
        self.assertEqual(r.returncode, 65, r.stderr)
        expected = (self.pkg.dist / (asset_name() + ".sha256")).read_text().split()[0]
        message = "checksum mismatch for %s: %s.sha256 says %s, the download is %s; nothing was installed" % (
            asset_name(), asset_name(), expected, hashlib.sha256(bytes(data)).hexdigest())
        self.assertIn("install: error: " + message, r.stderr)
        self.assertIn("::error title=ocx-release install::" + message, r.stdout)
        self.assert_nothing_installed(r, outputs, path)

    def test_a_missing_asset_is_a_clear_error(self):
        with ReleaseServer(self.served) as server:
            r, outputs, path = self.install(server, INPUT_VERSION="9.8.7")
        self.assertEqual(r.returncode, 79, r.stderr)
        name = asset_name().replace(version(), "9.8.7")
        self.assertIn("install: error: no release asset %s at %s/v9.8.7/%s (HTTP 404): is v9.8.7 released for %s/%s?"
                      % (name, server.url, name, *os_arch()), r.stderr)
        self.assertEqual(outputs, {})
        self.assertEqual(path, "")
        self.assertFalse(os.path.exists(os.path.join(self.cache, "ocx-release", "9.8.7", os_arch()[1])))

    def test_an_archive_with_other_members_is_refused(self):
        # The checksum matches (the server is the attacker), but the archive holds a path that
        # escapes: its member list is checked before anything is unpacked.
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name in ("ocx-release", "README.md", "LICENSE", "../escaped"):
                info = tarfile.TarInfo(name)
                info.size = 3
                tar.addfile(info, io.BytesIO(b"hi\n"))
        Path(self.release_dir, asset_name()).write_bytes(buf.getvalue())
        Path(self.release_dir, asset_name() + ".sha256").write_text(
            "%s  %s\n" % (hashlib.sha256(buf.getvalue()).hexdigest(), asset_name()))
        with ReleaseServer(self.served) as server:
            r, outputs, path = self.install(server)
        self.assertEqual(r.returncode, 65, r.stderr)
        self.assertIn("install: error: %s holds '../escaped LICENSE README.md ocx-release ', not ocx-release, "
                      "README.md and LICENSE" % asset_name(), r.stderr)
        self.assert_nothing_installed(r, outputs, path)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "tool-cache", "ocx-release", version(), "escaped")))

    def test_a_bad_version_input_is_a_usage_error(self):
        with ReleaseServer(self.served) as server:
            r, outputs, _ = self.install(server, INPUT_VERSION="1.2; rm -rf /")
        self.assertEqual(r.returncode, 64)
        self.assertIn("input 'version': expected MAJOR.MINOR.PATCH (e.g. 1.2.3), got '1.2??rm?-rf??'", r.stderr)
        self.assertEqual((outputs, server.requests), ({}, []))


if __name__ == "__main__":
    unittest.main()
