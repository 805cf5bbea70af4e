"""A loopback registry that keeps the OCI Referrers API (distribution spec v1.1), stdlib only.

docker-registry 2.8 has no Referrers API; this one does, so the tests exercise both paths of
docs/wire-format.md §7. It answers as the spec says:
  * PUT of a manifest with a `subject` answers `OCI-Subject: <subject digest>` and indexes it;
  * GET /v2/<name>/referrers/<digest>[?artifactType=…] answers 200 with an image index of the
    referrers' descriptors (artifactType, annotations), empty when there are none (never 404),
    and `OCI-Filters-Applied: artifactType` when it filtered;
plus what a pusher needs: blob HEAD/GET, monolithic and chunked uploads, cross-mount refusal
(202), manifests by tag or digest, tags/list. Everything is in memory. Every request is logged in
`requests` as (method, path).
"""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INDEX = "application/vnd.oci.image.index.v1+json"


class _State:
    def __init__(self):
        self.lock = threading.Lock()
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[str, tuple[bytes, str]] = {}   # digest -> (bytes, media type)
        self.tags: dict[str, dict[str, str]] = {}           # repo -> tag -> digest
        self.referrers: dict[tuple[str, str], list[dict]] = {}  # (repo, subject) -> descriptors
        self.uploads: dict[str, bytearray] = {}
        self.requests: list[tuple[str, str]] = []


def _split(path: str):
    """(repo, kind, rest) for /v2/<repo>/<kind>/<rest>."""
    for kind in ("/manifests/", "/blobs/uploads/", "/blobs/", "/tags/list", "/referrers/"):
        i = path.find(kind)
        if path.startswith("/v2/") and i > 4:
            return path[4:i], kind.strip("/"), path[i + len(kind):]
    return None, None, None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: _State

    def log_message(self, *args):  # quiet
        pass

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None, head: bool = False):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def _error(self, status: int, code: str):
        # A HEAD answer has headers only: a body would be read as the start of the next response.
        self._send(status, json.dumps({"errors": [{"code": code, "message": code.lower()}]}).encode(),
                   {"Content-Type": "application/json"}, head=self.command == "HEAD")

    def _dispatch(self, method: str):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        st = self.state
        with st.lock:
            st.requests.append((method, url.path))
        body = self._body() if method in ("PUT", "PATCH", "POST") else b""
        if url.path in ("/v2/", "/v2"):
            return self._send(200, b"{}", {"Content-Type": "application/json"})
        repo, kind, rest = _split(url.path)
        if repo is None:
            return self._error(404, "NOT_FOUND")
        with st.lock:
            if kind == "blobs":
                data = st.blobs.get(rest)
                if data is None:
                    return self._error(404, "BLOB_UNKNOWN")
                return self._send(200, data, {"Docker-Content-Digest": rest, "Content-Type": "application/octet-stream"},
                                  head=method == "HEAD")
            if kind == "blobs/uploads":
                if method == "POST":
                    sid = uuid.uuid4().hex
                    st.uploads[sid] = bytearray(body)
                    return self._send(202, b"", {"Location": "/v2/%s/blobs/uploads/%s" % (repo, sid),
                                                 "Docker-Upload-UUID": sid, "Range": "0-0"})
                sid = rest
                if sid not in st.uploads:
                    return self._error(404, "BLOB_UPLOAD_UNKNOWN")
                if method == "DELETE":
                    del st.uploads[sid]
                    return self._send(204)
                st.uploads[sid] += body
                if method == "PATCH":
                    return self._send(202, b"", {"Location": "/v2/%s/blobs/uploads/%s" % (repo, sid),
                                                 "Range": "0-%d" % (len(st.uploads[sid]) - 1)})
                digest = query.get("digest", [""])[0]
                data = bytes(st.uploads.pop(sid))
                if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
                    return self._error(400, "DIGEST_INVALID")
                st.blobs[digest] = data
                return self._send(201, b"", {"Location": "/v2/%s/blobs/%s" % (repo, digest),
                                             "Docker-Content-Digest": digest})
            if kind == "tags/list":
                tags = sorted(st.tags.get(repo, {}))
                if repo not in st.tags:
                    return self._error(404, "NAME_UNKNOWN")
                return self._send(200, json.dumps({"name": repo, "tags": tags}).encode(),
                                  {"Content-Type": "application/json"})
            if kind == "manifests":
                if method == "PUT":
                    return self._put_manifest(repo, rest, body, self.headers.get("Content-Type", ""))
                digest = rest if rest.startswith("sha256:") else st.tags.get(repo, {}).get(rest)
                if digest is None or digest not in st.manifests:
                    return self._error(404, "MANIFEST_UNKNOWN")
                data, mt = st.manifests[digest]
                return self._send(200, data, {"Content-Type": mt, "Docker-Content-Digest": digest},
                                  head=method == "HEAD")
            if kind == "referrers":
                wanted = query.get("artifactType", [None])[0]
                found = [d for d in st.referrers.get((repo, rest), [])
                         if wanted is None or d.get("artifactType") == wanted]
                headers = {"Content-Type": INDEX}
                if wanted is not None:
                    headers["OCI-Filters-Applied"] = "artifactType"
                return self._send(200, json.dumps({"schemaVersion": 2, "mediaType": INDEX,
                                                   "manifests": found}).encode(), headers)
        return self._error(405, "UNSUPPORTED")

    def _put_manifest(self, repo: str, ref: str, body: bytes, media_type: str):
        st = self.state
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if ref.startswith("sha256:") and ref != digest:
            return self._error(400, "DIGEST_INVALID")
        try:
            doc = json.loads(body)
        except ValueError:
            return self._error(400, "MANIFEST_INVALID")
        st.manifests[digest] = (body, media_type)
        st.tags.setdefault(repo, {})
        if not ref.startswith("sha256:"):
            st.tags[repo][ref] = digest
        headers = {"Location": "/v2/%s/manifests/%s" % (repo, digest), "Docker-Content-Digest": digest}
        subject = doc.get("subject")
        if isinstance(subject, dict) and "digest" in subject:
            entries = st.referrers.setdefault((repo, subject["digest"]), [])
            if not any(e["digest"] == digest for e in entries):
                entry = {"mediaType": doc.get("mediaType", media_type), "digest": digest, "size": len(body)}
                at = doc.get("artifactType") or (doc.get("config") or {}).get("mediaType")
                if at:
                    entry["artifactType"] = at
                if doc.get("annotations"):
                    entry["annotations"] = doc["annotations"]
                entries.append(entry)
            headers["OCI-Subject"] = subject["digest"]
        return self._send(201, b"", headers)

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_POST(self):
        self._dispatch("POST")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")


class ReferrersRegistry:
    """start() / stop(), or a context manager; `host` is 127.0.0.1:<port>."""

    def __init__(self):
        self.state = _State()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return "127.0.0.1:%d" % self.server.server_address[1]

    @property
    def url(self) -> str:
        return "http://" + self.host

    def start(self) -> "ReferrersRegistry":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
