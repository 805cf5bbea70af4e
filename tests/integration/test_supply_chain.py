"""Supply chain (issue 15; docs/cli.md "Supply chain", docs/wire-format.md §7): SBOMs, provenance and
signatures attached as OCI referrers — on docker-registry (no Referrers API: the fallback tag
`sha256-<hex>`) and on a loopback registry that keeps the Referrers API (referrers_registry.py).
Signatures are checked with OpenSSL alone, over the manifest bytes and over the DSSE
pre-authentication encoding, and must fail after one changed byte."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
import unittest
from pathlib import Path

from fault_proxy import FaultProxy, respond
from fixtures import Registry, hermetic_env, registry_get, release_bin, run
from referrers_registry import ReferrersRegistry
from release_helpers import make_project, scratch
from schemas import validate_matrix, validate_report

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
CYCLONEDX = "application/vnd.cyclonedx+json"
PLATFORMS = ["linux/amd64", "linux/arm64", "darwin/arm64"]


def openssl(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *map(str, args)], cwd=cwd, capture_output=True)


def make_keys(directory: Path, name: str) -> tuple[Path, Path]:
    key, pub = directory / (name + ".key"), directory / (name + ".pub")
    r = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
    assert r.returncode == 0, r.stderr
    r = openssl("pkey", "-in", key, "-pubout", "-out", pub)
    assert r.returncode == 0, r.stderr
    return key, pub


def openssl_verifies(pub: Path, data: bytes, signature: bytes, work: Path) -> bool:
    (work / "data.bin").write_bytes(data)
    (work / "sig.der").write_bytes(signature)
    r = openssl("dgst", "-sha256", "-verify", pub, "-signature", work / "sig.der", work / "data.bin")
    return r.returncode == 0


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def files_of_archive(path: str) -> dict:
    """{path: sha256 hex} of every regular file, as install would see it."""
    out = {}
    with tarfile.open(path) as tar:
        for m in tar.getmembers():
            if m.isfile():
                out[m.name.lstrip("./") if m.name.startswith("./") else m.name] = hashlib.sha256(
                    tar.extractfile(m).read()).hexdigest()
    return out


class SupplyChainCases:
    """The checks, run against each kind of registry (subclasses set up `registry` and `api`)."""

    registry = None
    api = False  # the registry keeps the Referrers API

    def setUp(self):
        self.dir = scratch()
        self.key, self.pub = make_keys(self.dir, "release")
        self.other_key, self.other_pub = make_keys(self.dir, "other")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- reading what the registry holds, independently of ocx-release -----------------------
    def get(self, repo: str, path: str, accept=None):
        return registry_get(self.registry.url, "/v2/%s/%s" % (repo, path), accept=accept)

    def manifest(self, repo: str, ref: str) -> bytes:
        r = self.get(repo, "manifests/" + ref, accept=[INDEX, MANIFEST])
        self.assertEqual(r.status, 200, r)
        return r.body

    def blob(self, repo: str, digest: str) -> bytes:
        r = self.get(repo, "blobs/" + digest)
        self.assertEqual(r.status, 200, r)
        self.assertEqual("sha256:" + hashlib.sha256(r.body).hexdigest(), digest)
        return r.body

    def referrers(self, repo: str, subject: str) -> list:
        """The subject's referrers as a reader finds them: the API, else the fallback tag."""
        if self.api:
            r = self.get(repo, "referrers/" + subject)
            self.assertEqual(r.status, 200, r)
            # With the API, no fallback tag is written.
            self.assertEqual(self.get(repo, "manifests/sha256-" + subject[7:], accept=INDEX).status, 404)
            return r.json()["manifests"]
        r = self.get(repo, "manifests/sha256-" + subject[7:], accept=INDEX)
        if r.status == 404:
            return []
        self.assertEqual(r.status, 200, r)
        return r.json()["manifests"]

    def document(self, repo: str, referrer: str, subject: str) -> tuple[dict, bytes]:
        m = json.loads(self.manifest(repo, referrer))
        self.assertEqual(m["subject"]["digest"], subject)
        self.assertEqual(m["config"]["mediaType"], "application/vnd.oci.empty.v1+json")
        self.assertEqual(self.blob(repo, m["config"]["digest"]), b"{}")
        self.assertEqual(len(m["layers"]), 1)
        return m, self.blob(repo, m["layers"][0]["digest"])

    # -- running ocx-release --------------------------------------------------------------------
    def release(self, matrix: Path, *extra, report_name="report.json") -> dict:
        report = matrix.parent / report_name
        r = run(["release", matrix, "--report", report, "--sign-key", self.key, "--sign-platforms", *extra])
        self.assertEqual(r.returncode, 0, str(r))
        self.assertNotIn("PRIVATE KEY", r.stderr + r.stdout)
        data = json.loads(report.read_text())
        validate_report(data)
        return data

    def project(self, repo: str, base: Path | None = None) -> Path:
        matrix = make_project(base or self.dir / repo.replace("/", "-"), "%s/%s" % (self.registry.host, repo),
                              sbom=True, provenance=True)
        validate_matrix(json.loads(matrix.read_text()))
        return matrix

    # -- the cases --------------------------------------------------------------------------------
    def test_release_attaches_sboms_provenance_and_signatures_that_openssl_verifies(self):
        repo = "acme/sc-full"
        matrix = self.project(repo)
        rep = self.release(matrix)
        index = rep["index"]["digest"]
        manifests = {p["platform"]: p["manifest"]["digest"] for p in rep["platforms"]}
        kinds = sorted((a["kind"], a["platform"] or "") for a in rep["attachments"])
        expected = sorted([(k, p) for p in PLATFORMS for k in ("sbom", "sbom-attestation", "signature")] +
                          [("signature", ""), ("provenance", "")])
        self.assertEqual(kinds, expected)
        for a in rep["attachments"]:
            self.assertEqual(a["action"], "attached")
            self.assertEqual(a["subject"], manifests[a["platform"]] if a["platform"] else index)
            self.assertEqual(a["signed"], a["kind"] != "sbom")

        # Every platform's SBOM lists exactly the bundle's regular files with their SHA-256.
        for p in rep["platforms"]:
            subject = p["manifest"]["digest"]
            listed = self.referrers(repo, subject)
            sboms = [r for r in listed if r.get("artifactType") == CYCLONEDX]
            self.assertEqual(len(sboms), 1, listed)
            m, doc = self.document(repo, sboms[0]["digest"], subject)
            self.assertEqual(m["artifactType"], CYCLONEDX)
            self.assertNotIn("annotations", m)
            bom = json.loads(doc)
            self.assertEqual((bom["bomFormat"], bom["specVersion"]), ("CycloneDX", "1.5"))
            self.assertEqual(bom["metadata"]["component"]["version"], rep["tag"])
            got = {c["name"]: c["hashes"][0]["content"] for c in bom["components"]}
            self.assertTrue(all(c["type"] == "file" and c["hashes"][0]["alg"] == "SHA-256" for c in bom["components"]))
            self.assertEqual(got, files_of_archive(p["archive"]["path"]), p["platform"])

            # The platform's signature: over the manifest's bytes, by our key only.
            sigs = [r for r in listed if r.get("artifactType") == BUNDLE and
                    r["annotations"]["dev.sigstore.bundle.content"] == "message-signature"]
            self.assertEqual(len(sigs), 1)
            self.check_message_signature(repo, sigs[0]["digest"], subject)

        # The index: its signature and the provenance, whose subjects are the report's digests.
        listed = self.referrers(repo, index)
        self.assertEqual(len(listed), 2, listed)
        by_content = {r["annotations"]["dev.sigstore.bundle.content"]: r for r in listed}
        self.check_message_signature(repo, by_content["message-signature"]["digest"], index)
        prov = by_content["dsse-envelope"]
        self.assertEqual(prov["annotations"]["dev.sigstore.bundle.predicateType"], "https://slsa.dev/provenance/v1")
        _, doc = self.document(repo, prov["digest"], index)
        bundle = json.loads(doc)
        env = bundle["dsseEnvelope"]
        payload = base64.b64decode(env["payload"])
        statement = json.loads(payload)
        self.assertEqual(statement["_type"], "https://in-toto.io/Statement/v1")
        self.assertEqual(statement["predicateType"], "https://slsa.dev/provenance/v1")
        self.assertEqual(sorted("sha256:" + s["digest"]["sha256"] for s in statement["subject"]),
                         sorted([index, *manifests.values()]))
        self.assertEqual({s["name"] for s in statement["subject"]}, {"%s/%s" % (self.registry.host, repo)})
        self.assertEqual(statement["predicate"]["runDetails"]["builder"]["id"], "urn:ocx-release:local")
        sig = base64.b64decode(env["signatures"][0]["sig"])
        signed = pae(env["payloadType"], payload)
        self.assertTrue(openssl_verifies(self.pub, signed, sig, self.dir))
        self.assertFalse(openssl_verifies(self.pub, flip(signed, len(signed) - 3), sig, self.dir))
        self.assertFalse(openssl_verifies(self.pub, signed, flip(sig, len(sig) - 2), self.dir))
        self.assertFalse(openssl_verifies(self.other_pub, signed, sig, self.dir))

        # verify checks every attachment; --key checks every signature, and fails with another key.
        report = matrix.parent / "report.json"
        v = run(["verify", report, "--key", self.pub])
        self.assertEqual(v.returncode, 0, str(v))
        v = run(["verify", report, "--key", self.other_pub])
        self.assertEqual(v.returncode, 65, str(v))
        self.assertIn("signed with another key", v.stderr)

        # The key is checked against what the registry holds, not what the report claims: a report
        # edited to say nothing is signed, or to keep only the index signature without its digest,
        # still fails with another key.
        edited = json.loads(report.read_text())
        for a in edited["attachments"]:
            a["signed"] = False
        unsigned_claim = matrix.parent / "report-unsigned.json"
        unsigned_claim.write_text(json.dumps(edited))
        v = run(["verify", unsigned_claim, "--key", self.other_pub])
        self.assertEqual(v.returncode, 65, str(v))
        self.assertIn("signed with another key", v.stderr)
        self.assertIn("has no signature that verifies with this key", v.stderr)
        edited = json.loads(report.read_text())
        edited["attachments"] = [dict(a, digest=None) for a in edited["attachments"]
                                 if a["kind"] == "signature" and a["platform"] is None]
        no_digest = matrix.parent / "report-no-digest.json"
        no_digest.write_text(json.dumps(edited))
        v = run(["verify", no_digest, "--key", self.other_pub])
        self.assertEqual(v.returncode, 65, str(v))
        self.assertIn("no referrer digest in the report, so nothing to verify", v.stderr)
        self.assertIn("has no signature that verifies with this key", v.stderr)

    def check_message_signature(self, repo: str, referrer: str, subject: str):
        m, doc = self.document(repo, referrer, subject)
        self.assertEqual(m["artifactType"], BUNDLE)
        self.assertEqual(m["annotations"]["dev.sigstore.bundle.content"], "message-signature")
        self.assertRegex(m["annotations"]["org.opencontainers.image.created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        bundle = json.loads(doc)
        self.assertEqual(bundle["mediaType"], BUNDLE)
        der_pub = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(self.pub), "-outform", "DER"],
                                 capture_output=True, check=True).stdout
        self.assertEqual(bundle["verificationMaterial"]["publicKey"]["hint"],
                         base64.b64encode(hashlib.sha256(der_pub).digest()).decode())
        ms = bundle["messageSignature"]
        self.assertEqual(ms["messageDigest"]["algorithm"], "SHA2_256")
        self.assertEqual("sha256:" + base64.b64decode(ms["messageDigest"]["digest"]).hex(), subject)
        signed = self.manifest(repo, subject)
        sig = base64.b64decode(ms["signature"])
        self.assertTrue(openssl_verifies(self.pub, signed, sig, self.dir))
        self.assertFalse(openssl_verifies(self.pub, flip(signed, len(signed) // 2), sig, self.dir))
        self.assertFalse(openssl_verifies(self.pub, signed, flip(sig, len(sig) - 2), self.dir))

    def test_a_rerun_attaches_nothing_new(self):
        repo = "acme/sc-rerun"
        matrix = self.project(repo)
        first = self.release(matrix)
        subjects = {a["subject"] for a in first["attachments"]}
        before = {s: sorted(r["digest"] for r in self.referrers(repo, s)) for s in subjects}
        second = self.release(matrix, report_name="again.json")
        self.assertEqual([a["action"] for a in second["attachments"]], ["existing"] * len(first["attachments"]))
        self.assertEqual([a["digest"] for a in second["attachments"]], [a["digest"] for a in first["attachments"]])
        after = {s: sorted(r["digest"] for r in self.referrers(repo, s)) for s in subjects}
        self.assertEqual(after, before)

    def test_shards_and_finalize_attach_what_one_job_attaches(self):
        one = self.release(self.project("acme/sc-onejob"))
        sharded = self.project("acme/sc-sharded")
        parts = []
        for i, platform in enumerate(PLATFORMS):
            part = self.dir / ("part-%d.json" % i)
            parts.append(part)
            # The first shard signs its platform; finalize signs the others (--sign-platforms).
            signs = ["--sign-platforms"] if i == 0 else []
            r = run(["release", sharded, "--shard", platform, "--report", part, "--sign-key", self.key, *signs])
            self.assertEqual(r.returncode, 0, str(r))
            kinds = sorted(a["kind"] for a in json.loads(part.read_text())["attachments"])
            self.assertEqual(kinds, ["sbom", "sbom-attestation"] + (["signature"] if signs else []))
        final = self.dir / "final.json"
        f = run(["finalize", sharded, *parts, "--report", final, "--sign-key", self.key, "--sign-platforms"])
        self.assertEqual(f.returncode, 0, str(f))
        rep = json.loads(final.read_text())

        def summary(r):
            return sorted((a["kind"], a["artifact_type"], a["subject"], a["platform"] or "", a["signed"])
                          for a in r["attachments"])
        self.assertEqual(summary(rep), summary(one))
        for a in rep["attachments"]:
            self.assertIn(a["digest"], [r["digest"] for r in self.referrers("acme/sc-sharded", a["subject"])])
        v = run(["verify", final, "--key", self.pub])
        self.assertEqual(v.returncode, 0, str(v))

    def test_dry_run_lists_what_would_be_attached_and_writes_nothing(self):
        repo = "acme/sc-dry"
        matrix = self.project(repo)
        report = self.dir / "dry.json"
        r = run(["release", matrix, "--dry-run", "--report", report, "--sign-key", self.key])
        self.assertEqual(r.returncode, 0, str(r))
        rep = json.loads(report.read_text())
        self.assertEqual(sorted((a["kind"], a["platform"] or "") for a in rep["attachments"]),
                         sorted([(k, p) for p in PLATFORMS for k in ("sbom", "sbom-attestation")] +
                                [("signature", ""), ("provenance", "")]))
        self.assertTrue(all(a["action"] == "planned" for a in rep["attachments"]))
        self.assertIn("would attach sbom", r.stderr)
        self.assertEqual(self.get(repo, "tags/list").status, 404)


class FallbackTagTest(SupplyChainCases, unittest.TestCase):
    """docker-registry 2.8: no Referrers API, so the fallback tag carries the referrers."""

    @classmethod
    def setUpClass(cls):
        cls.registry = Registry().start()

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()

    def test_two_concurrent_writers_on_one_subject_lose_nothing(self):
        # Each round: two releases of the same content (one subject per platform), each attaching
        # its own SBOM file to linux/amd64 at the same moment; both must end up in the fallback tag.
        repo = "acme/sc-race"
        for round_ in range(3):
            procs, reports = [], []
            for who in ("a", "b"):
                base = self.dir / ("%s-%d" % (who, round_))
                matrix = make_project(base, "%s/%s" % (self.registry.host, repo))
                data = json.loads(matrix.read_text())
                sbom = base / "sbom.json"
                sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
                                            "metadata": {"writer": "%s-%d" % (who, round_)}}))
                data["platforms"][0]["sbom"] = "sbom.json"
                matrix.write_text(json.dumps(data))
                report = base / "report.json"
                reports.append(report)
                procs.append(subprocess.Popen([release_bin(), "release", matrix, "--report", report],
                                              env=hermetic_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                              text=True))
            for p in procs:
                _, err = p.communicate(timeout=300)
                self.assertEqual(p.returncode, 0, err)
            attached = [json.loads(r.read_text())["attachments"][0] for r in reports]
            self.assertEqual(attached[0]["subject"], attached[1]["subject"])
            listed = [r["digest"] for r in self.referrers(repo, attached[0]["subject"])]
            for a in attached:
                self.assertIn(a["digest"], listed)
            self.assertEqual(len(listed), 2 * (round_ + 1))


    def test_push_sbom_auto_and_file(self):
        repo = "acme/sc-push"
        matrix = self.project(repo)  # writes the prebuilt linux/arm64 archive and its sidecar
        archive = next((matrix.parent / "dist").glob("*.tar.xz"))
        ref = "%s/%s:2.0.0" % (self.registry.host, repo)
        r = run(["push", archive, "-i", ref, "-p", "linux/arm64", "--sbom", "auto", "--sign-key", self.key,
                 "--sign-platforms", "--format", "json"])
        self.assertEqual(r.returncode, 0, str(r))
        rep = r.json()
        self.assertEqual(sorted(a["kind"] for a in rep["attachments"]), ["sbom", "sbom-attestation", "signature"])
        subject = rep["platforms"][0]["manifest"]["digest"]
        sbom = next(a for a in rep["attachments"] if a["kind"] == "sbom")
        _, doc = self.document(repo, sbom["digest"], subject)
        bom = json.loads(doc)
        self.assertEqual({c["name"]: c["hashes"][0]["content"] for c in bom["components"]}, files_of_archive(str(archive)))
        self.assertEqual(bom["metadata"]["component"]["version"], "2.0.0")

        own = self.dir / "own-sbom.json"
        own.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1}\n')
        r = run(["push", archive, "-i", "%s/%s:2.0.1" % (self.registry.host, repo), "-p", "linux/arm64",
                 "--sbom", own, "--format", "json"])
        self.assertEqual(r.returncode, 0, str(r))
        attached = r.json()["attachments"]
        self.assertEqual([a["kind"] for a in attached], ["sbom"])
        _, doc = self.document(repo, attached[0]["digest"], attached[0]["subject"])
        self.assertEqual(doc, own.read_bytes())
        bad = self.dir / "bad-sbom.json"
        bad.write_text("not json")
        r = run(["push", archive, "-i", "%s/%s:2.0.2" % (self.registry.host, repo), "-p", "linux/arm64",
                 "--sbom", bad])
        self.assertEqual(r.returncode, 65, str(r))
        self.assertIn(str(bad), r.stderr)
        self.assertEqual(self.get(repo, "manifests/2.0.2", accept=INDEX).status, 404)

    def test_push_writes_no_tag_when_an_attachment_fails(self):
        # The SBOM and signature are in place before any tag names the manifest: a registry that
        # refuses the fallback tag's PUT leaves the version untagged (exit non-zero), not tagged
        # without its signature.
        if not isinstance(self, FallbackTagTest):
            self.skipTest("the fallback tag exists only on a registry without the Referrers API")
        repo = "acme/sc-push-fail"
        matrix = self.project(repo)
        archive = next((matrix.parent / "dist").glob("*.tar.xz"))
        with FaultProxy(self.registry.host) as proxy:
            proxy.inject(respond(400), "PUT", r"/manifests/sha256-", times=100)
            r = run(["push", archive, "-i", "%s/%s:3.0.0" % (proxy.host, repo), "-p", "linux/arm64", "--sbom",
                     "auto", "--sign-key", self.key, "--sign-platforms", "--format", "json"])
        self.assertNotEqual(r.returncode, 0, str(r))
        self.assertEqual(r.json()["status"], "failed")
        self.assertIn("attach", r.stderr)
        listed = self.get(repo, "tags/list")
        tags = (json.loads(listed.body).get("tags") or []) if listed.status == 200 else []
        self.assertNotIn("3.0.0", tags)
        self.assertEqual(self.get(repo, "manifests/3.0.0", accept=INDEX).status, 404)

    def test_key_from_the_environment_is_used_and_never_shown(self):
        repo = "acme/sc-envkey"
        matrix = self.project(repo)
        pem = self.key.read_text()
        report = self.dir / "env.json"
        r = run(["release", matrix, "--report", report, "-v"], env={"OCX_RELEASE_SIGN_KEY": pem})
        self.assertEqual(r.returncode, 0, str(r))
        rep = json.loads(report.read_text())
        self.assertIn(("signature", None), [(a["kind"], a["platform"]) for a in rep["attachments"]])
        body = pem.splitlines()[1]
        self.assertNotIn(body, r.stderr + r.stdout + report.read_text())
        v = run(["verify", report, "--key", self.pub])
        self.assertEqual(v.returncode, 0, str(v))

    def test_a_key_that_is_not_pkcs8_p256_is_refused_before_anything_is_written(self):
        repo = "acme/sc-badkey"
        matrix = self.project(repo)
        r = run(["release", matrix, "--sign-key", self.pub])
        self.assertEqual(r.returncode, 64, str(r))
        self.assertIn("--sign-key %s: not a PKCS#8 PEM private key" % self.pub, r.stderr)
        self.assertEqual(self.get(repo, "tags/list").status, 404)
        p384 = self.dir / "p384.key"
        self.assertEqual(openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out",
                                 p384).returncode, 0)
        r = run(["release", matrix, "--sign-key", p384])
        self.assertEqual(r.returncode, 64, str(r))
        self.assertIn("not an ECDSA P-256 key", r.stderr)
        self.assertNotIn(p384.read_text().splitlines()[1], r.stderr)

    def test_a_hostile_ci_variable_stops_a_release_with_provenance(self):
        repo = "acme/sc-hostile-env"
        matrix = self.project(repo)
        r = run(["release", matrix], env={"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://x\n::error::boom",
                                          "GITHUB_REPOSITORY": "acme/hello", "GITHUB_SHA": "0" * 40})
        self.assertEqual(r.returncode, 65, str(r))
        self.assertIn("environment variable GITHUB_SERVER_URL=", r.stderr)
        self.assertNotIn("\n::error::", r.stderr)
        self.assertEqual(self.get(repo, "tags/list").status, 404)

    def test_verify_finds_a_referrer_removed_from_the_fallback_tag(self):
        repo = "acme/sc-tamper"
        matrix = self.project(repo)
        rep = self.release(matrix)
        sbom = next(a for a in rep["attachments"] if a["kind"] == "sbom")
        tag = "sha256-" + sbom["subject"][7:]
        index = json.loads(self.manifest(repo, tag))
        index["manifests"] = [m for m in index["manifests"] if m["digest"] != sbom["digest"]]
        body = json.dumps(index, separators=(",", ":")).encode()
        put = registry_get(self.registry.url, "/v2/%s/manifests/%s" % (repo, tag), method="PUT", data=body,
                           headers={"Content-Type": INDEX})
        self.assertEqual(put.status, 201, put)
        v = run(["verify", matrix.parent / "report.json"])
        self.assertEqual(v.returncode, 65, str(v))
        self.assertIn("sbom of %s: %s is not among the referrers of %s" % (sbom["platform"], sbom["digest"],
                                                                           sbom["subject"]), v.stderr)


class ReferrersApiTest(SupplyChainCases, unittest.TestCase):
    """A registry with the Referrers API: OCI-Subject on PUT, GET /referrers/, no fallback tag."""

    api = True

    @classmethod
    def setUpClass(cls):
        cls.registry = ReferrersRegistry().start()

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()

    def test_the_api_is_asked_and_no_fallback_tag_is_written(self):
        matrix = self.project("acme/sc-api")
        mark = len(self.registry.state.requests)  # other tests' reads of the class's registry come before
        self.release(matrix)
        paths = [p for _, p in self.registry.state.requests[mark:]]
        self.assertTrue(any("/referrers/sha256:" in p for p in paths))
        self.assertEqual([p for p in paths if "/manifests/sha256-" in p], [])


class LayoutTest(unittest.TestCase):
    """An OCI image layout (oci:DIR) has no Referrers API: the fallback tag is in index.json."""

    def setUp(self):
        self.dir = scratch()
        self.key, self.pub = make_keys(self.dir, "release")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_layout_release_attaches_and_reruns_attach_nothing(self):
        matrix = make_project(self.dir / "p", "oci:%s" % (self.dir / "layout" / "hello"), sbom=True, provenance=True)
        report = self.dir / "r.json"
        r = run(["release", matrix, "--report", report, "--sign-key", self.key])
        self.assertEqual(r.returncode, 0, str(r))
        rep = json.loads(report.read_text())
        index = json.loads((self.dir / "layout" / "hello" / "index.json").read_text())
        refs = {m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]}
        for a in rep["attachments"]:
            self.assertIn("sha256-" + a["subject"][7:], refs)
        self.assertEqual(run(["verify", report, "--key", self.pub]).returncode, 0)
        again = self.dir / "again.json"
        r = run(["release", matrix, "--report", again, "--sign-key", self.key])
        self.assertEqual(r.returncode, 0, str(r))
        self.assertEqual({a["action"] for a in json.loads(again.read_text())["attachments"]}, {"existing"})
        self.assertEqual(json.loads((self.dir / "layout" / "hello" / "index.json").read_text()), index)


if __name__ == "__main__":
    unittest.main()
