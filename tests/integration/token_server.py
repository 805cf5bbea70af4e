#!/usr/bin/env python3
"""A small Docker registry token server for integration tests (standard library only).

Implements the token flow of the distribution "token authentication" spec: the registry answers
401 with `WWW-Authenticate: Bearer realm=<this>/token,service=...,scope=...`; the client GETs
`/token?service=...&scope=repository:<name>:pull,push` with Basic credentials (or POSTs the OAuth2
password grant form) and receives a JWT that the registry verifies.

How the registry (docker-registry 2.8, auth.token) trusts our tokens: the JWT is signed RS256 with
a throwaway RSA key; the registry's `rootcertbundle` is this server's self-signed certificate, and
the JWT header carries `kid` = the libtrust key ID of that certificate's public key (base32 of the
first 240 bits of SHA-256 over the DER SubjectPublicKeyInfo, in 4-character groups joined by ':'),
which is how the registry looks the signing key up among its trusted keys. Claims: iss = issuer,
aud = service, sub, iat/nbf/exp, jti and `access` (the granted scopes).

The RSA signature (PKCS#1 v1.5 over SHA-256) is computed here with Python integers; the openssl CLI
is only used once to generate the key and certificate.

Run standalone:  python3 token_server.py --user alice:secret [--dir DIR] [--anonymous]
It prints the realm URL and the certificate path, then serves until interrupted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid

SERVICE = "ocx-test-registry"
ISSUER = "ocx-test-token-issuer"
ALL_ACTIONS = ("pull", "push", "delete", "*")

_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class SigningKey:
    """An RSA key + self-signed certificate made with the openssl CLI, signing RS256 in Python."""

    def __init__(self, directory: str):
        self.key_file = os.path.join(directory, "token-signing.key")
        self.cert_file = os.path.join(directory, "token-signing.crt")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
             "-subj", "/CN=" + ISSUER, "-keyout", self.key_file, "-out", self.cert_file],
            check=True, capture_output=True)
        text = subprocess.run(["openssl", "pkey", "-in", self.key_file, "-noout", "-text"],
                              check=True, capture_output=True, text=True).stdout
        self._n = self._field(text, "modulus")
        self._d = self._field(text, "privateExponent")
        der = subprocess.run(["openssl", "pkey", "-in", self.key_file, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode("ascii")
        self.kid = ":".join(b32[i:i + 4] for i in range(0, len(b32), 4))

    @staticmethod
    def _field(text: str, name: str) -> int:
        m = re.search(r"^" + name + r":\s*\n((?:\s+[0-9a-f:]+\n)+)", text, re.MULTILINE)
        if not m:
            raise RuntimeError("cannot read %s from openssl output" % name)
        return int(re.sub(r"[^0-9a-f]", "", m.group(1)), 16)

    def sign(self, message: bytes) -> bytes:
        k = (self._n.bit_length() + 7) // 8
        t = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
        em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
        return pow(int.from_bytes(em, "big"), self._d, self._n).to_bytes(k, "big")

    def jwt(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        signing_input = (_b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         _b64url(json.dumps(claims, separators=(",", ":")).encode()))
        return signing_input + "." + _b64url(self.sign(signing_input.encode("ascii")))


def parse_scope(scope: str) -> dict | None:
    """'repository:acme/tool:pull,push' -> {'type','name','actions'}; None when malformed."""
    kind, sep, rest = scope.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not sep or not sep2 or not kind or not name:
        return None
    return {"type": kind, "name": name, "actions": [a for a in actions.split(",") if a]}


class TokenServer:
    """Token server on 127.0.0.1 (free port). Context manager; also start()/stop().

    users:        {"alice": "secret"} accepted Basic credentials.
    permissions:  {"alice": {"pull"}} actions a user may be granted (default: everything asked).
    allow_anonymous: requests without credentials get pull-only tokens instead of 401.
    token_ttl:    seconds a token is valid (expires_in).
    """

    def __init__(self, users: dict | None = None, permissions: dict | None = None,
                 allow_anonymous: bool = False, token_ttl: int = 300, directory: str | None = None):
        self.users = dict(users if users is not None else {"alice": "secret"})
        self.permissions = {u: set(a) for u, a in (permissions or {}).items()}
        self.allow_anonymous = allow_anonymous
        self.token_ttl = token_ttl
        self._own_dir = directory is None
        self.directory = directory or tempfile.mkdtemp(prefix="ocx-token-")
        self.service = SERVICE
        self.issuer = ISSUER
        self._key = SigningKey(self.directory)
        self._lock = threading.Lock()
        self._failures: list[tuple[int, str]] = []
        self.requests: list[dict] = []
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- public surface ---------------------------------------------------------------------
    @property
    def cert_file(self) -> str:
        """The certificate the registry must trust (auth.token.rootcertbundle)."""
        return self._key.cert_file

    @property
    def url(self) -> str:
        assert self._httpd is not None, "token server not started"
        return "http://127.0.0.1:%d" % self._httpd.server_address[1]

    @property
    def realm(self) -> str:
        return self.url + "/token"

    def fail_next(self, status: int = 500, count: int = 1, body: str = "injected failure") -> None:
        """The next `count` token requests answer `status` with `body` instead of a token."""
        with self._lock:
            self._failures.extend([(status, body)] * count)

    def issue(self, user: str | None, scopes: list[dict]) -> str:
        """A signed token for `user` granting `scopes` (no permission check): for direct use."""
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": user or "", "aud": self.service, "exp": now + self.token_ttl,
                  "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": scopes}
        return self._key.jwt(claims)

    def start(self) -> "TokenServer":
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: tests read server.requests instead
                pass

            def do_GET(self):
                parsed = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parsed.query)
                server._handle(self, parsed.path, query, self.headers.get("Authorization"), "GET")

            def do_POST(self):
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
                auth = self.headers.get("Authorization")
                if "username" in form and "password" in form:
                    pair = form["username"][0] + ":" + form["password"][0]
                    auth = "Basic " + base64.b64encode(pair.encode()).decode()
                if "scope" in form:  # the OAuth2 form separates scopes by spaces
                    form["scope"] = [s for v in form["scope"] for s in v.split(" ") if s]
                server._handle(self, parsed.path, form, auth, "POST")

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="token-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> "TokenServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- request handling -------------------------------------------------------------------
    def _authenticate(self, auth: str | None) -> tuple[bool, str | None]:
        """(ok, user): ok False means "answer 401"."""
        if not auth:
            return self.allow_anonymous, None
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "basic":
            return False, None
        try:
            user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False, None
        return (self.users.get(user) == password and user in self.users), user

    def _handle(self, handler, path: str, query: dict, auth: str | None, method: str) -> None:
        scopes_text = [s for v in query.get("scope", []) for s in v.split(" ") if s]
        record = {"method": method, "path": path, "query": {k: v for k, v in query.items() if k != "password"},
                  "scopes": scopes_text, "user": None, "authorization": bool(auth), "status": 0}
        with self._lock:
            self.requests.append(record)
            failure = self._failures.pop(0) if self._failures else None

        def reply(status: int, payload: dict | str, headers: dict | None = None) -> None:
            record["status"] = status
            body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json" if not isinstance(payload, str) else "text/plain")
            handler.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                handler.send_header(k, v)
            handler.end_headers()
            handler.wfile.write(body)

        if path != "/token":
            return reply(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
        if failure is not None:
            return reply(failure[0], failure[1])
        ok, user = self._authenticate(auth)
        record["user"] = user
        if not ok:
            return reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                         {"WWW-Authenticate": 'Basic realm="ocx-test-token"'})
        service = (query.get("service") or [self.service])[0]
        if service != self.service:
            return reply(400, {"errors": [{"code": "INVALID_SERVICE", "message": "unknown service " + service}]})
        allowed = {"pull"} if user is None else self.permissions.get(user, set(ALL_ACTIONS))
        access = []
        for text in scopes_text:
            scope = parse_scope(text)
            if scope is None:
                return reply(400, {"errors": [{"code": "INVALID_SCOPE", "message": "malformed scope " + text}]})
            granted = [a for a in scope["actions"] if a in allowed or "*" in allowed]
            access.append({"type": scope["type"], "name": scope["name"], "actions": granted})
        token = self.issue(user, access)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        reply(200, {"token": token, "access_token": token, "expires_in": self.token_ttl, "issued_at": now})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--user", action="append", default=[], help="USER:PASSWORD (repeatable)")
    parser.add_argument("--dir", help="where to write the signing key and certificate")
    parser.add_argument("--anonymous", action="store_true", help="grant pull to requests without credentials")
    args = parser.parse_args()
    users = dict(u.split(":", 1) for u in args.user) if args.user else None
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)

    def on_term(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough (timeout(1) signals twice)
        raise KeyboardInterrupt  # leave the with-block so the key directory is removed

    signal.signal(signal.SIGTERM, on_term)
    with TokenServer(users=users, allow_anonymous=args.anonymous, directory=args.dir) as server:
        print("realm=%s service=%s issuer=%s rootcertbundle=%s" %
              (server.realm, server.service, server.issuer, server.cert_file), flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
