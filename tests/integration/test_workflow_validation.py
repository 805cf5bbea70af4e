"""The CI front ends are valid for the systems that run them.

* action.yml and every workflow in examples/github/ pass @action-validator/cli (the schemas GitHub
  publishes), installed pinned by scripts/install-node-tools.sh. A missing npm registry is a
  failure with a clear message, never a skip.
* The workflows use the action as it is: every `with:` key of a `uses: ./` step is an input, every
  `steps.<id>.outputs.<name>` of such a step is an output, and every input reaches run.sh.
* examples/gitlab/.gitlab-ci.yml is parsed with the `yaml` npm package (YAML 1.2; Python's
  standard library has no YAML parser) and checked structurally: stages, extends, needs,
  parallel:matrix shards, a dotenv report matching --gitlab-dotenv.
* examples/jenkins/Jenkinsfile (no Groovy parser here) is checked for balanced brackets outside
  strings and comments and for the declarative skeleton (pipeline, agent, stages, stage/steps).
* Every `ocx-release <command> --flag` written in any of them is a flag that command accepts
  (`ocx-release <command> --help`).
* The project's own workflows (.github/workflows/ci.yml, release.yml) pass the validator too; CI
  runs the README's test command on Debian 12 and ubuntu-latest; the release builds, tests and
  packages three platforms, releases the assets with checksums, and publishes ocx-release with its
  own action, from a matrix whose preparing step is run here and planned with `--dry-run`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from schemas import SOURCE_DIR

GITHUB_DIR = SOURCE_DIR / "examples" / "github"
GITLAB_FILE = SOURCE_DIR / "examples" / "gitlab" / ".gitlab-ci.yml"
JENKINS_FILE = SOURCE_DIR / "examples" / "jenkins" / "Jenkinsfile"
ACTION_FILE = SOURCE_DIR / "action.yml"
PROJECT_WORKFLOWS = SOURCE_DIR / ".github" / "workflows"

_tools: Path | None = None


def node_tools() -> Path:
    """The node_modules directory of scripts/install-node-tools.sh (installs on first use)."""
    global _tools
    if _tools is None:
        r = subprocess.run(["bash", str(SOURCE_DIR / "scripts" / "install-node-tools.sh")], capture_output=True,
                           text=True, timeout=600)
        if r.returncode != 0:
            raise AssertionError(
                "scripts/install-node-tools.sh failed (exit %d): the workflow checks need @action-validator/cli "
                "and yaml from the npm registry, and it could not install them.\n%s" % (r.returncode, r.stderr))
        _tools = Path(r.stdout.strip().splitlines()[-1]) / "node_modules"
    return _tools


def action_validator(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(node_tools() / "@action-validator" / "cli" / "cli.mjs"), str(path)],
                          capture_output=True, text=True, timeout=120)


_YAML_TO_JSON = r"""
const YAML = require(process.argv[1]);
const text = require("fs").readFileSync(process.argv[2], "utf8");
const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
const problems = doc.errors.concat(doc.warnings);
if (problems.length) { console.error(problems.map(String).join("\n")); process.exit(1); }
process.stdout.write(JSON.stringify(doc.toJS({ maxAliasCount: 100 })));
"""


def load_yaml(path: Path):
    """YAML -> Python via the `yaml` npm package; AssertionError naming the problem when invalid."""
    r = subprocess.run(["node", "-e", _YAML_TO_JSON, str(node_tools() / "yaml"), str(path)], capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("%s is not valid YAML:\n%s" % (path, r.stderr))
    return json.loads(r.stdout)


def workflows() -> list[Path]:
    return sorted(list(GITHUB_DIR.glob("*.yml")) + list(GITHUB_DIR.glob("*.yaml")))


_help_cache: dict = {}


def known_flags(command: str) -> set[str]:
    """The long and short flags `ocx-release COMMAND --help` lists."""
    if command not in _help_cache:
        import fixtures
        r = subprocess.run([fixtures.release_bin(), command, "--help"], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("ocx-release %s --help failed:\n%s%s" % (command, r.stdout, r.stderr))
        _help_cache[command] = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])\b", r.stdout))
    return _help_cache[command]


_INVOCATION = re.compile(r"ocx-release (release|finalize|verify|create|push|install|env|exec)\b([^\n]*)")


def check_invocations(test: unittest.TestCase, text: str, where: str) -> int:
    """Every flag on an `ocx-release COMMAND …` line of `text` is one COMMAND accepts; returns the
    number of invocations seen."""
    count = 0
    for m in _INVOCATION.finditer(text):
        count += 1
        command, rest = m.group(1), m.group(2)
        for flag in re.findall(r"(?<![\w$-])(--[a-z][a-z0-9-]*)", rest):
            test.assertIn(flag, known_flags(command), "%s: `ocx-release %s%s` uses %s, which `ocx-release %s` "
                                                      "does not accept" % (where, command, rest, flag, command))
    return count


def walk_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from walk_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk_strings(v)


def without_attestations_permission(path: Path) -> Path:
    """`path`, or a copy without its `attestations: write` permission lines: the validator's schema
    (@action-validator 0.6.0, the newest) predates that permission, which
    actions/attest-build-provenance needs (examples/github/release-keyless.yml). Only those lines go;
    everything else is validated as written."""
    text = path.read_text()
    kept = [line for line in text.splitlines(keepends=True) if not re.match(r"^\s+attestations: write\b", line)]
    if len(kept) == len(text.splitlines(keepends=True)):
        return path
    copy = Path(tempfile.mkdtemp(prefix="ocx-workflow-")) / path.name
    copy.write_text("".join(kept))
    return copy


class GitHub(unittest.TestCase):
    def test_action_yml_is_valid(self):
        r = action_validator(ACTION_FILE)
        self.assertEqual(r.returncode, 0, "action.yml:\n%s%s" % (r.stdout, r.stderr))

    def test_every_example_workflow_is_valid(self):
        found = workflows()
        self.assertEqual(sorted(p.name for p in found), ["dry-run-pr.yml", "release-keyless.yml", "release-matrix.yml", "release.yml"])
        for path in found:
            with self.subTest(path.name):
                r = action_validator(without_attestations_permission(path))
                self.assertEqual(r.returncode, 0, "%s:\n%s%s" % (path.name, r.stdout, r.stderr))

    def test_the_validator_rejects_a_broken_workflow(self):
        # A control: the validator really checks (a typo'd key, a step with both run and uses).
        with tempfile.TemporaryDirectory() as d:
            bad = Path(d) / "bad.yml"
            bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz:\n      - run: echo\n")
            r = action_validator(bad)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("/jobs/a", r.stderr)
            bad_action = Path(d) / "action.yml"
            bad_action.write_text("name: x\ndescription: x\nruns:\n  using: composite\n  steps:\n    - run: echo\n")
            self.assertNotEqual(action_validator(bad_action).returncode, 0)

    def test_every_input_reaches_run_sh(self):
        action = load_yaml(ACTION_FILE)
        run_sh = (SOURCE_DIR / "action" / "run.sh").read_text()
        steps = {s.get("id"): s for s in action["runs"]["steps"]}
        env = dict(steps["install"].get("env", {}), **steps["run"].get("env", {}))
        mapped = {}
        for var, value in env.items():
            m = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", value)
            if m:
                mapped[m.group(1)] = var
        self.assertEqual(sorted(mapped), sorted(action["inputs"]), "inputs not handed to a step: %s" %
                         sorted(set(action["inputs"]) - set(mapped)))
        install_sh = (SOURCE_DIR / "action" / "install.sh").read_text()
        install_inputs = set(steps["install"].get("env", {})) & set(mapped.values())
        self.assertEqual(sorted(install_inputs), ["INPUT_BINARY", "INPUT_FROM_SOURCE", "INPUT_VERSION"])
        for name, var in mapped.items():
            self.assertEqual(var, "INPUT_" + name.upper().replace("-", "_"))
            if var in install_inputs:
                self.assertIn(var, install_sh, "install.sh never reads %s (input %s)" % (var, name))
            else:
                self.assertIn(var, run_sh, "run.sh never reads %s (input %s)" % (var, name))
        for name, out in action["outputs"].items():
            self.assertEqual(out["value"], "${{ steps.run.outputs.%s }}" % name)
            self.assertIn('"%s"' % name, (SOURCE_DIR / "action" / "summarize.py").read_text())

    def test_workflows_use_the_action_as_it_is(self):
        action = load_yaml(ACTION_FILE)
        inputs, outputs = set(action["inputs"]), set(action["outputs"])
        for path in workflows():
            wf = load_yaml(path)
            with self.subTest(path.name):
                self.assertEqual(wf["env"]["REGISTRY"], "registry.example")
                for job_name, job in wf["jobs"].items():
                    ours = set()
                    for step in job.get("steps", []):
                        if step.get("uses") == "./":
                            extra = set(step.get("with", {})) - inputs
                            self.assertFalse(extra, "%s/%s: unknown action inputs %s" % (path.name, job_name, extra))
                            if "id" in step:
                                ours.add(step["id"])
                    for text in walk_strings(job):
                        for step_id, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text):
                            if step_id in ours:
                                self.assertIn(output, outputs, "%s/%s: steps.%s.outputs.%s is not an output" %
                                              (path.name, job_name, step_id, output))
                    for text in walk_strings(job):
                        for script in re.findall(r"(examples/[\w./-]+\.sh)", text):
                            self.assertTrue((SOURCE_DIR / script).is_file(), "%s runs %s, which does not exist" %
                                            (path.name, script))
                self.assertGreater(check_invocations(self, path.read_text(), path.name) +
                                   sum(1 for j in wf["jobs"].values() for s in j.get("steps", [])
                                       if s.get("uses") == "./" and "matrix" in s.get("with", {})), 0)

    def test_the_one_job_release_takes_its_tag_from_metadata_action(self):
        wf = load_yaml(GITHUB_DIR / "release.yml")
        steps = wf["jobs"]["release"]["steps"]
        uses = [s.get("uses", "") for s in steps]
        self.assertTrue(any(u.startswith("docker/login-action@") for u in uses))
        release = next(s for s in steps if s.get("id") == "release")
        self.assertEqual(release["with"]["tag"], "${{ steps.meta.outputs.version }}")
        self.assertLess(next(i for i, u in enumerate(uses) if u.startswith("docker/login-action@")),
                        steps.index(release))

    def test_the_sharded_release_finalizes_the_uploaded_parts(self):
        wf = load_yaml(GITHUB_DIR / "release-matrix.yml")
        shard_steps = wf["jobs"]["shard"]["steps"]
        shard = next(s for s in shard_steps if s.get("uses") == "./" and "shard" in s.get("with", {}))
        self.assertEqual(shard["with"]["shard"], "${{ matrix.platform }}")
        upload = next(s for s in shard_steps if s.get("uses", "").startswith("actions/upload-artifact@"))
        self.assertEqual(upload["with"]["path"], "${{ steps.%s.outputs.report }}" % shard["id"])
        fin = wf["jobs"]["finalize"]
        self.assertIn("shard", fin["needs"])
        download = next(s for s in fin["steps"] if s.get("uses", "").startswith("actions/download-artifact@"))
        final = next(s for s in fin["steps"] if s.get("uses") == "./" and "finalize-parts" in s.get("with", {}))
        self.assertTrue(final["with"]["finalize-parts"].startswith(download["with"]["path"] + "/"))
        self.assertEqual(sorted(wf["jobs"]["shard"]["strategy"]["matrix"]["platform"]),
                         sorted(p["platform"] for p in
                                json.loads((SOURCE_DIR / "examples/hello/release.json").read_text())["platforms"]))

    def test_the_pull_request_workflow_only_plans(self):
        wf = load_yaml(GITHUB_DIR / "dry-run-pr.yml")
        self.assertIn("pull_request", wf["on"])
        ours = [s for j in wf["jobs"].values() for s in j["steps"] if s.get("uses") == "./" and s.get("with")]
        self.assertTrue(ours)
        for s in ours:
            self.assertIn(str(s["with"].get("dry-run")).lower(), ("true",))


def steps_running(job: dict, text: str) -> list:
    return [s for s in job.get("steps", []) if text in s.get("run", "")]


class ProjectWorkflows(unittest.TestCase):
    """.github/workflows/: the project's own CI and release."""

    def test_they_are_valid(self):
        found = sorted(p.name for p in PROJECT_WORKFLOWS.iterdir())
        self.assertEqual(found, ["ci.yml", "release.yml"])
        for name in found:
            with self.subTest(name):
                r = action_validator(PROJECT_WORKFLOWS / name)
                self.assertEqual(r.returncode, 0, "%s:\n%s%s" % (name, r.stdout, r.stderr))
                text = (PROJECT_WORKFLOWS / name).read_text()
                check_invocations(self, text, name)
                for script in re.findall(r"((?:scripts|examples)/[\w./-]+\.sh)", text):
                    self.assertTrue((SOURCE_DIR / script).is_file(), "%s runs %s, which does not exist" % (name, script))

    def test_ci_runs_the_readme_test_command_on_debian_12_and_ubuntu_latest(self):
        readme = (SOURCE_DIR / "README.md").read_text()
        self.assertIn("```sh\nscripts/test.sh\n```", readme)
        jobs = load_yaml(PROJECT_WORKFLOWS / "ci.yml")["jobs"]
        where = {(job.get("container"), job["runs-on"]) for job in jobs.values()
                 if [s["run"] for s in steps_running(job, "scripts/test.sh")] == ["scripts/test.sh"]}
        self.assertIn(("debian:12", "ubuntu-24.04"), where)
        self.assertIn((None, "ubuntu-latest"), where)

    def test_release_builds_tests_and_packages_three_platforms(self):
        wf = load_yaml(PROJECT_WORKFLOWS / "release.yml")
        self.assertEqual(wf["on"]["push"]["tags"], ["v*.*.*"])
        linux, darwin = wf["jobs"]["build-linux"], wf["jobs"]["build-darwin"]
        self.assertEqual(sorted(e["platform"] for e in linux["strategy"]["matrix"]["include"]),
                         ["linux/amd64", "linux/arm64"])
        self.assertEqual(linux["container"], "debian:12")  # glibc of the packages: see test_package
        self.assertTrue(darwin["runs-on"].startswith("macos-"))
        for job in (linux, darwin):
            self.assertTrue(steps_running(job, "scripts/test.sh"))
            self.assertTrue(steps_running(job, "scripts/package.sh"))
            self.assertTrue(any(s.get("uses", "").startswith("actions/upload-artifact@") for s in job["steps"]))
            self.assertTrue(steps_running(job, 'test "$GITHUB_REF_NAME" = "v$(head -n 1 VERSION)"'))

    def test_release_publishes_assets_then_itself_with_its_own_action(self):
        wf = load_yaml(PROJECT_WORKFLOWS / "release.yml")
        job = wf["jobs"]["release"]
        self.assertEqual(sorted(job["needs"]), ["build-darwin", "build-linux"])
        self.assertEqual(job["permissions"], {"contents": "write", "packages": "write"})
        steps = job["steps"]
        gh = steps_running(job, "gh release create")[0]
        self.assertIn("dist/*.tar.gz dist/*.sha256", gh["run"])
        self.assertTrue(steps_running(job, "sha256sum -c"))
        login = next(s for s in steps if s.get("uses", "").startswith("docker/login-action@"))
        self.assertEqual(login["with"]["registry"], "${{ vars.OCX_PACKAGE_REGISTRY }}")
        ours = next(s for s in steps if s.get("uses") == "./")
        self.assertEqual(set(ours["with"]), {"matrix"})  # the action installs the asset just released
        self.assertLess(steps.index(gh), steps.index(ours))
        self.assertLess(steps.index(login), steps.index(ours))

    def test_the_release_matrix_step_makes_a_matrix_that_plans(self):
        import fixtures
        from release_package import built_package, version
        step = next(s for s in load_yaml(PROJECT_WORKFLOWS / "release.yml")["jobs"]["release"]["steps"]
                    if s.get("id") == "prepare")
        self.assertEqual(step["env"], {"OCX_PACKAGE_REGISTRY": "${{ vars.OCX_PACKAGE_REGISTRY }}"})
        with tempfile.TemporaryDirectory() as d:
            # dist/ as the release job downloads it: one asset per platform (here the same binary).
            shutil.copytree(SOURCE_DIR, os.path.join(d, "src"), ignore=shutil.ignore_patterns(
                "build*", ".cache", "dist", ".git", "node_modules"))
            work = os.path.join(d, "src")
            os.makedirs(os.path.join(work, "dist"))
            for platform in ("linux-amd64", "linux-arm64", "darwin-arm64"):
                shutil.copy(built_package().asset,
                            os.path.join(work, "dist", "ocx-release-%s-%s.tar.gz" % (version(), platform)))
            env = dict(os.environ, OCX_PACKAGE_REGISTRY="registry.example", GITHUB_REPOSITORY="Owner/OCX-Release")
            r = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=work, env=env, capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            matrix = json.loads(Path(work, "ocx-package", "release.json").read_text())
            self.assertEqual(matrix["package"], "registry.example/owner/ocx-release")
            self.assertEqual(matrix["tag"], version())
            self.assertEqual([p["platform"] for p in matrix["platforms"]], ["linux/amd64", "linux/arm64", "darwin/arm64"])
            for platform in ("linux-amd64", "linux-arm64", "darwin-arm64"):
                self.assertEqual(sorted(os.listdir(os.path.join(work, "ocx-package", platform))),
                                 ["LICENSE", "README.md", "bin"])
            plan = fixtures.run(["release", os.path.join(work, "ocx-package", "release.json"), "--dry-run",
                                 "--offline", "--report", "-"], check=True)
            report = plan.json()
            self.assertEqual(report["status"], "planned")
            self.assertEqual(report["tags"][0]["tag"], version())
            self.assertEqual([p["platform"] for p in report["platforms"]],
                             ["linux/amd64", "linux/arm64", "darwin/arm64"])

            # Without the repository variable the step stops with a clear error.
            env["OCX_PACKAGE_REGISTRY"] = ""
            r = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=work, env=env, capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 1)
            self.assertIn("::error::set the repository variable OCX_PACKAGE_REGISTRY", r.stdout)


class GitLab(unittest.TestCase):
    def test_gitlab_ci_structure(self):
        ci = load_yaml(GITLAB_FILE)
        stages = ci["stages"]
        reserved = {"stages", "variables", "default", "include", "workflow", "image", "services", "cache",
                    "before_script", "after_script"}
        jobs = {k: v for k, v in ci.items() if k not in reserved}
        visible = {k: v for k, v in jobs.items() if not k.startswith(".")}
        self.assertTrue(visible)

        def resolved(job: dict) -> dict:
            parents = job.get("extends", [])
            out = {}
            for p in [parents] if isinstance(parents, str) else parents:
                self.assertIn(p, jobs, "extends %s, which is not defined" % p)
                out.update(resolved(jobs[p]))
            out.update(job)
            return out

        for name, job in visible.items():
            with self.subTest(name):
                job = resolved(job)
                self.assertIn(job.get("stage"), stages, "%s: stage %r is not in stages" % (name, job.get("stage")))
                self.assertTrue(job.get("script"), "%s has no script" % name)
                for need in job.get("needs", []):
                    target = need["job"] if isinstance(need, dict) else need
                    self.assertIn(target, visible, "%s needs %s, which is not a job" % (name, target))
                    self.assertLessEqual(stages.index(jobs[target]["stage"]), stages.index(job["stage"]))

        shard = resolved(visible["shard"])
        platforms = shard["parallel"]["matrix"][0]["PLATFORM"]
        matrix = json.loads((SOURCE_DIR / "examples/hello/release.json").read_text())
        self.assertEqual(sorted(platforms), sorted(p["platform"] for p in matrix["platforms"]))
        self.assertIn('--shard "$PLATFORM"', "\n".join(shard["script"]))

        final = resolved(visible["finalize"])
        dotenv = final["artifacts"]["reports"]["dotenv"]
        self.assertIn("--gitlab-dotenv %s" % dotenv, "\n".join(final["script"]))
        self.assertIn("parts/*.json", "\n".join(final["script"]))

        verify = resolved(visible["verify"])
        self.assertIn("$OCX_RELEASE_REPORT", "\n".join(verify["script"]))

        text = GITLAB_FILE.read_text()
        self.assertGreaterEqual(check_invocations(self, text, GITLAB_FILE.name), 4)
        for script in re.findall(r"((?:examples|scripts)/[\w./-]+\.sh)", text):
            self.assertTrue((SOURCE_DIR / script).is_file(), "%s does not exist" % script)


def strip_groovy(text: str) -> str:
    """The Jenkinsfile with comments removed and string contents blanked (quotes kept), so the
    remaining brackets are the code's own. Handles '…', "…", '''…''', \"\"\"…\"\"\", // and /* */."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise AssertionError("unterminated /* comment")
            i = j + 2
        elif text.startswith("'''", i) or text.startswith('"""', i):
            q = text[i:i + 3]
            j = text.find(q, i + 3)
            if j < 0:
                raise AssertionError("unterminated %s string" % q)
            out.append(q + q)
            i = j + 3
        elif text[i] in "'\"":
            q, j = text[i], i + 1
            while j < n and text[j] != q:
                if text[j] == "\n":
                    raise AssertionError("unterminated string at offset %d" % i)
                j += 2 if text[j] == "\\" else 1
            out.append(q + q)
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def balanced(code: str) -> str | None:
    """None when (), [], {} nest properly, else a description of the first problem."""
    pairs, stack = {")": "(", "]": "[", "}": "{"}, []
    for i, c in enumerate(code):
        if c in "([{":
            stack.append((c, i))
        elif c in pairs:
            if not stack or stack[-1][0] != pairs[c]:
                return "unexpected %r at line %d" % (c, code.count("\n", 0, i) + 1)
            stack.pop()
    return None if not stack else "unclosed %r from line %d" % (stack[-1][0], code.count("\n", 0, stack[-1][1]) + 1)


class Jenkins(unittest.TestCase):
    def test_the_bracket_check_catches_mistakes(self):
        self.assertIsNone(balanced(strip_groovy("a { b('}') /* { */ c(\"x\") }")))
        self.assertIsNotNone(balanced(strip_groovy("a { b( }")))
        self.assertIsNotNone(balanced(strip_groovy("a { sh '''x''' ")))

    def test_jenkinsfile_structure(self):
        text = JENKINS_FILE.read_text()
        code = strip_groovy(text)
        self.assertIsNone(balanced(code))
        self.assertRegex(code, r"^\s*pipeline\s*\{", "a declarative pipeline starts with `pipeline {`")
        for block in ("agent", "stages", "post"):
            self.assertRegex(code, r"\b%s\b" % block)
        stages = re.findall(r"stage\(''\)\s*\{", code)
        self.assertGreaterEqual(len(stages), 3)
        # Every stage has a steps block before the next stage starts.
        for part in re.split(r"stage\(''\)", code)[1:]:
            self.assertIn("steps", part.split("stage(")[0])
        self.assertIn("archiveArtifacts artifacts: 'report.json'", text)
        self.assertIn("returnStatus: true", text)
        self.assertGreaterEqual(check_invocations(self, text, JENKINS_FILE.name), 2)


if __name__ == "__main__":
    unittest.main()
