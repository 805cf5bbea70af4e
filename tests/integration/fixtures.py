"""Shared fixtures for the integration tests (standard library only).

Everything here runs real processes on 127.0.0.1 only:

* Registry      Debian's docker-registry (CNCF distribution 2.8) on a free port with its own
                storage and log files; variants: htpasswd Basic auth, TLS (throwaway CA), token
                auth (with token_server.TokenServer), read-only storage. A missing binary raises.
* TokenServer   (token_server.py) issues JWTs the registry accepts.
* FaultProxy    (fault_proxy.py) injects 5xx/429/resets/stalls/slow bodies/held answers/truncation/wrong digests.
* run()         runs $OCX_RELEASE_BIN with captured output in a hermetic environment.
* skopeo_*()    an independent reader: inspect --raw, copy --all into an OCI layout; skopeo_copy
                and write_image_layout seed a registry with foreign (non-OCX) images.
* registry_get() raw HTTP reads (manifests, indexes, tag lists), following a Bearer challenge.
* make_tree()   builds content directories from a dict.

The registry's config is written as JSON (a subset of YAML, which is what the registry parses).
Its access log (Apache combined format, on the registry's stdout) goes to access.log so tests can
count requests per path; its application log (stderr) goes to registry.log.
"""

from __future__ import annotations

import atexit
import base64
import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from fault_proxy import FaultProxy, held, reset, respond, stall, throttle, truncate, wrong_digest  # noqa: F401 (re-exported)
from token_server import TokenServer  # noqa: F401 (re-exported)

REGISTRY_BIN = os.environ.get("OCX_REGISTRY_BIN", "/usr/bin/docker-registry")
SKOPEO_BIN = os.environ.get("OCX_SKOPEO_BIN", "skopeo")
START_TIMEOUT = 20.0

# -- per-process scratch (TLS material, skopeo policy, empty docker config), removed at exit ----
_scratch_dir: str | None = None


def _scratch() -> str:
    global _scratch_dir
    if _scratch_dir is None:
        _scratch_dir = tempfile.mkdtemp(prefix="ocx-fixtures-")
        atexit.register(shutil.rmtree, _scratch_dir, True)
    return _scratch_dir


def _die_with_parent() -> None:
    """In the child before exec: PR_SET_PDEATHSIG(SIGKILL), so a registry never outlives a test
    runner that was killed (ctest timeout, SIGKILL) before its context manager could stop it."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    """A port that was free a moment ago (bind to port 0 on loopback, read it, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _openssl(*args: str, cwd: str) -> None:
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], r.stderr.strip()))


_tls: dict | None = None


def tls_material() -> dict:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost, made once per process:
    {"ca_file", "cert_file", "key_file", "cert_dir"} (cert_dir holds only ca.crt, for skopeo)."""
    global _tls
    if _tls is None:
        d = os.path.join(_scratch(), "tls")
        os.makedirs(d)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                 "-subj", "/CN=ocx-test-ca", "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
        _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=d)
        with open(os.path.join(d, "server.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
        _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", "server.crt", "-days", "2", "-extfile", "server.ext", cwd=d)
        cert_dir = os.path.join(d, "certs.d")
        os.makedirs(cert_dir)
        shutil.copy(os.path.join(d, "ca.crt"), os.path.join(cert_dir, "ca.crt"))
        _tls = {"ca_file": os.path.join(d, "ca.crt"), "cert_file": os.path.join(d, "server.crt"),
                "key_file": os.path.join(d, "server.key"), "cert_dir": cert_dir}
    return _tls


_ACCESS_LINE = re.compile(r'^\S+ \S+ \S+ \[[^\]]*\] "(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) ')


@dataclass
class AccessEntry:
    method: str
    path: str
    status: int


class Registry:
    """docker-registry on 127.0.0.1:<free port>. Use as a context manager.

    auth:      None | "htpasswd" | "token"
    users:     {"user": "password"} for htpasswd/token (default {"alice": "secret"})
    tls:       serve HTTPS with a throwaway CA (ca_file / cert_dir)
    read_only: storage.maintenance.readonly: the registry refuses every write
    token_server: a started TokenServer for auth="token" (else one is started and owned)
    """

    def __init__(self, auth: str | None = None, users: dict | None = None, tls: bool = False,
                 read_only: bool = False, token_server: TokenServer | None = None,
                 storage_dir: str | None = None):
        if auth not in (None, "htpasswd", "token"):
            raise ValueError("auth must be None, 'htpasswd' or 'token'")
        self.auth = auth
        self.users = dict(users if users is not None else {"alice": "secret"})
        self.tls = tls
        self.read_only = read_only
        self.token_server = token_server
        self._own_token_server = False
        self._storage_override = storage_dir
        self.dir: str | None = None
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self._ready_lines = 0

    # -- properties -------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return "127.0.0.1:%d" % self.port

    @property
    def url(self) -> str:
        return ("https://" if self.tls else "http://") + self.host

    @property
    def storage_dir(self) -> str:
        return self._storage_override or os.path.join(self.dir, "storage")

    @property
    def access_log_file(self) -> str:
        return os.path.join(self.dir, "access.log")

    @property
    def log_file(self) -> str:
        return os.path.join(self.dir, "registry.log")

    @property
    def ca_file(self) -> str | None:
        return tls_material()["ca_file"] if self.tls else None

    @property
    def cert_dir(self) -> str | None:
        """A directory holding only the CA certificate (skopeo --cert-dir)."""
        return tls_material()["cert_dir"] if self.tls else None

    @property
    def username(self) -> str:
        return next(iter(self.users))

    @property
    def password(self) -> str:
        return self.users[self.username]

    @property
    def creds(self) -> str | None:
        """"user:password" when the registry needs credentials, else None."""
        return "%s:%s" % (self.username, self.password) if self.auth else None

    # -- logs -------------------------------------------------------------------------------
    def access_log_lines(self) -> list[str]:
        """Every access log line so far (including the startup probes)."""
        try:
            with open(self.access_log_file, encoding="utf-8", errors="replace") as f:
                return [line.rstrip("\n") for line in f if _ACCESS_LINE.match(line)]
        except FileNotFoundError:
            return []

    def mark(self) -> int:
        """A position in the access log; pass to requests(since=...) to see only later requests."""
        return len(self.access_log_lines())

    def requests(self, since: int | None = None) -> list[AccessEntry]:
        """Parsed access log entries after `since` (default: after the startup probes)."""
        lines = self.access_log_lines()[self._ready_lines if since is None else since:]
        out = []
        for line in lines:
            m = _ACCESS_LINE.match(line)
            out.append(AccessEntry(m["method"], m["path"], int(m["status"])))
        return out

    def count(self, method: str | None = None, path: str | None = None, since: int | None = None) -> int:
        """Requests (after `since`) with that method whose path contains regex `path`."""
        pattern = re.compile(path) if path else None
        return sum(1 for e in self.requests(since)
                   if (method is None or e.method == method) and (pattern is None or pattern.search(e.path)))

    def log_text(self) -> str:
        try:
            with open(self.log_file, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # -- lifecycle --------------------------------------------------------------------------
    def _config(self) -> dict:
        storage: dict = {
            "filesystem": {"rootdirectory": self.storage_dir},
            "delete": {"enabled": True},
            "maintenance": {"uploadpurging": {"enabled": False}, "readonly": {"enabled": self.read_only}},
        }
        http: dict = {"addr": self.host, "secret": base64.b64encode(os.urandom(24)).decode(),
                      "headers": {"X-Content-Type-Options": ["nosniff"]}}
        if self.tls:
            m = tls_material()
            http["tls"] = {"certificate": m["cert_file"], "key": m["key_file"]}
        config: dict = {
            "version": "0.1",
            "log": {"level": "info", "formatter": "text", "accesslog": {"disabled": False}},
            "storage": storage,
            "http": http,
        }
        if self.auth == "htpasswd":
            config["auth"] = {"htpasswd": {"realm": "ocx-test", "path": os.path.join(self.dir, "htpasswd")}}
        elif self.auth == "token":
            ts = self.token_server
            config["auth"] = {"token": {"realm": ts.realm, "service": ts.service, "issuer": ts.issuer,
                                        "rootcertbundle": ts.cert_file}}
        return config

    def start(self) -> "Registry":
        if not (os.path.isfile(REGISTRY_BIN) and os.access(REGISTRY_BIN, os.X_OK)):
            raise RuntimeError("docker-registry not found at %s (install Debian's docker-registry package "
                               "or set OCX_REGISTRY_BIN); integration tests need a real registry" % REGISTRY_BIN)
        self.dir = tempfile.mkdtemp(prefix="ocx-registry-")
        try:
            os.makedirs(self.storage_dir, exist_ok=True)
            if self.auth == "htpasswd":
                lines = []
                for user, password in self.users.items():
                    r = subprocess.run(["htpasswd", "-Bbn", user, password], capture_output=True, text=True)
                    if r.returncode != 0:
                        raise RuntimeError("htpasswd failed: " + r.stderr.strip())
                    lines.append(r.stdout.strip())
                with open(os.path.join(self.dir, "htpasswd"), "w") as f:
                    f.write("\n".join(lines) + "\n")
            if self.auth == "token" and self.token_server is None:
                self.token_server = TokenServer(users=self.users).start()
                self._own_token_server = True
            # The port is free when picked but another process could take it before the registry
            # binds it: retry with a new port when that happens.
            for attempt in range(5):
                self.port = free_port()
                if self._launch():
                    return self
            raise RuntimeError("docker-registry could not bind a port:\n" + self.log_text()[-2000:])
        except BaseException:
            self.stop()
            raise

    def _launch(self) -> bool:
        config_path = os.path.join(self.dir, "config.yml")
        with open(config_path, "w") as f:
            json.dump(self._config(), f, indent=2)
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        with open(self.access_log_file, "ab") as out, open(self.log_file, "ab") as err:
            self.proc = subprocess.Popen([REGISTRY_BIN, "serve", config_path], stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, env=env, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "address already in use" in self.log_text():
                    return False
                raise RuntimeError("docker-registry exited with %s:\n%s" % (self.proc.returncode,
                                                                            self.log_text()[-3000:]))
            status = registry_get(self.url, "/v2/", ca_file=self.ca_file, timeout=2).status
            if status in (200, 401):
                self._ready_lines = self.mark()
                return True
            time.sleep(0.05)
        raise RuntimeError("docker-registry did not answer GET /v2/ within %ss:\n%s" %
                           (START_TIMEOUT, self.log_text()[-3000:]))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None
        if self._own_token_server and self.token_server is not None:
            self.token_server.stop()
            self.token_server = None
            self._own_token_server = False
        if self.dir is not None:
            if os.environ.get("OCX_KEEP_REGISTRY"):
                print("keeping registry dir", self.dir)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> "Registry":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# -- raw HTTP -------------------------------------------------------------------------------------
@dataclass
class Response:
    status: int  # 0 when the connection failed
    headers: dict = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    error: str = ""

    def json(self):
        return json.loads(self.body)


def _basic(auth) -> str:
    return "Basic " + base64.b64encode(("%s:%s" % tuple(auth)).encode()).decode()


def _bearer_challenge(header: str) -> dict | None:
    if not header.lower().startswith("bearer "):
        return None
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def registry_get(url: str, path: str, accept: str | list | None = None, auth=None, ca_file: str | None = None,
                 method: str = "GET", data: bytes | None = None, headers: dict | None = None,
                 timeout: float = 30) -> Response:
    """One HTTP request to `url + path` via urllib; never raises for HTTP statuses.
    auth: (user, password) sent as Basic — and exchanged for a token when the registry answers
    with a Bearer challenge — or a string used verbatim as the Authorization header.
    accept: a media type or a list of them. ca_file: trust this CA for https."""
    context = ssl.create_default_context(cafile=ca_file) if url.startswith("https://") else None
    hdrs = dict(headers or {})
    if accept:
        hdrs["Accept"] = accept if isinstance(accept, str) else ", ".join(accept)
    if isinstance(auth, str):
        hdrs["Authorization"] = auth
    elif auth is not None:
        hdrs["Authorization"] = _basic(auth)

    def once(h: dict) -> Response:
        req = urllib.request.Request(url + path, data=data, headers=h, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=context) as r:
                hdrs_in = {k.lower(): v for k, v in r.headers.items()}
                try:
                    return Response(r.status, hdrs_in, r.read())
                except http.client.IncompleteRead as e:  # a body cut short (fault injection)
                    return Response(r.status, hdrs_in, e.partial, "incomplete body: %s" % e)
        except urllib.error.HTTPError as e:
            return Response(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())
        except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
            return Response(0, {}, b"", str(getattr(e, "reason", e)))

    resp = once(hdrs)
    challenge = _bearer_challenge(resp.headers.get("www-authenticate", "")) if resp.status == 401 else None
    if challenge and "realm" in challenge and not isinstance(auth, str):
        query = {k: v for k, v in challenge.items() if k in ("service", "scope")}
        token_url = challenge["realm"] + "?" + urllib.parse.urlencode(query)
        token_resp = registry_get(token_url, "", auth=auth, ca_file=ca_file, timeout=timeout)
        if token_resp.status == 200:
            body = token_resp.json()
            hdrs["Authorization"] = "Bearer " + (body.get("token") or body.get("access_token"))
            resp = once(hdrs)
    return resp


# -- the binary under test ----------------------------------------------------------------------
def without_access_checks(entries: list) -> list:
    """Access-log entries minus the fail-fast check's upload sessions: a POST to
    /v2/<repo>/blobs/uploads/ (no query) answered 202 whose very next write is the DELETE of that
    session. Such a pair stores nothing; any other request, a PUT or PATCH above all, stays."""
    out = []
    i = 0
    while i < len(entries):
        e = entries[i]
        if e.method == "POST" and e.status == 202 and re.search(r"^/v2/.+/blobs/uploads/$", e.path):
            later = [f for f in entries[i + 1:] if f.method in ("PUT", "POST", "PATCH", "DELETE")]
            if later and later[0].method == "DELETE" and later[0].path.startswith(e.path) and later[0].status < 300:
                j = entries.index(later[0], i + 1)
                out.extend(entries[i + 1:j])
                i = j + 1
                continue
        out.append(e)
        i += 1
    return out


@dataclass
class RunResult:
    args: list
    returncode: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)

    def __str__(self) -> str:
        return "$ %s\n[exit %d]\n--- stdout\n%s--- stderr\n%s" % (
            " ".join(map(str, self.args)), self.returncode, self.stdout, self.stderr)


def vm_hwm_kib(pid: int) -> int:
    """A running process's own peak RSS so far (VmHWM, KiB); 0 once it is gone. Unlike wait4's
    ru_maxrss it does not start from the parent's RSS at fork/exec."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def release_bin() -> str:
    """$OCX_RELEASE_BIN, else <source>/build/ocx-release; raises when neither exists."""
    path = os.environ.get("OCX_RELEASE_BIN")
    if not path:
        root = os.environ.get("OCX_SOURCE_DIR") or str(Path(__file__).resolve().parents[2])
        path = os.path.join(root, "build", "ocx-release")
    if not os.access(path, os.X_OK):
        raise RuntimeError("ocx-release binary not found at %s (set OCX_RELEASE_BIN)" % path)
    return path


def hermetic_env(env: dict | None = None) -> dict:
    """os.environ without credentials/registry settings that could leak in from the host, with an
    empty DOCKER_CONFIG and a scratch OCX_RELEASE_CACHE; then `env` applied (a None value removes
    a variable)."""
    out = {k: v for k, v in os.environ.items()
           if not k.startswith("OCX_AUTH_") and k not in ("OCX_INSECURE_REGISTRIES", "OCX_DEFAULT_REGISTRY",
                                                          "SSL_CERT_FILE", "REGISTRY_AUTH_FILE")}
    docker_config = os.path.join(_scratch(), "docker-config")
    os.makedirs(docker_config, exist_ok=True)
    out["DOCKER_CONFIG"] = docker_config
    # Caches (exec's packages, the records of archives already checked) stay out of the user's home.
    out["OCX_RELEASE_CACHE"] = os.path.join(_scratch(), "cache")
    out.setdefault("NO_COLOR", "1")
    for k, v in (env or {}).items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = str(v)
    return out


def run(args: list, env: dict | None = None, check: bool = False, cwd: str | None = None,
        input: str | None = None, timeout: float = 300) -> RunResult:
    """Runs ocx-release with `args`; captures stdout, stderr and the exit code.
    check=True raises AssertionError (with all output) on a non-zero exit."""
    cmd = [release_bin(), *map(str, args)]
    r = subprocess.run(cmd, env=hermetic_env(env), cwd=cwd, input=input, capture_output=True, text=True,
                       timeout=timeout)
    result = RunResult(cmd, r.returncode, r.stdout, r.stderr)
    if check and r.returncode != 0:
        raise AssertionError("command failed:\n%s" % result)
    return result


# -- skopeo as an independent reader --------------------------------------------------------------
def _policy_file() -> str:
    path = os.path.join(_scratch(), "policy.json")
    if not os.path.exists(path):
        with open(path, "w") as f:
            json.dump({"default": [{"type": "insecureAcceptAnything"}]}, f)
    return path


def _transport(ref: str) -> str:
    return ref if re.match(r"^[a-z-]+:(?!\d)", ref) and not ref.startswith("localhost:") else "docker://" + ref


def _skopeo(args: list) -> subprocess.CompletedProcess:
    r = subprocess.run([SKOPEO_BIN, *args], capture_output=True, env=hermetic_env(), timeout=120)
    if r.returncode != 0:
        shown = ["***" if i > 0 and args[i - 1].endswith("creds") else a for i, a in enumerate(args)]
        raise AssertionError("skopeo %s failed (exit %d): %s" % (
            " ".join(shown), r.returncode, r.stderr.decode(errors="replace").strip()))
    return r


def skopeo_inspect_raw(ref: str, tls_verify: bool = False, creds: str | None = None,
                       cert_dir: str | None = None) -> bytes:
    """The manifest/index bytes exactly as stored (`skopeo inspect --raw`). `ref` is
    "127.0.0.1:PORT/repo:tag" (docker:// added), or any skopeo transport ("oci:DIR:TAG")."""
    ref = _transport(ref)
    args = ["inspect", "--raw"]
    if ref.startswith("docker://"):
        args.append("--tls-verify=%s" % str(tls_verify).lower())
        if creds:
            args += ["--creds", creds]
        if cert_dir:
            args += ["--cert-dir", cert_dir]
    return _skopeo(args + [ref]).stdout


def skopeo_copy_all(src: str, dest_oci_dir: str, tag: str = "copy", tls_verify: bool = False,
                    creds: str | None = None, cert_dir: str | None = None) -> str:
    """`skopeo copy --all --preserve-digests SRC oci:DEST:TAG`: pulls every platform and blob,
    so any missing or corrupt blob fails here. Returns the destination reference."""
    src = _transport(src)
    dest = "oci:%s:%s" % (dest_oci_dir, tag)
    args = ["--policy", _policy_file(), "copy", "--all", "--preserve-digests", "--quiet"]
    if src.startswith("docker://"):
        args.append("--src-tls-verify=%s" % str(tls_verify).lower())
        if creds:
            args += ["--src-creds", creds]
        if cert_dir:
            args += ["--src-cert-dir", cert_dir]
    _skopeo(args + [src, dest])
    return dest


def skopeo_copy(src: str, dest: str, creds: str | None = None, cert_dir: str | None = None,
                tls_verify: bool = False, all_platforms: bool = True) -> None:
    """`skopeo copy [--all] --preserve-digests SRC DEST`; registry options apply to whichever side
    is a registry (refs without a transport get docker://). Seeds registries with foreign content."""
    src, dest = _transport(src), _transport(dest)
    args = ["--policy", _policy_file(), "copy", "--preserve-digests", "--quiet"]
    if all_platforms:
        args.append("--all")
    for side, ref in (("src", src), ("dest", dest)):
        if ref.startswith("docker://"):
            args.append("--%s-tls-verify=%s" % (side, str(tls_verify).lower()))
            if creds:
                args += ["--%s-creds" % side, creds]
            if cert_dir:
                args += ["--%s-cert-dir" % side, cert_dir]
    _skopeo(args + [src, dest])


def write_image_layout(directory, tag: str, layer_files: dict | None = None, os_name: str = "linux",
                       architecture: str = "amd64") -> dict:
    """Writes a minimal but genuine OCI image (image config + one tar.gz layer) into an OCI layout
    at `directory` under `tag` (appending to an existing index.json). Foreign, non-OCX content for
    seeding registries. Returns {"manifest": bytes, "digest": "sha256:...", "config": ..., "layer": ...}."""
    import gzip
    import hashlib
    import io
    import tarfile

    root = Path(directory)
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def put(data: bytes) -> dict:
        hexdigest = hashlib.sha256(data).hexdigest()
        (blobs / hexdigest).write_bytes(data)
        return {"digest": "sha256:" + hexdigest, "size": len(data)}

    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted((layer_files or {"hello.txt": "hello\n"}).items()):
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    raw = tar_bytes.getvalue()
    layer = put(gzip.compress(raw, mtime=0))
    config = put(json.dumps({"architecture": architecture, "os": os_name,
                             "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
                             "config": {}}, separators=(",", ":")).encode())
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}]},
                          separators=(",", ":")).encode()
    m = put(manifest)
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    index_path = root / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {"schemaVersion": 2, "manifests": []}
    index["manifests"] = [e for e in index["manifests"]
                          if e.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", **m,
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    index_path.write_text(json.dumps(index, separators=(",", ":")))
    return {"manifest": manifest, "digest": m["digest"], "config": config, "layer": layer}


# -- content trees --------------------------------------------------------------------------------
@dataclass
class File:
    content: str | bytes
    mode: int = 0o644


@dataclass
class Symlink:
    target: str


def make_tree(root, spec: dict) -> Path:
    """Creates `root` and, for each name -> value in `spec`: str/bytes = a file, dict = a
    directory (recursively), File(content, mode) = a file with a mode, Symlink(target)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name, value in spec.items():
        path = root / name
        if isinstance(value, dict):
            make_tree(path, value)
        elif isinstance(value, Symlink):
            path.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(value.target, path)
        else:
            entry = value if isinstance(value, File) else File(value)
            path.parent.mkdir(parents=True, exist_ok=True)
            data = entry.content.encode() if isinstance(entry.content, str) else entry.content
            path.write_bytes(data)
            os.chmod(path, entry.mode)
    return root


__all__ = [
    "vm_hwm_kib",
    "Registry", "TokenServer", "FaultProxy", "respond", "reset", "stall", "throttle", "truncate", "wrong_digest",
    "AccessEntry", "Response", "RunResult", "File", "Symlink", "free_port", "tls_material", "registry_get",
    "run", "release_bin", "hermetic_env", "skopeo_inspect_raw", "skopeo_copy_all", "skopeo_copy",
    "write_image_layout", "make_tree",
]

