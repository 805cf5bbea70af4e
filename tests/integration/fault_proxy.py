r"""A fault-injecting HTTP reverse proxy for integration tests (standard library only).

FaultProxy listens on 127.0.0.1 (free port) in front of one upstream (a docker-registry) and
forwards every request unchanged (the Host header is kept, so the registry's absolute Location
URLs point back at the proxy). Rules inject faults into chosen requests:

    with FaultProxy(registry.host) as proxy:
        proxy.inject(respond(503), method="PUT", path=r"/manifests/", nth=1)       # first PUT fails
        proxy.inject(respond(429, {"Retry-After": "1"}), path=r"/blobs/uploads/")
        proxy.inject(reset(after_bytes=4096), method="PATCH")   # connection reset mid-upload
        proxy.inject(stall(5), method="HEAD")                   # client timeout (bounded sleep)
        proxy.inject(throttle(4 << 20), method="PUT")           # a slow link: body read at 4 MiB/s
        proxy.inject(truncate(10), method="GET", path=r"/blobs/sha256:")
        proxy.inject(wrong_digest(), method="PUT", path=r"/manifests/")
        proxy.inject(held(event, 503), method="PUT", path=r"/manifests/1\.0$")  # 503 once event is set
        ... run the client against proxy.host ...
        proxy.count("PUT", r"/manifests/")  # requests seen (faulted ones included)
        proxy.requests  # [{"method", "path", "status", "fault", "authorization"}] in order

It also works as a plain-HTTP forward proxy (http_proxy=proxy.url): an absolute-form request target
("GET http://any.host:port/v2/ …") is forwarded to the upstream as it is, so a client can be made to
talk to a host name that resolves nowhere while the registry behind the proxy answers.

A rule matches a request when `method` (None = any) equals and the `path` regex is found in the
request target (path + query); it fires on matches nth .. nth+times-1 (1-based). When several
rules fire, the first one added wins. Threads are daemons and stop() shuts everything down, so a
failing test cannot hang on the proxy.
"""

from __future__ import annotations

import hashlib
import http.client
import http.server
import io
import re
import socket
import struct
import threading
import time

MAX_STALL_SECONDS = 60.0
WRONG_DIGEST = "sha256:" + hashlib.sha256(b"ocx-fault-proxy-wrong-digest").hexdigest()

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
               "transfer-encoding", "upgrade", "expect", "content-length"}


class Action:
    """What a fired rule does; build with respond()/reset()/stall()/throttle()/truncate()/wrong_digest()."""

    def __init__(self, kind: str, **params):
        self.kind = kind
        self.params = params

    def __repr__(self) -> str:
        return "%s(%s)" % (self.kind, ", ".join("%s=%r" % kv for kv in self.params.items()))


def respond(status: int, headers: dict | None = None, body: bytes | str = b"") -> Action:
    """Answer `status` without forwarding (500/502/503, 429 with {"Retry-After": "1"}, ...)."""
    if isinstance(body, str):
        body = body.encode()
    return Action("respond", status=status, headers=dict(headers or {}), body=body)


def reset(after_bytes: int = 0) -> Action:
    """Read up to `after_bytes` of the request body, then reset the TCP connection (RST)."""
    return Action("reset", after_bytes=after_bytes)


def stall(seconds: float, then: str = "forward") -> Action:
    """Sleep `seconds` (at most MAX_STALL_SECONDS) before answering; then "forward" or "close"."""
    if then not in ("forward", "close"):
        raise ValueError("then must be 'forward' or 'close'")
    return Action("stall", seconds=min(float(seconds), MAX_STALL_SECONDS), then=then)


def throttle(bytes_per_second: int) -> Action:
    """Read the request body no faster than `bytes_per_second` (a slow link: the client's sends
    block while the proxy is not reading; at most MAX_STALL_SECONDS in all), then forward it."""
    if bytes_per_second <= 0:
        raise ValueError("bytes_per_second must be positive")
    return Action("throttle", rate=int(bytes_per_second))


def held(release: threading.Event, status: int) -> Action:
    """Hold the request, unforwarded, until `release` is set (at most MAX_STALL_SECONDS), then
    answer `status`: a write that fails only after the test has done something meanwhile."""
    return Action("held", release=release, status=status)


def truncate(keep_bytes: int) -> Action:
    """Forward, but send only the first `keep_bytes` of the response body (the full
    Content-Length is announced), then close the connection."""
    return Action("truncate", keep_bytes=keep_bytes)


def wrong_digest() -> Action:
    """Forward, replacing the Docker-Content-Digest response header with WRONG_DIGEST."""
    return Action("wrong_digest")


class Rule:
    def __init__(self, action: Action, method: str | None, path: str, nth: int, times: int):
        if nth < 1 or times < 1:
            raise ValueError("nth and times start at 1")
        self.action = action
        self.method = method.upper() if method else None
        self.path = re.compile(path)
        self.nth = nth
        self.times = times
        self.seen = 0   # matching requests so far
        self.fired = 0  # of those, how many got the fault

    def __repr__(self) -> str:
        return "Rule(%r, method=%r, path=%r, nth=%d, times=%d, seen=%d, fired=%d)" % (
            self.action, self.method, self.path.pattern, self.nth, self.times, self.seen, self.fired)


class FaultProxy:
    """Reverse proxy on 127.0.0.1 in front of `upstream` ("127.0.0.1:PORT"). Context manager."""

    def __init__(self, upstream: str, timeout: float = 60.0):
        self.upstream = upstream
        self.timeout = timeout
        self.rules: list[Rule] = []
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- public surface ---------------------------------------------------------------------
    @property
    def host(self) -> str:
        assert self._httpd is not None, "proxy not started"
        return "127.0.0.1:%d" % self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return "http://" + self.host

    def inject(self, action: Action, method: str | None = None, path: str = "", nth: int = 1,
               times: int = 1) -> Rule:
        """Adds a rule; returns it so tests can read rule.fired."""
        rule = Rule(action, method, path, nth, times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Removes every rule and forgets recorded requests."""
        with self._lock:
            self.rules.clear()
            self.requests.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Requests seen whose method equals `method` and whose target contains regex `path`."""
        pattern = re.compile(path) if path else None
        with self._lock:
            return sum(1 for r in self.requests
                       if (method is None or r["method"] == method.upper())
                       and (pattern is None or pattern.search(r["path"])))

    def start(self) -> "FaultProxy":
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                proxy._handle(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _any

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes stalled handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------------
    def _pick(self, method: str, target: str) -> Rule | None:
        chosen = None
        with self._lock:
            for rule in self.rules:
                if rule.method is not None and rule.method != method:
                    continue
                if not rule.path.search(target):
                    continue
                rule.seen += 1
                if chosen is None and rule.nth <= rule.seen < rule.nth + rule.times:
                    rule.fired += 1
                    chosen = rule
        return chosen

    @staticmethod
    def _read_body(handler, limit: int | None = None) -> bytes:
        """The request body (Content-Length or chunked), at most `limit` bytes when given."""
        length = handler.headers.get("Content-Length")
        if length is not None:
            n = int(length)
            return handler.rfile.read(n if limit is None else min(n, limit))
        if "chunked" not in (handler.headers.get("Transfer-Encoding") or "").lower():
            return b""
        out = bytearray()
        while limit is None or len(out) < limit:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                break
            out += handler.rfile.read(size)
            handler.rfile.readline()
        return bytes(out if limit is None else out[:limit])

    def _read_body_slowly(self, handler, rate: int) -> bytes | None:
        """A Content-Length body read in 64 KiB pieces at `rate` bytes per second; None when the
        client closed before sending all of it or the proxy stops."""
        n = int(handler.headers.get("Content-Length") or 0)
        out = bytearray()
        start = time.monotonic()
        while len(out) < n:
            piece = handler.rfile.read(min(64 << 10, n - len(out)))
            if not piece:
                return None
            out += piece
            due = start + len(out) / rate - time.monotonic()
            if due > 0 and self._stopping.wait(min(due, MAX_STALL_SECONDS)):
                return None
            if time.monotonic() - start > MAX_STALL_SECONDS:
                return None
        return bytes(out)

    @staticmethod
    def _reset(handler) -> None:
        sock = handler.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        # The socket's descriptor closes only when its makefile() streams are closed too; the
        # handler's streams are then swapped for dummies so http.server's final flush is harmless.
        for stream in (handler.rfile, handler.wfile):
            try:
                stream.close()
            except OSError:
                pass
        sock.close()
        handler.rfile, handler.wfile = io.BytesIO(), io.BytesIO()
        handler.close_connection = True

    def _send(self, handler, status: int, headers: list[tuple[str, str]], body: bytes,
              announced_length: int | None = None, head: bool = False) -> None:
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body) if announced_length is None else announced_length))
        handler.end_headers()
        if not head:
            handler.wfile.write(body)

    def _handle(self, handler) -> None:
        method, target = handler.command, handler.path
        rule = self._pick(method, target)
        action = rule.action if rule else None
        record = {"method": method, "path": target, "status": None, "fault": action.kind if action else None,
                  "authorization": handler.headers.get("Authorization")}
        with self._lock:
            self.requests.append(record)
        try:
            self._serve(handler, method, target, action, record)
        finally:
            # A client killed mid-request makes reading its body (or answering it) raise: the
            # request is over all the same, and must not look in flight forever.
            if record["status"] is None:
                record["status"] = "client gone"

    def _serve(self, handler, method: str, target: str, action: "Action | None", record: dict) -> None:
        if action is not None and action.kind == "reset":
            self._read_body(handler, action.params["after_bytes"])
            record["status"] = "reset"
            self._reset(handler)
            return
        if action is not None and action.kind == "throttle":
            body = self._read_body_slowly(handler, action.params["rate"])
            if body is None:  # the client went away, or the proxy is stopping
                record["status"] = "client gone"
                return
        else:
            body = self._read_body(handler)
        if action is not None and action.kind == "respond":
            p = action.params
            record["status"] = p["status"]
            self._send(handler, p["status"], list(p["headers"].items()), p["body"], head=method == "HEAD")
            return
        if action is not None and action.kind == "held":
            p = action.params
            deadline = time.monotonic() + MAX_STALL_SECONDS
            while not p["release"].is_set() and not self._stopping.is_set() and time.monotonic() < deadline:
                p["release"].wait(0.05)
            record["status"] = p["status"]
            self._send(handler, p["status"], [], b"")
            return
        if action is not None and action.kind == "stall":
            self._stopping.wait(action.params["seconds"])
            if action.params["then"] == "close" or self._stopping.is_set():
                record["status"] = "closed"
                self._reset(handler)
                return

        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        if body or method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(self.upstream, timeout=self.timeout)
        try:
            conn.request(method, target, body=body if body else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            upstream_length = resp.getheader("Content-Length")
            out_headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP]
            status = resp.status
        except (OSError, http.client.HTTPException) as e:
            record["status"] = 502
            self._send(handler, 502, [("Content-Type", "text/plain")], ("upstream failed: %s" % e).encode())
            return
        finally:
            conn.close()

        if action is not None and action.kind == "wrong_digest":
            out_headers = [(k, v) for k, v in out_headers if k.lower() != "docker-content-digest"]
            out_headers.append(("Docker-Content-Digest", WRONG_DIGEST))
        record["status"] = status
        is_head = method == "HEAD"
        announced = int(upstream_length) if is_head and upstream_length is not None else None
        if action is not None and action.kind == "truncate" and not is_head:
            keep = action.params["keep_bytes"]
            self._send(handler, status, out_headers, data[:keep], announced_length=len(data))
            handler.wfile.flush()
            record["status"] = "truncated"
            handler.close_connection = True  # a clean FIN: the client sees a short body, not a reset
            return
        self._send(handler, status, out_headers, data, announced_length=announced, head=is_head)
