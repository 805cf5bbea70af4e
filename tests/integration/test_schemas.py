"""schemas/release-matrix.v1.json and schemas/report.v1.json.

* Every example matrix in examples/ matches the matrix schema; samples with one mistake each are
  rejected at the JSON path where the mistake is.
* The schemas agree with the tool: every sample the schema accepts, `ocx-release release
  --dry-run --offline` accepts too, and every sample it rejects, the tool rejects with exit 65 at
  the same JSON path. The reports the tool writes match the report schema.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
import unittest
from pathlib import Path

import schemas
from schemas import SOURCE_DIR, matrix_errors, report_errors, validate_matrix, validate_report

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64

# The matrix of docs/cli.md ("Release matrix (input)"), with the host replaced.
SPEC_MATRIX = {
    "schema": 1,
    "package": "registry.example/acme/mytool",
    "tag": "1.2.3",
    "build_timestamp": "none",
    "cascade": True,
    "aliases": ["stable"],
    "canonical_tags": True,
    "metadata": "packaging/metadata.json",
    "annotations": {"org.opencontainers.image.source": "https://git.example/acme/mytool"},
    "compression": {"level": "default", "threads": 0},
    "output_dir": "dist/bundles",
    "platforms": [
        {"platform": "linux/amd64+libc.glibc", "content": "build/linux-amd64"},
        {"platform": "linux/arm64", "archive": "dist/mytool-1.2.3-linux-arm64.tar.xz"},
        {"platform": "darwin/arm64", "content": "build/darwin-arm64", "metadata": "packaging/metadata-darwin.json"},
    ],
}

# The report of docs/cli.md ("Report (output)") with real-looking digests.
SPEC_REPORT = {
    "schema": 1,
    "status": "published",
    "dry_run": False,
    "package": "registry.example/acme/mytool",
    "tag": "1.2.3",
    "index": {"digest": D1, "size": 655, "reference": "registry.example/acme/mytool@" + D1},
    "platforms": [{
        "platform": "linux/amd64+libc.glibc",
        "archive": {"path": "dist/bundles/mytool-1.2.3-linux-amd64.tar.xz", "digest": D2, "size": 123, "created": True},
        "config": {"digest": D3, "size": 155},
        "manifest": {"digest": D2, "size": 452},
        "canonical_tag": "sha256." + "2" * 64,
        "blobs": {"uploaded": 1, "skipped": 1, "mounted": 0, "bytes_uploaded": 123},
        "pushed": True,
    }],
    "tags": [
        {"tag": "1.2.3", "kind": "primary", "before": None, "after": D1, "action": "created"},
        {"tag": "1.2", "kind": "cascade", "before": D2, "after": D1, "action": "moved"},
        {"tag": "1", "kind": "cascade", "before": D1, "after": D1, "action": "unchanged"},
        {"tag": "latest", "kind": "cascade", "before": D3, "after": D3, "action": "blocked",
         "blocked_by": ["2.0.0"], "platforms": ["linux/amd64+libc.glibc"]},
    ],
    "errors": [],
}


def example_matrices() -> list[Path]:
    """Every JSON file under examples/ that is a release matrix (has "platforms")."""
    out = []
    for path in sorted((SOURCE_DIR / "examples").rglob("*.json")):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if isinstance(data, dict) and "platforms" in data:
            out.append(path)
    return out


def changed(base: dict, pointer: str, value=None, delete: bool = False) -> dict:
    """A deep copy of `base` with the value at JSON pointer `pointer` replaced (or deleted)."""
    doc = copy.deepcopy(base)
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    node = doc
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node[p]
    last = parts[-1]
    if isinstance(node, list):
        if delete:
            del node[int(last)]
        else:
            node[int(last)] = value
    elif delete:
        del node[last]
    else:
        node[last] = value
    return doc


# A matrix the tool accepts in a temporary directory prepared by MatrixAgreement (content trees,
# a prebuilt archive with its sidecar, metadata files).
BASE = {
    "schema": 1,
    "package": "127.0.0.1:5000/acme/tool",
    "tag": "1.2.3",
    "metadata": "metadata.json",
    "platforms": [
        {"platform": "linux/amd64", "content": "tree"},
        {"platform": "linux/arm64", "content": "tree"},
    ],
}

# (name, matrix, JSON path the schema and the tool must both name)
INVALID = [
    ("unknown top-level key", changed(BASE, "/platfroms", []), ""),
    ("schema 2", changed(BASE, "/schema", 2), "/schema"),
    ("schema as string", changed(BASE, "/schema", "1"), "/schema"),
    ("package missing", changed(BASE, "/package", delete=True), ""),
    ("package with a tag", changed(BASE, "/package", "127.0.0.1:5000/acme/tool:1.0"), "/package"),
    ("package with a digest", changed(BASE, "/package", "127.0.0.1:5000/acme/tool@" + D1), "/package"),
    ("package upper case", changed(BASE, "/package", "127.0.0.1:5000/Acme/tool"), "/package"),
    ("layout package with a tag", changed(BASE, "/package", "oci:layout:1.0"), "/package"),
    ("tag with a space", changed(BASE, "/tag", "1.2 3"), "/tag"),
    ("tag starting with a dot", changed(BASE, "/tag", ".1"), "/tag"),
    ("tag too long", changed(BASE, "/tag", "a" * 129), "/tag"),
    ("tag reserved by OCX", changed(BASE, "/tag", "__OCX.desc"), "/tag"),
    ("tag shaped like a canonical digest tag", changed(BASE, "/tag", "sha256." + "0" * 64), "/tag"),
    ("alias shaped like a signature tag", changed(BASE, "/aliases", ["stable", "sha256-" + "a" * 64 + ".sig"]),
     "/aliases/1"),
    ("build_timestamp unknown", changed(BASE, "/build_timestamp", "hourly"), "/build_timestamp"),
    ("cascade not a boolean", changed(BASE, "/cascade", "yes"), "/cascade"),
    ("canonical_tags not a boolean", changed(BASE, "/canonical_tags", 1), "/canonical_tags"),
    ("alias with a slash", changed(BASE, "/aliases", ["stable/x"]), "/aliases/0"),
    ("aliases not an array", changed(BASE, "/aliases", "stable"), "/aliases"),
    ("annotation value not a string", changed(BASE, "/annotations", {"a": 1}), "/annotations/a"),
    ("compression level unknown", changed(BASE, "/compression", {"level": "max"}), "/compression/level"),
    ("compression threads negative", changed(BASE, "/compression", {"threads": -1}), "/compression/threads"),
    ("compression unknown key", changed(BASE, "/compression", {"lvl": "fast"}), "/compression"),
    ("metadata block unknown key", changed(BASE, "/metadata", {"default": "metadata.json", "other": "x"}),
     "/metadata"),
    ("metadata block bad platform", changed(BASE, "/metadata", {"default": "metadata.json",
                                                                  "platforms": {"linux/x86": "metadata.json"}}),
     "/metadata/platforms"),
    ("metadata not a string", changed(BASE, "/metadata", 3), "/metadata"),
    ("platforms empty", changed(BASE, "/platforms", []), "/platforms"),
    ("platforms missing", changed(BASE, "/platforms", delete=True), ""),
    ("platform unknown pair", changed(BASE, "/platforms/0/platform", "linux/x86"), "/platforms/0/platform"),
    ("platform os only", changed(BASE, "/platforms/0/platform", "linux"), "/platforms/0/platform"),
    ("platform too many parts", changed(BASE, "/platforms/0/platform", "linux/amd64/v1/x"),
     "/platforms/0/platform"),
    ("platform empty feature", changed(BASE, "/platforms/0/platform", "linux/amd64+"), "/platforms/0/platform"),
    ("platform any with a variant", changed(BASE, "/platforms/0/platform", "any/v1"), "/platforms/0/platform"),
    ("platform any with features", changed(BASE, "/platforms/0/platform", "any+x"), "/platforms/0/platform"),
    ("platform missing", changed(BASE, "/platforms/0/platform", delete=True), "/platforms/0"),
    ("platform entry unknown key", changed(BASE, "/platforms/0/contents", "tree"), "/platforms/0"),
    ("content and archive", changed(BASE, "/platforms/0/archive", "dist/tool.tar.xz"), "/platforms/0"),
    ("neither content nor archive", changed(BASE, "/platforms/0/content", delete=True), "/platforms/0"),
    ("archive of an unsupported kind", changed(changed(BASE, "/platforms/0/content", delete=True),
                                               "/platforms/0/archive", "dist/tool.zip"), "/platforms/0/archive"),
    ("platform entry not an object", changed(BASE, "/platforms/0", "linux/amd64"), "/platforms/0"),
]

# (name, matrix) — accepted by the schema and, in MatrixAgreement, by the tool.
VALID = [
    ("base", BASE),
    ("layout package", changed(BASE, "/package", "oci:out/layout")),
    ("layout package with a colon in the directory", changed(BASE, "/package", "oci:out:x/layout")),
    ("registry with a port and a nested repository", changed(BASE, "/package", "localhost:5000/a/b-c/d__e.f")),
    ("every optional key", dict(BASE, **{
        "$schema": "../schemas/release-matrix.v1.json", "description": "x", "build_timestamp": "date",
        "cascade": True, "aliases": ["stable", "edge"], "canonical_tags": False,
        "annotations": {"org.opencontainers.image.source": "https://git.example/x"},
        "compression": {"level": "fast", "threads": 2}, "output_dir": "out"})),
    ("tag with + for _", changed(BASE, "/tag", "1.2.3+build5")),
    ("tags that only look reserved", dict(BASE, tag="__oc", aliases=["x__ocx", "sha256." + "0" * 63])),
    ("metadata block form", changed(BASE, "/metadata", {"default": "metadata.json",
                                                          "platforms": {"linux/arm64": "metadata-arm.json"}})),
    ("platform with features", changed(BASE, "/platforms/0/platform", "linux/amd64+libc.musl")),
    ("platform with a variant", changed(BASE, "/platforms/1/platform", "linux/arm64/v8")),
    ("platform wasm", changed(BASE, "/platforms/0/platform", "wasip1/wasm")),
    ("platform any", changed(BASE, "/platforms/0/platform", "any")),
    ("prebuilt archive with its sidecar", changed(changed(BASE, "/platforms/1/content", delete=True),
                                                  "/platforms/1/archive", "dist/tool-linux-arm64.tar.xz")),
    ("per-platform metadata", changed(BASE, "/platforms/0/metadata", "metadata-arm.json")),
]


class MatrixSchema(unittest.TestCase):
    def test_examples_match_the_schema(self):
        found = example_matrices()
        self.assertGreaterEqual(len(found), 1, "no example matrix under examples/")
        names = [p.relative_to(SOURCE_DIR).as_posix() for p in found]
        self.assertIn("examples/hello/release.json", names)
        for path in found:
            with self.subTest(path=path.name):
                with open(path, encoding="utf-8") as f:
                    validate_matrix(json.load(f))

    def test_the_spec_example_matches(self):
        validate_matrix(SPEC_MATRIX)

    def test_valid_samples_are_accepted(self):
        for name, matrix in VALID:
            with self.subTest(name):
                self.assertEqual(matrix_errors(matrix), [])

    def test_invalid_samples_are_rejected_at_their_path(self):
        for name, matrix, pointer in INVALID:
            with self.subTest(name):
                problems = matrix_errors(matrix)
                self.assertTrue(problems, "schema accepted: %s" % json.dumps(matrix))
                self.assertTrue(any(p.startswith((pointer or "/") + ":") for p in problems),
                                "expected a problem at %r, got %s" % (pointer or "/", problems))

    def test_validate_matrix_names_the_path(self):
        with self.assertRaises(AssertionError) as ctx:
            validate_matrix(changed(BASE, "/platforms/1/platform", "linux/x86"))
        self.assertIn("/platforms/1/platform:", str(ctx.exception))


class ReportSchema(unittest.TestCase):
    def test_the_spec_example_matches(self):
        self.assertIs(validate_report(SPEC_REPORT), SPEC_REPORT)

    def test_other_valid_shapes(self):
        plan = dict(SPEC_REPORT, status="planned", dry_run=True, offline=True)
        plan["tags"] = [{"tag": "1.2.3", "kind": "primary", "before": None, "after": D1, "action": "created",
                         "reason": "offline: the target was not read; assumes the tag does not exist yet"},
                        {"tag": "(rolling tags)", "kind": "cascade", "before": None, "after": None,
                         "action": "skipped", "reason": "offline: rolling tags depend on the tags in the registry"}]
        shard = dict(SPEC_REPORT, index=None, tags=[])
        validation = {"schema": 1, "status": "failed", "dry_run": False, "package": "", "tag": "", "index": None,
                      "platforms": [], "tags": [], "errors": [{"step": "validate", "kind": "data",
                                                               "message": "m.json:/tag: invalid tag"}]}
        layers = copy.deepcopy(SPEC_REPORT)
        a = layers["platforms"][0]["archive"]
        layers["platforms"][0]["layers"] = [a, dict(a, digest=D3, created=False)]
        layers["platforms"][0]["archive"] = None
        layers["platforms"][0]["canonical_tag"] = None
        partial = dict(SPEC_REPORT, status="partial",
                       errors=[{"step": "tag 1.2", "kind": "transient", "message": "503 from the registry"}])
        partial["tags"] = SPEC_REPORT["tags"][:1] + [{"tag": "1.2", "kind": "cascade", "before": D2, "after": None,
                                                       "action": "failed", "reason": "503 from the registry"}]
        for name, r in [("offline plan", plan), ("shard part", shard), ("validation failure", validation),
                        ("several layers", layers), ("partial", partial)]:
            with self.subTest(name):
                self.assertEqual(report_errors(r), [])

    def test_invalid_reports_are_rejected(self):
        cases = [
            ("unknown key", changed(SPEC_REPORT, "/extra", 1), "/"),
            ("schema 2", changed(SPEC_REPORT, "/schema", 2), "/schema"),
            ("unknown status", changed(SPEC_REPORT, "/status", "done"), "/status"),
            ("short digest", changed(SPEC_REPORT, "/index/digest", "sha256:abc"), "/index/digest"),
            ("upper-case digest", changed(SPEC_REPORT, "/platforms/0/manifest/digest", "sha256:" + "A" * 64),
             "/platforms/0/manifest/digest"),
            ("sha512 digest", changed(SPEC_REPORT, "/platforms/0/config/digest", "sha512:" + "1" * 128),
             "/platforms/0/config/digest"),
            ("index reference without digest", changed(SPEC_REPORT, "/index/reference", "registry.example/a:1"),
             "/index/reference"),
            ("negative size", changed(SPEC_REPORT, "/platforms/0/manifest/size", -1), "/platforms/0/manifest/size"),
            ("missing pushed", changed(SPEC_REPORT, "/platforms/0/pushed", delete=True), "/platforms/0"),
            ("unknown platform key", changed(SPEC_REPORT, "/platforms/0/os", "linux"), "/platforms/0"),
            ("bad platform", changed(SPEC_REPORT, "/platforms/0/platform", "linux/x86"), "/platforms/0/platform"),
            ("canonical tag with a colon", changed(SPEC_REPORT, "/platforms/0/canonical_tag", D1),
             "/platforms/0/canonical_tag"),
            ("one layer listed", changed(SPEC_REPORT, "/platforms/0/layers",
                                         [SPEC_REPORT["platforms"][0]["archive"]]), "/platforms/0/layers"),
            ("unknown tag kind", changed(SPEC_REPORT, "/tags/0/kind", "rolling"), "/tags/0/kind"),
            ("unknown action", changed(SPEC_REPORT, "/tags/0/action", "deleted"), "/tags/0/action"),
            ("created with a before", changed(SPEC_REPORT, "/tags/0/before", D2), "/tags/0/before"),
            ("moved without a before", changed(SPEC_REPORT, "/tags/1/before", None), "/tags/1/before"),
            ("empty blocked_by", changed(SPEC_REPORT, "/tags/3/blocked_by", []), "/tags/3/blocked_by"),
            ("bad tag", changed(SPEC_REPORT, "/tags/1/tag", "1 2"), "/tags/1/tag"),
            ("offline false", changed(SPEC_REPORT, "/offline", False), "/offline"),
            ("offline without dry run", changed(SPEC_REPORT, "/offline", True), "/dry_run"),
            ("planned without dry run", changed(SPEC_REPORT, "/status", "planned"), "/dry_run"),
            ("dry run that published", changed(SPEC_REPORT, "/dry_run", True), "/status"),
            ("published with errors", changed(SPEC_REPORT, "/errors",
                                              [{"step": "x", "kind": "io", "message": "m"}]), "/errors"),
            ("failed without errors", changed(SPEC_REPORT, "/status", "failed"), "/errors"),
            ("unknown error kind", changed(changed(SPEC_REPORT, "/status", "failed"), "/errors",
                                           [{"step": "x", "kind": "oops", "message": "m"}]), "/errors/0/kind"),
            ("published without a tag", changed(SPEC_REPORT, "/tag", ""), "/tag"),
        ]
        for name, report, pointer in cases:
            with self.subTest(name):
                problems = report_errors(report)
                self.assertTrue(problems, "schema accepted: %s" % name)
                self.assertTrue(any(p.startswith(pointer + ":") for p in problems),
                                "expected a problem at %r, got %s" % (pointer, problems))

    def test_validate_report_lists_every_problem(self):
        bad = changed(changed(SPEC_REPORT, "/index/digest", "x"), "/tags/0/action", "deleted")
        with self.assertRaises(AssertionError) as ctx:
            validate_report(bad)
        self.assertIn("/index/digest:", str(ctx.exception))
        self.assertIn("/tags/0/action:", str(ctx.exception))


class MatrixAgreement(unittest.TestCase):
    """The schema and the tool judge the same samples the same way (needs the binary)."""

    @classmethod
    def setUpClass(cls):
        import fixtures  # the binary and a hermetic environment
        cls.fixtures = fixtures
        fixtures.release_bin()  # raises with a clear message when the binary is missing
        cls.dir = tempfile.mkdtemp(prefix="ocx-schema-")
        root = Path(cls.dir)
        # bin/hello: the example metadata declares it, and a release checks that it is there.
        fixtures.make_tree(root / "tree", {"bin": {"hello": fixtures.File("#!/bin/sh\necho tool\n", 0o755)},
                                           "README": "tool\n"})
        shutil.copy(SOURCE_DIR / "examples" / "hello" / "metadata.json", root / "metadata.json")
        shutil.copy(SOURCE_DIR / "examples" / "hello" / "metadata.json", root / "metadata-arm.json")
        (root / "dist").mkdir()
        r = fixtures.run(["create", root / "tree", "-i", "127.0.0.1:5000/acme/tool:1.2.3", "-p", "linux/arm64",
                          "-m", root / "metadata.json", "-o", root / "dist" / "tool-linux-arm64.tar.xz"])
        if r.returncode != 0:
            raise AssertionError("could not create the sample archive:\n%s" % r)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def dry_run(self, matrix: dict, name: str):
        path = Path(self.dir) / ("m-%s.json" % abs(hash(name)))
        path.write_text(json.dumps(matrix))
        report_path = Path(self.dir) / "report.json"
        if report_path.exists():
            report_path.unlink()
        r = self.fixtures.run(["release", path, "--dry-run", "--offline", "--report", report_path], cwd=self.dir)
        report = json.loads(report_path.read_text()) if report_path.exists() else None
        return path, r, report

    def test_the_tool_accepts_what_the_schema_accepts(self):
        for name, matrix in VALID:
            with self.subTest(name):
                _, r, report = self.dry_run(matrix, name)
                self.assertEqual(r.returncode, 0, str(r))
                validate_report(report)
                self.assertEqual(report["status"], "planned")

    def test_the_tool_rejects_what_the_schema_rejects_at_the_same_path(self):
        for name, matrix, pointer in INVALID:
            with self.subTest(name):
                path, r, report = self.dry_run(matrix, name)
                self.assertEqual(r.returncode, 65, str(r))
                # "error: FILE:/json/pointer: message": the tool names the schema's path or one
                # below it (the schema reports an unknown key at its object, the tool at the key).
                expected = "%s:%s" % (path, pointer)
                lines = [line[len("error: "):] if line.startswith("error: ") else line
                         for line in r.stderr.splitlines()]
                self.assertTrue(any(line.startswith(expected) for line in lines),
                                "expected %r in stderr:\n%s" % (expected, r.stderr))
                if report is not None:
                    validate_report(report)
                    self.assertEqual(report["status"], "failed")


if __name__ == "__main__":
    unittest.main()
