"""Managing what is published (issue 16 items 4, 5, 7; docs/cli.md "ls", "cascade", "copy"):
`ls` lists versions, platforms and rolling tags; `cascade check` finds rolling tags set back by
hand and `cascade repair` restores them; `copy` promotes a release between two real registries
byte for byte. Expected values come from push reports and from reading the registry back over
HTTP and with skopeo, never typed in."""

from __future__ import annotations

import http.client
import json
import shutil
import signal
import subprocess
import threading
import unittest
from pathlib import Path

from fault_proxy import FaultProxy, held
from fixtures import Registry, hermetic_env, release_bin, run, skopeo_inspect_raw
from release_helpers import big_layer, scratch
from schemas import SCHEMA_DIR, errors, validate_report
from test_push import AMD, ARM, MAC, INDEX, MANIFEST, LayoutStore, RegistryHarness, RegistryStore, sha256


def put_manifest(reg: Registry, repo: str, reference: str, body: bytes, media_type: str = INDEX) -> None:
    """PUT a manifest or index by hand, as someone editing a registry would."""
    conn = http.client.HTTPConnection(reg.host, timeout=30)
    conn.request("PUT", "/v2/%s/manifests/%s" % (repo, reference), body=body, headers={"Content-Type": media_type})
    r = conn.getresponse()
    r.read()
    conn.close()
    assert r.status == 201, (reference, r.status)


def upload_blob(reg: Registry, repo: str, data: bytes) -> str:
    """A monolithic blob upload by hand (POST, then PUT ?digest=); returns the digest."""
    digest = sha256(data)
    conn = http.client.HTTPConnection(reg.host, timeout=30)
    conn.request("POST", "/v2/%s/blobs/uploads/" % repo, body=b"")
    r = conn.getresponse()
    r.read()
    assert r.status == 202, r.status
    location = r.getheader("Location")
    location = location.split(reg.host, 1)[-1]
    conn.request("PUT", location + ("&" if "?" in location else "?") + "digest=" + digest, body=data,
                 headers={"Content-Type": "application/octet-stream"})
    r = conn.getresponse()
    r.read()
    conn.close()
    assert r.status == 201, r.status
    return digest


SBOM = "application/vnd.cyclonedx+json"
EMPTY = "application/vnd.oci.empty.v1+json"


def attach_referrer(reg: Registry, repo: str, subject: str, subject_type: str, subject_size: int, document: bytes) -> str:
    """An OCI 1.1 referrer (an SBOM-like artifact) of `subject`, listed under the fallback tag
    sha256-<hex> as a writer without the Referrers API leaves it; returns the referrer's digest."""
    config = upload_blob(reg, repo, b"{}")
    layer = upload_blob(reg, repo, document)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST, "artifactType": SBOM,
        "config": {"mediaType": EMPTY, "digest": config, "size": 2},
        "layers": [{"mediaType": SBOM, "digest": layer, "size": len(document)}],
        "subject": {"mediaType": subject_type, "digest": subject, "size": subject_size},
    }, separators=(",", ":")).encode()
    digest = sha256(manifest)
    put_manifest(reg, repo, digest, manifest, MANIFEST)
    fallback = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": [
        {"mediaType": MANIFEST, "digest": digest, "size": len(manifest), "artifactType": SBOM}]},
        separators=(",", ":")).encode()
    put_manifest(reg, repo, "sha256-" + subject.split(":", 1)[1], fallback)
    return digest


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
        self.assertEqual(errors(listing, SCHEMA_DIR / "ls.v1.json"), [])
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
        for report in r.json():
            validate_report(report)
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
        self.assertIn("tag latest differs (%s: %s -> %s (1.2.4))" % (AMD, old_amd, new_amd), r.stderr)

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



class TestCopy(RegistryHarness):
    """A source registry (the harness's) and a second, independent destination registry."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dst_reg = Registry().start()
        cls.dst = RegistryStore(cls.dst_reg)

    @classmethod
    def tearDownClass(cls):
        cls.dst_reg.stop()
        super().tearDownClass()

    def setUp(self):
        if getattr(type(self), "_published", False):
            return
        for platform in (AMD, ARM, MAC):
            self.push("staging/tool", "1.2.3", platform, "1.2.3", "-n", "-c")
        # Referrers: an SBOM of the linux/amd64 manifest, and one of the index.
        index = self.store.manifest("staging/tool", "1.2.3")
        amd = entry_digests(index)[AMD]
        amd_size = len(self.store.manifest("staging/tool", amd))
        type(self).referrers = {
            amd: attach_referrer(self.reg, "staging/tool", amd, MANIFEST, amd_size, b'{"bomFormat":"CycloneDX","n":1}'),
            sha256(index): attach_referrer(self.reg, "staging/tool", sha256(index), INDEX, len(index),
                                           b'{"bomFormat":"CycloneDX","n":2}'),
        }
        type(self)._published = True

    def assert_referrers_copied(self, repo: str, subjects: list) -> None:
        for subject in subjects:
            tag = "sha256-" + subject.split(":", 1)[1]
            self.assertEqual(self.dst.manifest(repo, tag), self.store.manifest("staging/tool", tag), tag)
            referrer = self.referrers[subject]
            raw = self.dst.manifest(repo, referrer)
            self.assertEqual(raw, self.store.manifest("staging/tool", referrer))
            for blob in [json.loads(raw)["config"]] + json.loads(raw)["layers"]:
                self.assertEqual(sha256(self.dst.blob(repo, blob["digest"])), blob["digest"])

    def src(self, tag: str = "1.2.3") -> str:
        return "%s/staging/tool:%s" % (self.reg.host, tag)

    def copy(self, *args: str, expect: int = 0):
        r = run(["copy", *args, "--format", "json"])
        self.assertEqual(r.returncode, expect, str(r))
        return validate_report(r.json()), r

    def manifests_of(self, store, repo: str, tag: str) -> dict:
        """{digest: bytes} of the index at `tag` and every manifest it lists."""
        raw = store.manifest(repo, tag)
        out = {sha256(raw): raw}
        for e in json.loads(raw)["manifests"]:
            out[e["digest"]] = store.manifest(repo, e["digest"])
        return out

    def test_copy_between_registries_keeps_every_digest_and_recomputes_the_cascade(self):
        # The destination already has a newer 1.3.0 for linux/amd64: its `1` and `latest` must stay
        # there for amd64 (recomputed on DST), where the source's `1` holds 1.2.3 for every platform.
        self.store, src_store = self.dst, self.store
        try:
            self.push("prod/tool", "1.3.0", AMD, "1.3.0", "-n", "-c", flavor="b")
        finally:
            self.store = src_store
        report, _ = self.copy(self.src(), "%s/prod/tool" % self.dst_reg.host, "-c")
        self.assertEqual(report["status"], "published")
        src = self.manifests_of(self.store, "staging/tool", "1.2.3")
        dst = self.manifests_of(self.dst, "prod/tool", "1.2.3")
        self.assertEqual(dst, src)  # the index and every platform manifest, byte for byte
        self.assertEqual(report["index"]["digest"], sha256(self.store.manifest("staging/tool", "1.2.3")))
        for e in json.loads(self.store.manifest("staging/tool", "1.2.3"))["manifests"]:
            m = json.loads(src[e["digest"]])
            for blob in [m["config"]] + m["layers"]:
                self.assertEqual(sha256(self.dst.blob("prod/tool", blob["digest"])), blob["digest"])
            self.assertEqual(self.dst.manifest("prod/tool", "sha256." + e["digest"].split(":")[1]), src[e["digest"]])
        newer_amd = entry_digests(self.dst.manifest("prod/tool", "1.3.0"))[AMD]
        mine = entry_digests(src[sha256(self.store.manifest("staging/tool", "1.2.3"))])
        self.assertEqual(entry_digests(self.dst.manifest("prod/tool", "1.2")), mine)
        for tag in ("1", "latest"):
            self.assertEqual(entry_digests(self.dst.manifest("prod/tool", tag)), {**mine, AMD: newer_amd}, tag)
        actions = {t["tag"]: t["action"] for t in report["tags"]}
        self.assertEqual(actions, {"1.2.3": "created", "1.2": "created", "1": "moved", "latest": "moved"})
        # skopeo, an independent reader, sees the same index bytes.
        self.assertEqual(skopeo_inspect_raw("%s/prod/tool:1.2.3" % self.dst_reg.host),
                         self.store.manifest("staging/tool", "1.2.3"))
        # The referrers of the index and of the linux/amd64 manifest, with their fallback tags.
        self.assert_referrers_copied("prod/tool", list(self.referrers))
        # Again: everything is there, nothing is uploaded, no tag moves.
        again, _ = self.copy(self.src(), "%s/prod/tool" % self.dst_reg.host, "-c")
        self.assertEqual(sum(p["blobs"]["uploaded"] for p in again["platforms"]), 0)
        self.assertEqual({t["action"] for t in again["tags"]}, {"unchanged"})

    def test_dry_run_writes_nothing(self):
        mark = self.dst_reg.mark()
        report, _ = self.copy(self.src(), "%s/dry/tool:9.9.9" % self.dst_reg.host, "-c", "--dry-run")
        self.assertEqual(report["status"], "planned")
        self.assertTrue(report["dry_run"])
        writes = [e for e in self.dst_reg.requests(since=mark) if e.method in ("PUT", "POST", "PATCH", "DELETE")]
        self.assertEqual(writes, [])
        self.assertEqual(self.dst.tag_list("dry/tool"), [])
        self.assertEqual({t["tag"]: t["action"] for t in report["tags"]},
                         {"9.9.9": "created", "9.9": "created", "9": "created", "latest": "created"})
        self.assertEqual(report["index"]["digest"], sha256(self.store.manifest("staging/tool", "1.2.3")))

    def test_platform_filter_rebuilds_the_index_and_keeps_the_manifest(self):
        report, _ = self.copy(self.src(), "%s/filtered/tool" % self.dst_reg.host, "-p", ARM)
        src_entries = entry_digests(self.store.manifest("staging/tool", "1.2.3"))
        raw = self.dst.manifest("filtered/tool", "1.2.3")
        self.assertEqual(entry_digests(raw), {ARM: src_entries[ARM]})
        self.assertNotEqual(sha256(raw), sha256(self.store.manifest("staging/tool", "1.2.3")))
        self.assertEqual(report["index"]["digest"], sha256(raw))
        self.assertEqual([p["platform"] for p in report["platforms"]], [ARM])
        amd = entry_digests(self.store.manifest("staging/tool", "1.2.3"))[AMD]
        self.assertIsNone(self.dst.manifest("filtered/tool", "sha256-" + amd.split(":", 1)[1]))
        # A second platform merges into the rebuilt index; the first is kept.
        _, r = self.copy(self.src(), "%s/filtered/tool" % self.dst_reg.host, "-p", AMD)
        self.assertIn("[%s] added in 1.2.3" % AMD, r.stderr)
        self.assertIn("[%s] kept in 1.2.3" % ARM, r.stderr)
        self.assertEqual(entry_digests(self.dst.manifest("filtered/tool", "1.2.3")),
                         {ARM: src_entries[ARM], AMD: src_entries[AMD]})
        _, r = self.copy(self.src(), "%s/filtered/tool" % self.dst_reg.host, "-p", AMD)
        self.assertIn("[%s] unchanged in 1.2.3" % AMD, r.stderr)

    def test_referrers_of_a_filtered_platform_are_copied(self):
        amd = entry_digests(self.store.manifest("staging/tool", "1.2.3"))[AMD]
        self.copy(self.src(), "%s/sbom/tool" % self.dst_reg.host, "-p", AMD)
        self.assert_referrers_copied("sbom/tool", [amd])

    def test_hostile_referrer_listings_are_copied_once_and_checked_against_their_manifest(self):
        # A source listing that repeats a referrer and names one whose manifest is about another
        # subject, with a terminal escape in its listed annotations: the referrer is copied once,
        # the stranger not under this subject, and DST's entry is read from the referrer's own
        # manifest.
        self.push("hostile/tool", "1.2.3", AMD, "1.2.3", "-n")
        index = self.store.manifest("hostile/tool", "1.2.3")
        amd = entry_digests(index)[AMD]
        amd_size = len(self.store.manifest("hostile/tool", amd))
        good = attach_referrer(self.reg, "hostile/tool", amd, MANIFEST, amd_size, b'{"bomFormat":"CycloneDX","n":3}')
        stranger = attach_referrer(self.reg, "hostile/tool", sha256(index), INDEX, len(index), b'{"n":4}')
        good_size = len(self.store.manifest("hostile/tool", good))
        stranger_size = len(self.store.manifest("hostile/tool", stranger))
        entries = [{"mediaType": MANIFEST, "digest": good, "size": good_size, "artifactType": SBOM,
                    "annotations": {"evil": "\x1b[31mRED" + "x" * 1000}}] * 5
        entries.append({"mediaType": MANIFEST, "digest": stranger, "size": stranger_size, "artifactType": SBOM})
        put_manifest(self.reg, "hostile/tool", "sha256-" + amd.split(":", 1)[1],
                     json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": entries}).encode())

        _, r = self.copy("%s/hostile/tool:1.2.3" % self.reg.host, "%s/hostile/tool" % self.dst_reg.host)
        listed = json.loads(self.dst.manifest("hostile/tool", "sha256-" + amd.split(":", 1)[1]))["manifests"]
        self.assertEqual([(e["digest"], e["artifactType"], "annotations" in e) for e in listed], [(good, SBOM, False)])
        # The stranger is the index's referrer, and is listed there only.
        under_index = json.loads(self.dst.manifest("hostile/tool", "sha256-" + sha256(index).split(":", 1)[1]))
        self.assertEqual([e["digest"] for e in under_index["manifests"]], [stranger])
        self.assertIn("referrer %s of %s: its manifest names another subject; not copied" % (stranger, amd), r.stderr)
        self.assertNotIn("\x1b", r.stderr)

    def test_unknown_platform_is_not_found(self):
        _, r = self.copy(self.src(), "%s/none/tool" % self.dst_reg.host, "-p", "windows/amd64", expect=79)
        self.assertIn("-p windows/amd64: %s/staging/tool:1.2.3 has no such platform" % self.reg.host, r.stderr)
        self.assertEqual(self.dst.tag_list("none/tool"), [])

    def test_missing_source_tag_is_not_found(self):
        _, r = self.copy(self.src("7.7.7"), "%s/none/tool" % self.dst_reg.host, expect=79)
        self.assertIn("%s/staging/tool:7.7.7 does not exist" % self.reg.host, r.stderr)

    def test_same_registry_mounts_blobs(self):
        mark = self.reg.mark()
        report, _ = self.copy(self.src(), "%s/mounted/tool" % self.reg.host)
        self.assertGreater(sum(p["blobs"]["mounted"] for p in report["platforms"]), 0)
        self.assertEqual(sum(p["blobs"]["uploaded"] for p in report["platforms"]), 0)
        self.assertEqual([w for w in self.blob_writes_since(mark) if "mount=" not in w[1]], [])
        self.assertEqual(self.manifests_of(self.store, "mounted/tool", "1.2.3"),
                         self.manifests_of(self.store, "staging/tool", "1.2.3"))

    def test_to_and_from_an_oci_layout(self):
        layout = str(Path(self._tmp, "copy-layout"))
        report, _ = self.copy(self.src(), "oci:%s:1.2.3" % layout, "-c")
        self.assertEqual(report["package"], "oci:" + layout)
        self.assertEqual(skopeo_inspect_raw("oci:%s:1.2.3" % layout), self.store.manifest("staging/tool", "1.2.3"))
        self.assertEqual(self.manifests_of(LayoutStore(), layout, "1.2.3"),
                         self.manifests_of(self.store, "staging/tool", "1.2.3"))
        self.assertEqual(sorted(LayoutStore().tag_list(layout)),
                         sorted(["1.2.3", "1.2", "1", "latest"] + ["sha256." + d.split(":")[1] for d in
                                entry_digests(self.store.manifest("staging/tool", "1.2.3")).values()]
                                + ["sha256-" + d.split(":")[1] for d in self.referrers]))
        # And back out of the layout into another registry: still the same bytes.
        self.copy("oci:%s:1.2.3" % layout, "%s/from-layout/tool" % self.dst_reg.host)
        self.assertEqual(self.manifests_of(self.dst, "from-layout/tool", "1.2.3"),
                         self.manifests_of(self.store, "staging/tool", "1.2.3"))
        self.assert_referrers_copied("from-layout/tool", list(self.referrers))

    def test_a_referrer_that_cannot_be_copied_leaves_no_tag(self):
        # The referrers go before the tags: a referrer whose document is missing in SRC stops the
        # copy with every manifest in place and no tag naming them.
        layout = Path(self._tmp, "broken-referrer")
        self.copy(self.src(), "oci:%s:1.2.3" % layout)
        referrer = self.referrers[sha256(self.store.manifest("staging/tool", "1.2.3"))]
        document = json.loads(self.store.manifest("staging/tool", referrer))["layers"][0]["digest"]
        (layout / "blobs" / "sha256" / document.split(":", 1)[1]).unlink()
        report, r = self.copy("oci:%s:1.2.3" % layout, "%s/broken/tool" % self.dst_reg.host, expect=79)
        self.assertEqual(report["status"], "failed")
        self.assertIn("referrers of %s" % sha256(self.store.manifest("staging/tool", "1.2.3")), r.stderr)
        self.assertEqual(self.dst.tag_list("broken/tool"), [])

    def test_changing_a_published_platform_is_refused(self):
        self.store, src_store = self.dst, self.store
        try:
            self.push("clash/tool", "1.2.3", AMD, "other", "-n", flavor="z")
        finally:
            self.store = src_store
        before = self.dst.manifest("clash/tool", "1.2.3")
        _, r = self.copy(self.src(), "%s/clash/tool" % self.dst_reg.host, expect=65)
        self.assertIn("linux/amd64 is already published in %s/clash/tool:1.2.3" % self.dst_reg.host, r.stderr)
        self.assertEqual(self.dst.manifest("clash/tool", "1.2.3"), before)



class TestCopyCrash(unittest.TestCase):
    """kill -9 in the middle of a large copy, then the same command again: it converges."""

    def setUp(self):
        self.tmp = scratch()
        self.src_reg = Registry().start()
        self.dst_reg = Registry().start()
        self.proxy = FaultProxy(self.dst_reg.host).start()

    def tearDown(self):
        self.proxy.stop()
        self.dst_reg.stop()
        self.src_reg.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_a_copy_killed_midway_converges_when_run_again(self):
        src = "%s/big/tool:1.0.0" % self.src_reg.host
        for n, platform in enumerate((AMD, ARM)):
            layer = big_layer(self.tmp / platform.replace("/", "-"), 24 * 1024 * 1024 + n)
            run(["push", "-n", "-c", "-i", src, "-p", platform, "-m", layer.parent / "big-1.0.0-linux-amd64-metadata.json",
                 layer], check=True)
        # Hold the third blob upload to DST (the second platform's layer; the first platform's layer,
        # config and manifest are in by then) and kill the copy while it waits on it.
        release = threading.Event()
        rule = self.proxy.inject(held(release, 503), method="PUT", path=r"/blobs/uploads/.+digest=", nth=3)
        dst = "%s/big/tool" % self.proxy.host
        proc = subprocess.Popen([release_bin(), "copy", src, dst, "-c", "--progress", "plain"], env=hermetic_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            while rule.fired == 0 and proc.poll() is None:
                release.wait(0.02)
            self.assertIsNone(proc.poll(), "the copy ended before its third blob upload")
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
        finally:
            release.set()
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        dst_store = RegistryStore(self.dst_reg)
        src_store = RegistryStore(self.src_reg)
        self.assertEqual(dst_store.tag_list("big/tool"), [])  # midway: content only, no tag
        self.assertEqual(self.proxy.count("PUT", r"/manifests/sha256:"), 1)

        again = run(["copy", src, "%s/big/tool" % self.dst_reg.host, "-c", "--format", "json"])
        self.assertEqual(again.returncode, 0, str(again))
        report = again.json()
        self.assertEqual(report["status"], "published")
        # The first platform's blobs were found in place; only the second platform's layer is sent
        # (its config, the same metadata, went with the first platform).
        self.assertEqual([p["blobs"]["uploaded"] for p in report["platforms"]], [0, 1])
        self.assertEqual(report["platforms"][0]["blobs"]["skipped"], 2)
        self.assertEqual(dst_store.tag_list("big/tool"), src_store.tag_list("big/tool"))
        for tag in src_store.tag_list("big/tool"):
            self.assertEqual(skopeo_inspect_raw("%s/big/tool:%s" % (self.dst_reg.host, tag)),
                             skopeo_inspect_raw("%s/big/tool:%s" % (self.src_reg.host, tag)), tag)
        for e in json.loads(src_store.manifest("big/tool", "1.0.0"))["manifests"]:
            m = json.loads(src_store.manifest("big/tool", e["digest"]))
            for blob in [m["config"]] + m["layers"]:
                self.assertEqual(sha256(dst_store.blob("big/tool", blob["digest"])), blob["digest"])


if __name__ == "__main__":
    unittest.main()
