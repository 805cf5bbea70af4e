"""Managing what is published (issue 16 items 4, 5, 7; docs/cli.md "ls", "cascade", "copy"):
`ls` lists versions, platforms and rolling tags; `cascade check` finds rolling tags set back by
hand and `cascade repair` restores them. Expected values come from push reports and from reading the registry back over
HTTP and with skopeo, never typed in."""

from __future__ import annotations

import http.client
import json
import unittest
from pathlib import Path

from fixtures import Registry, run
from test_push import AMD, ARM, MAC, INDEX, LayoutStore, RegistryHarness, RegistryStore, sha256


def put_manifest(reg: Registry, repo: str, reference: str, body: bytes, media_type: str = INDEX) -> None:
    """PUT a manifest or index by hand, as someone editing a registry would."""
    conn = http.client.HTTPConnection(reg.host, timeout=30)
    conn.request("PUT", "/v2/%s/manifests/%s" % (repo, reference), body=body, headers={"Content-Type": media_type})
    r = conn.getresponse()
    r.read()
    conn.close()
    assert r.status == 201, (reference, r.status)


def entry_digests(raw: bytes) -> dict:
    """{platform: manifest digest} of an index."""
    out = {}
    for e in json.loads(raw)["manifests"]:
        p = e.get("platform")
        if p:
            out["%s/%s" % (p["os"], p["architecture"])] = e["digest"]
    return out


class TestLs(RegistryHarness):
    def setUp(self):
        if getattr(type(self), "_published", False):
            return
        repo = "ls/tool"
        self.push(repo, "1.2.3", AMD, "1.2.3", "-n", "-c")
        self.push(repo, "1.2.3", ARM, "1.2.3", "-c")
        self.push(repo, "1.3.0", AMD, "1.3.0", "-c", flavor="b")
        self.push(repo, "nightly", AMD, "nightly", flavor="c")
        type(self)._published = True

    def test_json_lists_versions_newest_first_with_platforms_and_rolling_tags(self):
        repo = "ls/tool"
        r = run(["ls", "%s/%s" % (self.reg.host, repo), "--format", "json"])
        self.assertEqual(r.returncode, 0, str(r))
        listing = r.json()
        self.assertEqual(listing["package"], "%s/%s" % (self.reg.host, repo))
        self.assertEqual([v["version"] for v in listing["versions"]], ["1.3.0", "1.2.3"])
        self.assertEqual(listing["other_tags"], ["nightly"])
        for v in listing["versions"]:
            raw = self.store.manifest(repo, v["version"])
            self.assertEqual(v["digest"], sha256(raw))
            self.assertEqual({p["platform"]: p["digest"] for p in v["platforms"]}, entry_digests(raw))
        # Which rolling tag holds which version's entry, read back from the registry (newest first).
        versions = {v: entry_digests(self.store.manifest(repo, v)) for v in ("1.3.0", "1.2.3")}
        expected = {"1.3.0": {}, "1.2.3": {}}
        for tag in ("1.2", "1.3", "1", "latest"):
            for platform, digest in entry_digests(self.store.manifest(repo, tag)).items():
                owner = next(v for v, held in versions.items() if held.get(platform) == digest)
                expected[owner].setdefault(tag, []).append(platform)
        got = {v["version"]: {t["tag"]: sorted(t["platforms"]) for t in v["rolling_tags"]} for v in listing["versions"]}
        self.assertEqual(got, {v: {t: sorted(p) for t, p in tags.items()} for v, tags in expected.items()})
        # 1.3.0 moved 1.3, 1 and latest for linux/amd64; 1.2.3 still owns 1 and latest for linux/arm64.
        self.assertEqual(got["1.3.0"], {"1.3": [AMD], "1": [AMD], "latest": [AMD]})
        self.assertEqual(got["1.2.3"], {"1.2": sorted([AMD, ARM]), "1": [ARM], "latest": [ARM]})

    def test_text_lists_one_line_per_version_newest_first(self):
        r = run(["ls", "%s/ls/tool" % self.reg.host])
        self.assertEqual(r.returncode, 0, str(r))
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("1.3.0 "), lines)
        self.assertIn("linux/amd64", lines[0])
        self.assertIn("<- 1.3, 1, latest", lines[0])
        self.assertTrue(lines[1].startswith("1.2.3 "), lines)
        self.assertIn("linux/amd64 linux/arm64", lines[1])
        self.assertIn("<- 1.2, 1 (linux/arm64), latest (linux/arm64)", lines[1])
        self.assertEqual(lines[2], "other tags: nightly")

    def test_missing_repository_is_not_found(self):
        r = run(["ls", "%s/ls/none" % self.reg.host])
        self.assertEqual(r.returncode, 79, str(r))
        self.assertIn("repository %s/ls/none does not exist" % self.reg.host, r.stderr)

    def test_a_tag_is_a_usage_error(self):
        r = run(["ls", "%s/ls/tool:1.2.3" % self.reg.host])
        self.assertEqual(r.returncode, 64, str(r))
        self.assertIn("give the repository alone", r.stderr)

    def test_layout(self):
        layout = str(Path(self._tmp, "ls-layout"))
        store, self.store = self.store, LayoutStore()
        try:
            self.push(layout, "2.0.0", AMD, "2.0.0", "-n", "-c")
        finally:
            self.store = store
        r = run(["ls", "oci:" + layout, "--format", "json"])
        self.assertEqual(r.returncode, 0, str(r))
        (version,) = r.json()["versions"]
        self.assertEqual(version["version"], "2.0.0")
        self.assertEqual([p["platform"] for p in version["platforms"]], [AMD])
        self.assertEqual(sorted(t["tag"] for t in version["rolling_tags"]), ["2", "2.0", "latest"])



class TestCascadeCheckRepair(RegistryHarness):
    REPO = "cascade/tool"

    def setUp(self):
        # A fresh repository per test: 1.2.3 (amd64, arm64), then 1.2.4 (amd64) moving 1.2, 1, latest
        # for amd64 only.
        self.repo = "%s-%s" % (self.REPO, self._testMethodName.lower().replace("_", "-")[-40:])
        self.push(self.repo, "1.2.3", AMD, "1.2.3", "-n", "-c")
        self.push(self.repo, "1.2.3", ARM, "1.2.3", "-c")
        self.push(self.repo, "1.2.4", AMD, "1.2.4", "-c", flavor="b")

    def cascade(self, *args: str, expect: int):
        r = run(["cascade", *args, "--format", "json"])
        self.assertEqual(r.returncode, expect, str(r))
        return r.json(), r

    def all_tags(self) -> dict:
        return {t: sha256(self.store.manifest(self.repo, t)) for t in self.store.tag_list(self.repo)}

    def set_back_by_hand(self) -> None:
        """What an interrupted push or a manual edit leaves: 1.2 and latest back at 1.2.3's index."""
        old = self.store.manifest(self.repo, "1.2.3")
        put_manifest(self.reg, self.repo, "1.2", old)
        put_manifest(self.reg, self.repo, "latest", old)

    def test_a_consistent_repository_checks_clean(self):
        (report,), _ = self.cascade("check", "%s/%s" % (self.reg.host, self.repo), expect=0)
        self.assertEqual(report["errors"], [])
        self.assertEqual(report["tags"], [])
        self.assertTrue(report["dry_run"])

    def test_check_reports_tags_set_back_by_hand_and_writes_nothing(self):
        self.set_back_by_hand()
        before = self.all_tags()
        mark = self.reg.mark()
        (report,), r = self.cascade("check", "%s/%s" % (self.reg.host, self.repo), expect=65)
        self.assertEqual(self.writes_since(mark), [])
        self.assertEqual(self.all_tags(), before)
        old_amd = entry_digests(self.store.manifest(self.repo, "1.2.3"))[AMD]
        new_amd = entry_digests(self.store.manifest(self.repo, "1.2.4"))[AMD]
        self.assertEqual([t["tag"] for t in report["tags"]], ["1.2", "latest"])
        for t in report["tags"]:
            self.assertEqual(t["before"], before[t["tag"]])
            self.assertEqual(t["platforms"], [AMD])
            self.assertIn("%s: %s -> %s (1.2.4)" % (AMD, old_amd, new_amd), t["reason"])
        self.assertEqual(report["status"], "failed")
        self.assertEqual([e["step"] for e in report["errors"]], ["tag 1.2", "tag latest"])
        self.assertIn("rolling tag 1.2: %s is %s, the published versions imply %s (1.2.4)" % (AMD, old_amd, new_amd),
                      r.stderr)

    def test_repair_dry_run_plans_and_writes_nothing(self):
        self.set_back_by_hand()
        before = self.all_tags()
        mark = self.reg.mark()
        (report,), _ = self.cascade("repair", "--dry-run", "%s/%s" % (self.reg.host, self.repo), expect=0)
        self.assertEqual(self.writes_since(mark), [])
        self.assertEqual(self.all_tags(), before)
        self.assertEqual(report["status"], "planned")
        self.assertEqual([(t["tag"], t["action"]) for t in report["tags"]], [("1.2", "moved"), ("latest", "moved")])

    def test_repair_restores_exactly_the_rolling_tags_that_differ(self):
        clean = self.all_tags()
        self.set_back_by_hand()
        before = self.all_tags()
        mark = self.reg.mark()
        (report,), _ = self.cascade("repair", "%s/%s" % (self.reg.host, self.repo), expect=0)
        self.assertEqual(report["status"], "published")
        # Only 1.2 and latest were written; no version tag, no other rolling tag.
        written = sorted(set(path.rsplit("/", 1)[1] for method, path in self.writes_since(mark, accepted_only=True)
                             if method == "PUT"))
        self.assertEqual(written, ["1.2", "latest"])
        after = self.all_tags()
        for tag in ("1.2.3", "1.2.4", "1"):
            self.assertEqual(after[tag], before[tag], tag)
        # Each repaired tag holds the newest version's entry per platform, as the pushes left it.
        want = {AMD: entry_digests(self.store.manifest(self.repo, "1.2.4"))[AMD],
                ARM: entry_digests(self.store.manifest(self.repo, "1.2.3"))[ARM]}
        for tag in ("1.2", "latest"):
            self.assertEqual(entry_digests(self.store.manifest(self.repo, tag)), want, tag)
            self.assertEqual(after[tag], clean[tag], tag)
        self.assertEqual([t["after"] for t in report["tags"]], [after["1.2"], after["latest"]])
        self.assertNotEqual(after["1.2"], before["1.2"])
        self.cascade("check", "%s/%s" % (self.reg.host, self.repo), expect=0)

    def test_several_repositories_one_report_each(self):
        self.set_back_by_hand()
        other = self.repo + "-b"
        self.push(other, "3.0.0", AMD, "3.0.0", "-n", "-c")
        reports, _ = self.cascade("check", "%s/%s" % (self.reg.host, other), "%s/%s" % (self.reg.host, self.repo),
                                  expect=65)
        self.assertEqual([r["package"] for r in reports],
                         ["%s/%s" % (self.reg.host, other), "%s/%s" % (self.reg.host, self.repo)])
        self.assertEqual([r["status"] for r in reports], ["planned", "failed"])



if __name__ == "__main__":
    unittest.main()
