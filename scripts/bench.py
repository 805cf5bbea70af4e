"""The engine of scripts/bench.sh: ocx-release side by side with the tools people would use
instead, measured in the same run, medians of several runs, ratios. See bench.sh for usage.

Measurements
  wall   monotonic clock around the command (process start to exit).
  cpu    user + system time of the command and every process it waited for (wait4).
  rss    peak resident memory: the largest sum, over the processes of the command alive at one
         moment, of each one's VmHWM (its own high-water mark), sampled every 10 ms. For a
         pipeline (tar | xz) that is the sum of both; for a sequence (sha256sum; curl; curl) the
         largest step. The registry is not part of any command.
  reqs   HTTP requests the registry saw (its access log), startup probe excluded. A request that
         never reaches the HTTP layer (the https probe ocx-release sends first on loopback, see
         docs/performance.md) is not in that log; `ocx` rows also show the client's own count.
  bytes  blob bytes that completed an upload: for every PUT .../blobs/uploads/...?digest=D that
         the registry answered 201, the size of D in the registry's storage.
Every first push goes to a freshly started registry with empty storage (a registry that already
holds a blob in another repository finishes its upload faster), started before the clock runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import fixtures  # noqa: E402  (Registry, hermetic_env, skopeo policy)

PLATFORMS = ["linux/amd64", "linux/arm64", "darwin/arm64", "windows/amd64"]
GCC_TREE = Path("/usr/lib/gcc/x86_64-linux-gnu/12")
LIB_DIR = Path("/usr/lib/x86_64-linux-gnu")
MiB = 1024 * 1024


# -- measuring -------------------------------------------------------------------------------------
@dataclass
class Sample:
    wall: float
    cpu: float
    rss_kib: int
    reqs: int = 0
    bytes_up: int = 0
    client_reqs: int = 0
    registry_cpu: float = 0.0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def _tree(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(_children(pid))
    return found


def measure(cmd: list[str], cwd: str | None = None, env: dict | None = None, check: bool = True,
            stdout_file: str | None = None) -> Sample:
    """Runs cmd; wall, cpu (wait4) and peak RSS (see the module comment)."""
    err = tempfile.TemporaryFile()
    out = open(stdout_file, "wb") if stdout_file else subprocess.DEVNULL
    # Write back what earlier steps left dirty (a 1 GiB layout, another tool's upload), so no
    # command is throttled for someone else's writes.
    os.sync()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env if env is not None else fixtures.hermetic_env(),
                            stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            break
        peak = max(peak, sum(fixtures.vm_hwm_kib(p) for p in _tree(proc.pid)))
        time.sleep(0.01)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdout_file:
        out.close()
    if check and proc.returncode != 0:
        err.seek(0)
        sys.exit("bench: command failed (exit %d): %s\n%s" % (proc.returncode, " ".join(cmd),
                                                                err.read().decode(errors="replace")[-3000:]))
    return Sample(wall, usage.ru_utime + usage.ru_stime, peak)


def process_cpu(pid: int) -> float:
    """user + system seconds a live process has used so far (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def registry_counts(reg: fixtures.Registry, since: int) -> tuple[int, int]:
    """(requests, blob bytes uploaded) from the access log after `since`."""
    entries = reg.requests(since)
    uploaded = 0
    for e in entries:
        if e.method == "PUT" and "/blobs/uploads/" in e.path and e.status == 201:
            digest = urllib.parse.parse_qs(urllib.parse.urlsplit(e.path).query).get("digest", [""])[0]
            if digest.startswith("sha256:"):
                hexd = digest[7:]
                blob = Path(reg.storage_dir, "docker/registry/v2/blobs/sha256", hexd[:2], hexd, "data")
                uploaded += blob.stat().st_size if blob.exists() else 0
    return len(entries), uploaded


def blob_requests(reg: fixtures.Registry, since: int) -> int:
    return sum(1 for e in reg.requests(since) if "/blobs/" in e.path)


# -- tables ----------------------------------------------------------------------------------------
def med(values):
    return statistics.median(values) if values else float("nan")


def spread(values, fmt="%.2f"):
    if len(values) < 2:
        return fmt % values[0]
    return (fmt + " (" + fmt + "–" + fmt + ")") % (med(values), min(values), max(values))


def print_table(title: str, header: list[str], rows: list[list[str]], notes: list[str] = ()) -> None:
    print("\n### " + title + "\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    if notes:
        print()
        for n in notes:
            print(n)
    sys.stdout.flush()


def goal(text: str, value: float, limit: float, fmt: str = "%.2f×") -> str:
    ok = value <= limit
    return "goal: %s — %s (%s)" % (text, (fmt % value), "met" if ok else "MISSED by %s" % (fmt % (value - limit)))


def load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# -- data ------------------------------------------------------------------------------------------
def random_file(path: Path, size: int) -> Path:
    if not path.exists() or path.stat().st_size != size:
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(left, 8 * MiB)
                f.write(os.urandom(n))
                left -= n
    return path


def copy_tree(dest: Path, exclude_over: int | None, exclude_names: set[str]) -> Path:
    """A copy of the gcc tree (real binaries), leaving out the named files, those over a size and
    the symlinks that point outside the tree."""
    if dest.exists():
        return dest
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)

    inside = os.path.realpath(GCC_TREE) + os.sep

    def ignore(d, names):
        out = set()
        for n in names:
            p = os.path.join(d, n)
            escapes = os.path.islink(p) and not os.path.realpath(p).startswith(inside)  # bundles refuse those
            if n in exclude_names or escapes or (exclude_over and os.path.isfile(p) and not os.path.islink(p)
                                                 and os.path.getsize(p) > exclude_over):
                out.add(n)
        return out

    shutil.copytree(GCC_TREE, tmp, symlinks=True, ignore=ignore)
    tmp.rename(dest)
    return dest


def platform_trees(base: Path, each: int) -> list[Path]:
    """Four different trees of shared libraries, about `each` bytes apiece (one per platform)."""
    files = sorted(e.path for e in os.scandir(LIB_DIR)
                   if e.is_file(follow_symlinks=False) and 200_000 < e.stat().st_size < 3_000_000)
    out = []
    for k in range(4):
        d = base / ("p%d" % k)
        out.append(d)
        if d.exists():
            continue
        tmp = base / ("p%d.tmp" % k)
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / "lib").mkdir(parents=True)
        total = 0
        for f in files[k::4]:
            if total >= each:
                break
            shutil.copy2(f, tmp / "lib")
            total += os.path.getsize(f)
        tmp.rename(d)
    return out


def tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def metadata_file(work: Path) -> Path:
    """The example's metadata without its `binaries`: the bench trees (gcc's files, zeros) have no
    bin/hello, and a release refuses a package that lacks a binary it declares."""
    p = work / "metadata.json"
    meta = json.loads((ROOT / "examples" / "hello" / "metadata.json").read_text())
    meta.pop("binaries", None)
    p.write_text(json.dumps(meta, indent=2))
    return p


# -- the tools ---------------------------------------------------------------------------------------
CURL_PUSH = r'''
set -eu
hash=$1 layer=$2 config=$3 manifest=$4 base=$5
digest() { echo "sha256:$($hash "$1" | sed 's/.*= //; s/ .*//')"; }
upload() {  # POST a session, PUT the whole file with ?digest=
  loc=$(curl -sSf -X POST -D - -o /dev/null "$base/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case $loc in *\?*) sep='&' ;; *) sep='?' ;; esac
  curl -sSf -X PUT -H 'Content-Type: application/octet-stream' -T "$1" -o /dev/null "$loc${sep}digest=$2"
}
upload "$layer" "$(digest "$layer")"
upload "$config" "$(digest "$config")"
curl -sSf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' -T "$manifest" -o /dev/null \
  "$base/manifests/1.0.0"
'''

CURL_REPUSH = r'''
set -eu
hash=$1 layer=$2 config=$3 manifest=$4 base=$5
for f in "$layer" "$config"; do
  d="sha256:$($hash "$f" | sed 's/.*= //; s/ .*//')"
  curl -sSf -I -o /dev/null "$base/blobs/$d"
done
curl -sSf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' -T "$manifest" -o /dev/null \
  "$base/manifests/1.0.0"
'''


XZ_DC = "xz -dc -T0 > /dev/null (decompression alone)"


def xz_dc(layer: Path) -> list[str]:
    return ["sh", "-c", "xz -dc -T0 < '%s' > /dev/null" % layer]


def never_seen_goal(walked: float, xz: float, curl: float) -> str:
    """Issue 19's goal for a never-seen archive: ≤ 1.2 × max(decompression, hash + upload) + 0.3 s."""
    budget = 1.2 * max(xz, curl) + 0.3
    return goal("first push (walked) ≤ 1.2 × max(xz -dc %.2f s, hash + curl %.2f s) + 0.3 s = %.2f s"
                % (xz, curl, budget), walked, budget, "%.2f s")


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = args.bin
        self.quick = args.quick
        self.work = Path(args.work)
        self.meta = metadata_file(self.work)
        self.env = fixtures.hermetic_env()
        self.policy = fixtures._policy_file()
        self.have_skopeo = shutil.which("skopeo") is not None
        self.caches = 0

    def ocx(self, *args) -> list[str]:
        return [self.bin, *map(str, args)]

    def ocx_with(self, cache: Path | None, *args) -> list[str]:
        """ocx-release with OCX_RELEASE_CACHE at `cache` (its checked/ records), or at a new empty
        directory when None: an archive this machine has never seen, walked in full."""
        if cache is None:
            self.caches += 1
            cache = self.work / "caches" / ("c%d" % self.caches)
            shutil.rmtree(cache, ignore_errors=True)
        return ["env", "OCX_RELEASE_CACHE=%s" % cache, *self.ocx(*args)]

    def skopeo_copy(self, src: str, dest_host: str, repo: str) -> list[str]:
        return ["skopeo", "--policy", self.policy, "copy", "--all", "--preserve-digests", "--quiet",
                "--dest-tls-verify=false", src, "docker://%s/%s:1.0.0" % (dest_host, repo)]

    def random_archive(self, d: Path, name: str, size: int) -> Path:
        """A real .tar.xz (push checks every archive before it writes anything) holding one file of
        `size` random bytes, bundled at level fast: xz stores incompressible data as uncompressed
        LZMA2 chunks, so the archive is a little over `size` and cheap to walk."""
        layer = d / name
        if not layer.exists():
            content = d / "content"
            content.mkdir(exist_ok=True)
            random_file(content / "payload.bin", size)
            self.bundle(content, d / ("." + name), "fast", d / "cache")
            (d / ("." + name)).rename(layer)
            shutil.rmtree(content)
        return layer

    def bundle(self, tree: Path, out: Path, level: str, cache: Path) -> None:
        r = subprocess.run(self.ocx_with(cache, "create", tree, "-i", "bench:1.0.0", "-p", "linux/amd64", "-o", out,
                                         "-l", level, "-j", "0", "-f", "-q"),
                           env=self.env, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("bench: bundling %s failed: %s" % (tree, r.stderr))

    # A layer plus what `push` would publish with it, as files: config blob, manifest (curl needs
    # them) and an OCI layout holding the same three (skopeo copies from it). Its cache directory
    # holds the record `create` wrote for it.
    def layer_set(self, name: str, size: int = 0, tree: Path | None = None) -> dict:
        if tree is None:  # random bytes; cached by size: --quick and full runs share OCX_BENCH_DIR
            d = self.work / ("%s-%d" % (name, size))
            d.mkdir(exist_ok=True)
            layer = self.random_archive(d, name + ".tar.xz", size)
        else:  # a real tree bundled at level default
            d = self.work / ("%s-%s" % (name, tree.name))
            d.mkdir(exist_ok=True)
            layer = d / (name + ".tar.xz")
            if not layer.exists():
                self.bundle(tree, d / (".%s.tar.xz" % name), "default", d / "cache")
                (d / (".%s.tar.xz" % name)).rename(layer)
        # The record create wrote names the bytes, not the path: it stays valid after the rename.
        layout = d / "layout"
        if not layout.exists():
            r = subprocess.run(self.ocx_with(d / "cache", "push", "-n", "-p", "linux/amd64", "-m", self.meta, "-i",
                                             "oci:%s:1.0.0" % layout, layer, "--no-canonical-tag", "-q"),
                               env=self.env, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit("bench: preparing the OCI layout failed: " + r.stderr)
        index = json.loads((layout / "index.json").read_text())
        top = index["manifests"][0]["digest"].split(":")[1]
        tag_index = json.loads((layout / "blobs/sha256" / top).read_text())
        mdigest = tag_index["manifests"][0]["digest"].split(":")[1]
        manifest_bytes = (layout / "blobs/sha256" / mdigest).read_bytes()
        manifest = json.loads(manifest_bytes)
        (d / "manifest.json").write_bytes(manifest_bytes)
        cdigest = manifest["config"]["digest"].split(":")[1]
        shutil.copy(layout / "blobs/sha256" / cdigest, d / "config.json")
        matrix = {"schema": 1, "package": "REGISTRY/bench/release", "tag": "1.0.0", "metadata": str(self.meta),
                  "platforms": [{"platform": "linux/amd64", "archive": str(layer)}]}
        return {"layer": layer, "config": d / "config.json", "manifest": d / "manifest.json",
                "layout": layout, "matrix": matrix, "dir": d, "cache": d / "cache"}

    def matrix_file(self, matrix: dict, host: str, path: Path) -> Path:
        m = dict(matrix)
        m["package"] = m["package"].replace("REGISTRY", host)
        path.write_text(json.dumps(m))
        return path

    WALKED = "ocx-release push, archive walked (not seen here before)"
    RECORDED = "ocx-release push, archive recorded (created or pushed here before)"
    RELEASE = "ocx-release release (1 archive), walked"

    def push_variants(self, ls: dict, reg: fixtures.Registry, fresh_repo: str, repush: bool = False) -> dict:
        """name -> command for one push of the layer set into reg."""
        host = reg.host
        script = CURL_REPUSH if repush else CURL_PUSH
        base = "%s/v2/bench/%s" % (reg.url, fresh_repo)
        push = ("push", "-n", "-p", "linux/amd64", "-m", self.meta, "-i", "%s/bench/%s:1.0.0" % (host, fresh_repo),
                ls["layer"])
        v = {
            self.WALKED: self.ocx_with(None, *push),
            self.RECORDED: self.ocx_with(ls["cache"], *push),
            self.RELEASE: self.ocx_with(None, "release", self.matrix_file(
                dict(ls["matrix"], package="REGISTRY/bench/" + fresh_repo), host,
                ls["dir"] / ("matrix-%s.json" % fresh_repo))),
            "curl (sha256sum)": ["bash", "-c", script, "curl", "sha256sum", str(ls["layer"]), str(ls["config"]),
                                 str(ls["manifest"]), base],
            "curl (openssl dgst)": ["bash", "-c", script, "curl", "openssl dgst -sha256 -r", str(ls["layer"]),
                                    str(ls["config"]), str(ls["manifest"]), base],
        }
        if self.have_skopeo:
            v["skopeo copy (oci: layout)"] = self.skopeo_copy("oci:%s:1.0.0" % ls["layout"], host, "bench/" + fresh_repo)
        return v

    # -- 1. create --------------------------------------------------------------------------------
    def create(self):
        tree = self.real_tree()
        runs = self.args.runs or (1 if self.quick else 3)
        samples = {"ocx": [], "tar+xz": []}
        for _ in range(runs):
            r = subprocess.run([str(ROOT / "scripts" / "bench_create.sh"), str(tree), "-l", "default", "-j", "0",
                                "-r", "1"], env=dict(os.environ, OCX_RELEASE_BIN=self.bin),
                               capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit("bench: bench_create.sh failed:\n" + r.stdout + r.stderr)
            for line in r.stdout.splitlines():
                f = line.split()
                if len(f) >= 8 and f[0] == "default" and f[1] in samples:
                    samples[f[1]].append((float(f[3]), float(f[4]), float(f[5]), int(f[6]), f[7]))
        rows = []
        m = {}
        for tool, label in (("ocx", "ocx-release create -l default -j 0"),
                            ("tar+xz", "tar --sort=name … \\| xz -T0 -3")):
            s = samples[tool]
            m[tool] = [med([x[i] for x in s]) for i in range(4)]
            rows.append([label, spread([x[0] for x in s]), "%.2f" % m[tool][1], "%.0f" % m[tool][2],
                         "%d" % m[tool][3]])
        o, t = m["ocx"], m["tar+xz"]
        rows.append(["**ratio ocx / tar+xz**", "**%.2f×**" % (o[0] / t[0]), "%.2f×" % (o[1] / t[1]),
                     "%.2f×" % (o[2] / t[2]), "%+.2f%%" % ((o[3] - t[3]) * 100 / t[3])])
        print_table("1. create: %.0f MB tree of binaries (%s), level default = xz -3, %d thread(s), %d run(s)"
                    % (tree_bytes(tree) / 1e6, "gcc 12 without its compilers" if self.quick else
                       "gcc 12 without gnat1", os.cpu_count(), runs),
                    ["command", "wall s (min–max)", "cpu s", "peak RSS MiB", "output bytes"], rows,
                    ["measured by scripts/bench_create.sh (RSS: sum over the pipeline's processes);"
                     " medians of %d run(s), ocx and tar|xz alternating; load before: %s" % (runs, self.load0),
                     "", goal("create wall ≤ 1.00× tar|xz", o[0] / t[0], 1.0)])

    # -- 2. first push ----------------------------------------------------------------------------
    def real_tree(self) -> Path:
        """The tree of scenario 1: gcc 12's files (real binaries)."""
        if self.quick:
            return copy_tree(self.work / "tree-quick", None, {"gnat1", "cc1plus", "f951", "cc1", "lto1"})
        return copy_tree(self.work / "tree", None, {"gnat1"})

    def layer_sets(self) -> list[tuple[str, dict]]:
        """(description, layer set): random bytes of the issue's size, and a real default-level bundle."""
        size = 16 * MiB if self.quick else 60 * MiB
        random_set = self.layer_set("push", size)
        real_set = self.layer_set("real", tree=self.real_tree())
        return [("a .tar.xz of %d MiB of random bytes (stored: cheap to walk)" % (size // MiB), random_set),
                ("a %.1f MB bundle of gcc 12 at level default (xz -3: walking it means decompressing %.0f MB)"
                 % (real_set["layer"].stat().st_size / 1e6, tree_bytes(self.real_tree()) / 1e6), real_set)]

    def push(self):
        sets = self.layer_sets()
        for k, (what, ls) in enumerate(sets):
            self.first_push(ls, what, "2" if k == 0 else "2d")

    def strategy(self):
        """Tables 2b and 2c (not in the default run: the choices they back did not change)."""
        ls = self.layer_sets()[0][1]
        self.upload_strategy(ls)
        self.cold_cache(ls)

    # -- 2e. a never-seen real archive over a slow link --------------------------------------------
    def slowlink(self):
        """The real archive of 2d, never seen here, pushed through a proxy that holds every PUT
        completing a blob for 1 s (it reads the whole body first, then waits: a slow link that costs
        no CPU). Walking before uploading would add the walk to the held second; walking beside
        the upload hides one in the other."""
        from fault_proxy import FaultProxy, stall
        ls = self.layer_sets()[1][1]
        runs = self.args.runs or (2 if self.quick else 3)
        names = (self.WALKED, self.RECORDED, "curl (openssl dgst)")
        results: dict[str, list[Sample]] = {}
        for _ in range(runs):
            for name in names:
                with fixtures.Registry() as reg, FaultProxy(reg.host) as proxy:
                    proxy.inject(stall(1.0), method="PUT", path=r"/blobs/uploads/.*digest=", times=10000)
                    results.setdefault(name, []).append(measure(self.push_variants(ls, proxy, "slow")[name]))
            results.setdefault(XZ_DC, []).append(measure(xz_dc(ls["layer"])))
        curl = med([s.wall for s in results["curl (openssl dgst)"]])
        rows = [[name, spread([s.wall for s in ss]), "%.2f×" % (med([s.wall for s in ss]) / curl),
                 "%.2f" % med([s.cpu for s in ss]), "%.1f" % (med([s.rss_kib for s in ss]) / 1024)]
                for name, ss in results.items()]
        print_table("2e. first push of the %.1f MB real layer, never seen here, through a link that holds each blob "
                    "upload for 1 s" % (ls["layer"].stat().st_size / 1e6),
                    ["command", "wall s (min–max)", "× curl", "cpu s", "peak RSS MiB"], rows,
                    ["through fault_proxy.FaultProxy (stall(1.0) on every PUT ...?digest=: two per push, layer and "
                     "config); a fresh registry and proxy per command; %d runs interleaved; load before: %s"
                     % (runs, self.load0), "",
                     never_seen_goal(med([s.wall for s in results[self.WALKED]]),
                                     med([s.wall for s in results[XZ_DC]]), curl)])

    def first_push(self, ls: dict, what: str, number: str):
        runs = self.args.runs or (3 if self.quick else 5)
        results: dict[str, list[Sample]] = {}
        for i in range(runs):
            for name in list(self.push_variants(ls, _Dummy(), "x").keys()):
                with fixtures.Registry() as reg:
                    cmd = self.push_variants(ls, reg, "push")[name]
                    mark = reg.mark()
                    s = measure(cmd)
                    s.reqs, s.bytes_up = registry_counts(reg, mark)
                    results.setdefault(name, []).append(s)
            results.setdefault(XZ_DC, []).append(measure(xz_dc(ls["layer"])))
        floor = med([s.wall for s in results["curl (sha256sum)"]])
        rows = []
        for name, ss in results.items():
            w = med([s.wall for s in ss])
            rows.append([name, spread([s.wall for s in ss]), "%.2f×" % (w / floor), "%.2f" % med([s.cpu for s in ss]),
                         "%d" % med([s.reqs for s in ss]), "%.1f" % (med([s.rss_kib for s in ss]) / 1024),
                         "%.1f" % (med([s.bytes_up for s in ss]) / 1e6)])
        size_mb = ls["layer"].stat().st_size / 1e6
        notes = ["the layer: %s; a fresh registry per command, %d runs interleaved; ratio = wall / curl (sha256sum); "
                 "load before: %s" % (what, runs, self.load0),
                 "`push` ends with a 150 ms pause before it reads its tags back (README \"Concurrent writers\"); "
                 "`release` owns its tags and does not pause", ""]
        sk = med([s.wall for s in results["skopeo copy (oci: layout)"]]) if "skopeo copy (oci: layout)" in results else None
        notes.append(never_seen_goal(med([s.wall for s in results[self.WALKED]]), med([s.wall for s in results[XZ_DC]]),
                                     med([s.wall for s in results["curl (openssl dgst)"]])))
        for row in (self.WALKED, self.RECORDED):
            ocx = med([s.wall for s in results[row]])
            short = "walked" if row == self.WALKED else "recorded"
            notes.append(goal("first push (%s) ≤ 1.2× bare curl (sha256sum)" % short, ocx / floor, 1.2))
            if sk is not None:
                notes.append(goal("first push (%s) below skopeo (ocx / skopeo < 1)" % short, ocx / sk, 0.999))
        print_table("%s. first push of a %.1f MB layer to a local docker-registry" % (number, size_mb),
                    ["command", "wall s (min–max)", "× curl", "cpu s", "requests", "peak RSS MiB", "MB uploaded"],
                    rows, notes)

    def cold_cache(self, ls: dict):
        """First push with the layer evicted from the page cache before each run (posix_fadvise
        DONTNEED on that one file): the hash pass reads the disk, the upload reads the cache."""
        runs = self.args.runs or 3
        results: dict[str, list[Sample]] = {}

        def evict(path: Path):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)

        names = [n for n in self.push_variants(ls, _Dummy(), "x") if n in
                 (self.WALKED, "curl (sha256sum)", "skopeo copy (oci: layout)")]
        for _ in range(runs):
            for name in names:
                with fixtures.Registry() as reg:
                    cmd = self.push_variants(ls, reg, "cold")[name]
                    evict(ls["layer"])
                    for blob in (ls["layout"] / "blobs" / "sha256").iterdir():
                        evict(blob)
                    s = measure(cmd)
                    results.setdefault(name, []).append(s)
        floor = med([s.wall for s in results["curl (sha256sum)"]])
        rows = [[name, spread([s.wall for s in ss]), "%.2f×" % (med([s.wall for s in ss]) / floor)]
                for name, ss in results.items()]
        print_table("2c. first push with the layer not in the page cache",
                    ["command", "wall s (min–max)", "× curl"], rows,
                    ["the layer (and the OCI layout's blobs) evicted before each run; ocx-release and curl read the "
                     "file twice (hash, then upload: the second read hits the cache the first one filled), skopeo "
                     "once (the layout already names the digest); %d runs interleaved" % runs])

    def upload_strategy(self, ls: dict):
        runs = self.args.runs or 3
        sizes = ["0", "4M", "16M", "64M"]
        results: dict[str, list[Sample]] = {}
        for _ in range(runs):
            for cs in sizes:
                with fixtures.Registry() as reg:
                    mark = reg.mark()
                    s = measure(self.ocx("push", "-n", "-p", "linux/amd64", "-m", self.meta, "-i",
                                         "%s/bench/chunks:1.0.0" % reg.host, ls["layer"], "--chunk-size", cs))
                    s.reqs, s.bytes_up = registry_counts(reg, mark)
                    results.setdefault(cs, []).append(s)
        base = med([s.wall for s in results["0"]])
        rows = [["monolithic (POST + PUT)" if cs == "0" else "chunked, %s PATCHes" % cs,
                 spread([s.wall for s in ss]), "%.2f×" % (med([s.wall for s in ss]) / base),
                 "%d" % med([s.reqs for s in ss]), "%.1f" % (med([s.rss_kib for s in ss]) / 1024)]
                for cs, ss in results.items()]
        print_table("2b. upload strategy: `ocx-release push --chunk-size` on the same layer",
                    ["strategy", "wall s (min–max)", "× monolithic", "requests", "peak RSS MiB"], rows,
                    ["%d runs interleaved, fresh registry each; monolithic stays the default: fewest requests, "
                     "and no chunk size was faster beyond the noise" % runs])

    # -- 3. re-push -------------------------------------------------------------------------------
    def repush(self):
        for k, (what, ls) in enumerate(self.layer_sets()):
            self.repush_one(ls, what, "3" if k == 0 else "3b")

    def repush_one(self, ls: dict, what: str, number: str):
        runs = self.args.runs or 5
        results: dict[str, list[Sample]] = {}
        hashes: dict[str, list[Sample]] = {"sha256sum": [], "openssl dgst -sha256": []}
        with fixtures.Registry() as reg:
            # First pushes (not measured): every tool re-pushes into its own repository.
            names = list(self.push_variants(ls, reg, "x").keys())
            for k, name in enumerate(names):
                cmd = self.push_variants(ls, reg, "r%d" % k)[name]
                measure(cmd)
            for _ in range(runs):
                for k, name in enumerate(names):
                    cmd = self.push_variants(ls, reg, "r%d" % k, repush=True)[name]
                    mark = reg.mark()
                    s = measure(cmd)
                    s.reqs, s.bytes_up = registry_counts(reg, mark)
                    s.client_reqs = blob_requests(reg, mark)
                    results.setdefault(name, []).append(s)
                hashes["sha256sum"].append(measure(["sha256sum", str(ls["layer"])]))
                hashes["openssl dgst -sha256"].append(measure(["openssl", "dgst", "-sha256", str(ls["layer"])]))
            probes = []
            for _ in range(3):
                r = subprocess.run(self.ocx_with(ls["cache"], "push", "-n", "-p", "linux/amd64", "-m", self.meta, "-i",
                                                 "%s/bench/r0:1.0.0" % reg.host, ls["layer"], "-vv"),
                                   env=self.env, capture_output=True, text=True)
                m = re.search(r"GET https://\S+ failed after (\d+) ms", r.stderr)
                if m:
                    probes.append(int(m.group(1)))
        rows = []
        for name, ss in list(results.items()):
            rows.append([name, spread([s.wall for s in ss], "%.3f"), "%d" % med([s.reqs for s in ss]),
                         "%.1f" % (med([s.client_reqs for s in ss]) / 2), "%d" % med([s.bytes_up for s in ss]),
                         "%.1f" % (med([s.rss_kib for s in ss]) / 1024)])
        for name, ss in hashes.items():
            rows.append([name + " (the file alone)", spread([s.wall for s in ss], "%.3f"), "", "", "",
                         "%.1f" % (med([s.rss_kib for s in ss]) / 1024)])
        sha = med([s.wall for s in hashes["sha256sum"]])
        budget = 1.5 * sha + 0.1
        notes = ["the layer: %s; the same layer, config and manifest again, into the repository each tool pushed "
                 "it to first; %d runs interleaved; load before: %s" % (what, runs, self.load0),
                 "curl rows: hash each blob, HEAD it, PUT the manifest (what a re-push must at least do)",
                 "ocx-release's https probe before falling back to plain http on loopback (not in the registry's "
                 "log): %s ms (median of %d, from -vv)" % (("%d" % med(probes)) if probes else "n/a", len(probes)), ""]
        for row in (self.RECORDED, self.WALKED):
            short = "walked" if row == self.WALKED else "recorded"
            ocx = med([s.wall for s in results[row]])
            notes += [goal("re-push (%s) uploads 0 bytes" % short, med([s.bytes_up for s in results[row]]), 0, "%d B"),
                      goal("re-push (%s) ≤ 1 request per blob" % short,
                           med([s.client_reqs for s in results[row]]) / 2, 1.0, "%.1f"),
                      goal("re-push (%s) wall ≤ 1.5 × sha256sum + 0.1 s = %.3f s" % (short, budget), ocx, budget,
                           "%.3f s")]
        print_table("%s. re-push of the same content (%.1f MB layer, everything already in the registry)"
                    % (number, ls["layer"].stat().st_size / 1e6),
                    ["command", "wall s (min–max)", "requests", "blob requests per blob", "bytes uploaded",
                     "peak RSS MiB"], rows, notes)

    # -- 4. release of 4 platforms ---------------------------------------------------------------------
    def release(self):
        each = 6_000_000 if self.quick else 12_000_000
        trees = platform_trees(self.work / ("platforms-quick" if self.quick else "platforms"), each)
        runs = self.args.runs or (1 if self.quick else 3)
        out = self.work / "release-out"
        results: dict[str, list[Sample]] = {}

        def create_then_push(host_repo: str) -> list[str]:
            """create + push per platform, one after another: what a job without `release` does."""
            steps = []
            for i, (p, tree) in enumerate(zip(PLATFORMS, trees)):
                archive = out / ("bench-1.0.0-%s.tar.xz" % p.replace("/", "-"))
                steps.append("'%s' create '%s' -i bench:1.0.0 -p %s -m '%s' -o '%s' -f -q"
                             % (self.bin, tree, p, self.meta, out))
                steps.append("'%s' push %s-c -p %s -i %s:1.0.0 '%s' -q"
                             % (self.bin, "-n " if i == 0 else "", p, host_repo, archive))
            return ["sh", "-c", " && ".join(steps)]

        def paired_creates() -> list[str]:
            """The four creates two at a time, one compression thread each, so both cores are busy."""
            lanes = []
            for lane in (0, 1):
                lanes.append(" && ".join("'%s' create '%s' -i bench:1.0.0 -p %s -m '%s' -o '%s' -f -q -j 1"
                                         % (self.bin, trees[i], PLATFORMS[i], self.meta, out) for i in (lane, lane + 2)))
            return ["sh", "-c", "(%s) & a=$!; (%s) & b=$!; wait $a && wait $b" % tuple(lanes)]

        for _ in range(runs):
            # The four creates alone run two at a time, one compression thread each: on 2 cores that
            # beats running them in turn with -j 0 by about 2x (a 12 MB tree is one xz block, so one
            # thread), and it is the floor a release is held to.
            for name in ("ocx-release release (4 platforms)", "create + push, per platform in turn",
                         "four creates alone, two at a time"):
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                with fixtures.Registry() as reg:
                    if name.startswith("ocx-release release"):
                        matrix = {"schema": 1, "package": reg.host + "/bench/release", "tag": "1.0.0",
                                  "cascade": True, "metadata": str(self.meta), "output_dir": str(out),
                                  "platforms": [{"platform": p, "content": str(t)} for p, t in zip(PLATFORMS, trees)]}
                        mf = self.work / "release-matrix.json"
                        mf.write_text(json.dumps(matrix))
                        cmd = self.ocx("release", mf, "-q")
                    elif name.startswith("create + push"):
                        cmd = create_then_push(reg.host + "/bench/release")
                    else:
                        cmd = paired_creates()
                    mark = reg.mark()
                    cpu0 = process_cpu(reg.proc.pid)
                    s = measure(cmd)
                    s.registry_cpu = process_cpu(reg.proc.pid) - cpu0
                    s.reqs, s.bytes_up = registry_counts(reg, mark)
                    results.setdefault(name, []).append(s)
        alone = med([s.wall for s in results["four creates alone, two at a time"]])
        seq = med([s.wall for s in results["create + push, per platform in turn"]])
        rel = med([s.wall for s in results["ocx-release release (4 platforms)"]])
        cpu_floor = med([s.cpu for s in results["four creates alone, two at a time"]]) / os.cpu_count()
        rows = []
        for name, ss in results.items():
            w = med([s.wall for s in ss])
            rows.append([name, spread([s.wall for s in ss]), "%.2f×" % (w / alone), "%.2f×" % (w / seq),
                         "%.2f" % med([s.cpu for s in ss]), "%.2f" % med([s.registry_cpu for s in ss]),
                         "%.0f" % (med([s.rss_kib for s in ss]) / 1024), "%d" % med([s.reqs for s in ss])])
        rows.append(["floor: cpu of the four creates / %d cores" % os.cpu_count(), "%.2f" % cpu_floor,
                     "%.2f×" % (cpu_floor / alone), "%.2f×" % (cpu_floor / seq), "", "", "", ""])
        sizes = ", ".join("%.0f" % (tree_bytes(t) / 1e6) for t in trees)
        print_table("4. release of 4 platforms (%s MB trees of shared libraries), cascade on" % sizes,
                    ["command", "wall s (min–max)", "× four creates", "× sequential", "cpu s", "registry cpu s",
                     "peak RSS MiB", "requests"], rows,
                    ["level default, -j 0 (all cores) for every create run in turn, -j 1 for two at a time; "
                     "`release` picks its own split (--jobs default); \"× four creates\" is against the four "
                     "creates two at a time (in turn with -j 0 they took about 2x as long in every committed run: "
                     "a 12 MB tree is one xz block); %d run(s) interleaved, fresh registry each; load before: %s"
                     % (runs, self.load0),
                     "", goal("release ≤ 1.05× its four creates alone", rel / alone, 1.05),
                     goal("release below create + push in turn", rel / seq, 0.999),
                     "release / cpu floor: %.2f×" % (rel / cpu_floor),
                     "release − four creates: %.2f s, while the registry (on the same cores) used %.2f s of CPU "
                     "receiving the release" % (rel - alone, med([s.registry_cpu for s in
                                                                 results["ocx-release release (4 platforms)"]]))])

    def prebuilt_archive(self, k: int, size: int, preset: str) -> Path:
        """A .tar.xz made as other packaging tools make them (GNU tar, then xz PRESET -T0) of about
        `size` bytes of gcc 12's files: every other regular file (k = 0 or 1), up to `size`."""
        a = self.work / ("prebuilt-%d-%d%s.tar.xz" % (k, size, preset))
        if a.exists():
            return a
        files = sorted(str(p.relative_to(GCC_TREE)) for p in GCC_TREE.rglob("*")
                       if p.is_file() and not p.is_symlink() and p.name != "gnat1")
        picked, total = [], 0
        for f in files[k::2] + files[1 - k::2]:
            if total >= size:
                break
            picked.append(f)
            total += (GCC_TREE / f).stat().st_size
        listing = self.work / ("prebuilt-%d.list" % k)
        listing.write_text("\n".join(picked) + "\n")
        subprocess.run(["sh", "-c", "tar --sort=name -cf - -C '%s' -T '%s' | xz %s -T0 > '%s.tmp' && mv '%s.tmp' '%s'"
                        % (GCC_TREE, listing, preset, a, a, a)], check=True)
        return a

    # -- 4c. release with prebuilt archives ------------------------------------------------------------
    def prebuilt(self):
        """Issue 19's release: two platforms from directories, two from prebuilt archives this
        machine never saw (made by tar | xz -6, as other packaging tools make them; a fresh cache per
        run), against its compression alone (the two creates, side by side, one thread each)."""
        each = 6_000_000 if self.quick else 12_000_000
        trees = platform_trees(self.work / ("platforms-quick" if self.quick else "platforms"), each)
        big = 12_000_000 if self.quick else 40_000_000
        archives = [self.prebuilt_archive(k, big, "-6") for k in (0, 1)]
        runs = self.args.runs or (1 if self.quick else 3)
        out = self.work / "prebuilt-out"
        results: dict[str, list[Sample]] = {}
        alone_name = "compression alone: the two creates, side by side"
        rel_name = "ocx-release release (2 directories + 2 prebuilt archives, never seen)"
        for _ in range(runs):
            for name in (rel_name, alone_name):
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                with fixtures.Registry() as reg:
                    if name == rel_name:
                        platforms = [{"platform": PLATFORMS[i], "content": str(trees[i])} for i in (0, 1)]
                        platforms += [{"platform": PLATFORMS[2 + k], "archive": str(a)} for k, a in enumerate(archives)]
                        matrix = {"schema": 1, "package": reg.host + "/bench/prebuilt", "tag": "1.0.0",
                                  "cascade": True, "metadata": str(self.meta), "output_dir": str(out),
                                  "platforms": platforms}
                        mf = self.work / "prebuilt-matrix.json"
                        mf.write_text(json.dumps(matrix))
                        cmd = self.ocx_with(None, "release", mf, "-q")
                    else:
                        cmd = ["sh", "-c", " & ".join("'%s' create '%s' -i bench:1.0.0 -p %s -m '%s' -o '%s' -f -q -j 1"
                                                      % (self.bin, trees[i], PLATFORMS[i], self.meta, out)
                                                      for i in (0, 1)) + "; wait"]
                    mark = reg.mark()
                    s = measure(cmd)
                    s.reqs, s.bytes_up = registry_counts(reg, mark)
                    results.setdefault(name, []).append(s)
            for a in archives:
                results.setdefault("xz -dc -T0 of the prebuilt archives, one after the other", []).append(
                    measure(xz_dc(a)))
        xz = results.pop("xz -dc -T0 of the prebuilt archives, one after the other")
        alone = med([s.wall for s in results[alone_name]])
        rel = med([s.wall for s in results[rel_name]])
        rows = [[name, spread([s.wall for s in ss]), "%.2f×" % (med([s.wall for s in ss]) / alone),
                 "%.2f" % med([s.cpu for s in ss]), "%.0f" % (med([s.rss_kib for s in ss]) / 1024),
                 "%.1f" % (med([s.bytes_up for s in ss]) / 1e6)] for name, ss in results.items()]
        walk_cpu = sum(med([s.cpu for s in xz[k::2]]) for k in (0, 1))
        cpu_floor = (med([s.cpu for s in results[alone_name]]) + walk_cpu) / os.cpu_count()
        rows.append(["floor: (cpu of the two creates + of decompressing both archives) / %d cores" % os.cpu_count(),
                     "%.2f" % cpu_floor, "%.2f×" % (cpu_floor / alone), "", "", ""])
        print_table("4c. release with two prebuilt archives never seen here (%s MB trees; archives %s MB, xz -6)"
                    % (", ".join("%.0f" % (tree_bytes(trees[i]) / 1e6) for i in (0, 1)),
                       ", ".join("%.1f" % (a.stat().st_size / 1e6) for a in archives)),
                    ["command", "wall s (min–max)", "× compression alone", "cpu s", "peak RSS MiB", "MB uploaded"],
                    rows,
                    ["the archives hold %.0f MB of gcc 12's files each (decompressing both: %.2f s of CPU); "
                     "%d run(s) interleaved, fresh registry and cache each; load before: %s"
                     % (big / 1e6, walk_cpu, runs, self.load0), "",
                     goal("release ≤ 1.1× its compression alone", rel / alone, 1.1)])

    # -- 4b. overlap ------------------------------------------------------------------------------
    def overlap(self):
        """The release of scenario 4 through a proxy that holds every blob-finishing PUT for a
        while (a slow link, without spending CPU): uploads that overlap the next platform's
        compression cost nothing until the last one."""
        from fault_proxy import FaultProxy, stall
        each = 6_000_000 if self.quick else 12_000_000
        trees = platform_trees(self.work / ("platforms-quick" if self.quick else "platforms"), each)
        delay = 1.0 if self.quick else 2.0
        out = self.work / "overlap-out"
        runs = self.args.runs or (1 if self.quick else 2)
        links = (("no delay", 0.0), ("every blob PUT held %.0f s" % delay, delay))
        walls: dict[str, list[float]] = {}
        held: dict[str, int] = {}
        for _ in range(runs):
            for label, seconds in links:
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                with fixtures.Registry() as reg, FaultProxy(reg.host) as proxy:
                    rule = None
                    if seconds:
                        rule = proxy.inject(stall(seconds), method="PUT", path=r"/blobs/uploads/.*digest=",
                                            times=10000)
                    matrix = {"schema": 1, "package": proxy.host + "/bench/release", "tag": "1.0.0",
                              "cascade": True, "metadata": str(self.meta), "output_dir": str(out),
                              "platforms": [{"platform": p, "content": str(t)} for p, t in zip(PLATFORMS, trees)]}
                    mf = self.work / "overlap-matrix.json"
                    mf.write_text(json.dumps(matrix))
                    s = measure(self.ocx("release", mf, "-q"))
                    walls.setdefault(label, []).append(s.wall)
                    held[label] = rule.fired if rule else 0
        rows = [[label, spread(walls[label]), "%d" % held[label], "%.1f" % (held[label] * seconds)]
                for label, seconds in links]
        extra = med(walls[links[1][0]]) - med(walls[links[0][0]])
        print_table("4b. overlap: the same release through a proxy that delays uploads",
                    ["link", "wall s (min–max)", "PUTs held", "seconds held in all"], rows,
                    ["through fault_proxy.FaultProxy (a stall before forwarding each PUT that completes a blob: "
                     "a slow link that costs no CPU); %d run(s) interleaved; %s MB trees; load before: %s"
                     % (runs, ", ".join("%.0f" % (tree_bytes(t) / 1e6) for t in trees), self.load0),
                     "the delays added %.2f s of the %.0f s held: uploads that run while other platforms compress are "
                     "hidden; what shows is the last platform's upload" % (extra, held[links[1][0]] * delay)])

    # -- 5. memory ----------------------------------------------------------------------------
    def memory(self):
        size = 256 * MiB if self.quick else 1024 * MiB
        ls = self.layer_set("big", size)
        rows = []
        push_rss = None
        for name in list(self.push_variants(ls, _Dummy(), "x").keys()):
            if name.startswith("curl (openssl"):
                continue
            with fixtures.Registry() as reg:
                s = measure(self.push_variants(ls, reg, "big")[name])
                if name == self.WALKED:
                    push_rss = s.rss_kib / 1024
                rows.append(["push: " + name, "%.2f" % s.wall, "%.2f" % s.cpu, "%.1f" % (s.rss_kib / 1024)])
        # The walk's decoder holds up to two xz blocks per thread pair: what a default-level bundle
        # (16 MiB blocks) costs, whatever its size.
        real = self.layer_set("real", tree=self.real_tree())
        with fixtures.Registry() as reg:
            s = measure(self.push_variants(real, reg, "real")[self.WALKED])
            real_rss = s.rss_kib / 1024
            rows.append(["push: %s — the %.1f MB default-level gcc bundle" % (self.WALKED, real["layer"].stat().st_size / 1e6),
                         "%.2f" % s.wall, "%.2f" % s.cpu, "%.1f" % real_rss])
        # A tree of zero-filled files: its content compresses fast, and the encoder's memory does not
        # depend on the content; what is measured is whether memory grows with the tree.
        # The zeros are written, not left as holes: GNU tar does not read a file with no allocated
        # blocks at all (it knows it is all zeros), which would time tar against reading.
        tree = self.work / ("written-zeros-%d" % (size // MiB))
        if not tree.exists():
            tmp = tree.with_name(tree.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            block = bytes(8 * MiB)
            for i in range(8):
                with open(tmp / ("part%d.bin" % i), "wb") as f:
                    for _ in range(size // 8 // len(block)):
                        f.write(block)
            tmp.rename(tree)
        out = self.work / "memory-out"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        s = measure(self.ocx("create", tree, "-i", "bench:1.0.0", "-p", "linux/amd64", "-m", self.meta, "-o", out,
                             "-f", "-q", "-l", "default", "-j", "0"))
        rows.append(["create: ocx-release create -l default -j 0", "%.2f" % s.wall, "%.2f" % s.cpu,
                     "%.1f" % (s.rss_kib / 1024)])
        s = measure(["sh", "-c", "tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - -C '%s' . | "
                     "xz -T0 -3 > '%s'" % (tree, out / "ref.tar.xz")])
        rows.append(["create: tar … \\| xz -T0 -3 (sum of both)", "%.2f" % s.wall, "%.2f" % s.cpu,
                     "%.1f" % (s.rss_kib / 1024)])
        print_table("5. memory: a %d MiB layer pushed, a %d MiB tree bundled" % (size // MiB, size // MiB),
                    ["command", "wall s", "cpu s", "peak RSS MiB"], rows,
                    ["one run each; the layer is a .tar.xz of random bytes (level fast: 4 MiB xz blocks); the tree is "
                     "8 files of written zeros (the encoder's memory does not depend on the content); load before: %s"
                     % self.load0, "",
                     goal("push peak RSS ≤ 64 MiB at %d MiB" % (size // MiB), push_rss, 64.0, "%.1f MiB"),
                     goal("push peak RSS ≤ 64 MiB for a default-level bundle (16 MiB xz blocks, any size)", real_rss,
                          64.0, "%.1f MiB")])


    # -- 5b. memory walking each xz preset ---------------------------------------------------------------
    def presets(self):
        """Peak RSS of a first push (the archive never seen here, so walked beside its upload) of the
        same 72 MiB of gcc 12's files compressed by xz at every preset, -0 to -9 and -9e, -T0 (blocks of
        3 × the dictionary, sizes in the block headers, as xz and the packaging tools write them). 72
        MiB is past -9's 64 MiB dictionary, so every preset's decoder fills its dictionary."""
        size = 24 * MiB if self.quick else 72 * MiB
        presets = ["-0", "-3", "-6", "-9"] if self.quick else ["-%d" % n for n in range(10)] + ["-9e"]
        rows = []
        worst = 0.0
        for p in presets:
            a = self.prebuilt_archive(0, size, p)
            with fixtures.Registry() as reg:
                s = measure(self.ocx_with(None, "push", "-n", "-p", "linux/amd64", "-m", self.meta, "-i",
                                          "%s/bench/presets:1.0.0" % reg.host, a))
            x = measure(xz_dc(a))
            rss = s.rss_kib / 1024
            worst = max(worst, rss)
            rows.append(["xz %s" % p, "%.1f" % (a.stat().st_size / 1e6), "%.2f" % s.wall, "%.2f" % x.wall,
                         "%.1f" % rss, "%.1f" % (x.rss_kib / 1024)])
        print_table("5b. memory: first push (walked) of %d MiB of gcc 12's files at every xz preset" % (size // MiB),
                    ["archive", "MB", "push wall s", "xz -dc -T0 wall s", "push peak RSS MiB", "xz -dc -T0 peak RSS MiB"],
                    rows,
                    ["one run each, fresh registry and cache; the archives are generated once (several minutes for "
                     "-7 to -9e; kept under OCX_BENCH_DIR); load before: %s" % self.load0, "",
                     goal("walking any preset ≤ 64 MiB peak RSS (the worst row)", worst, 64.0, "%.1f MiB")])


class _Dummy:
    """Stands in for a registry when only the variant names are wanted."""
    host = "127.0.0.1:1"
    url = "http://127.0.0.1:1"


def machine() -> str:
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024

    def version(cmd, pattern=None):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True).stdout
            line = out.splitlines()[0] if out else ""
            return line.strip()
        except OSError:
            return "not installed"

    lzma = "?"
    try:
        out = subprocess.run(["xz", "--version"], capture_output=True, text=True).stdout.splitlines()
        lzma = out[1] if len(out) > 1 else "?"
    except OSError:
        pass
    return "\n".join([
        "- machine: %d cores (%s), %d MiB RAM, %s %s" % (os.cpu_count(), cpu, mem, platform.system(), platform.release()),
        "- %s; %s; %s" % (version(["xz", "--version"]), lzma, version(["curl", "--version"])),
        "- %s; docker-registry %s" % (version(["skopeo", "--version"]),
                                      version([fixtures.REGISTRY_BIN, "--version"]).split()[-1]),
    ])


def main() -> int:
    ap = argparse.ArgumentParser(prog="bench.sh")
    ap.add_argument("scenarios", nargs="*", default=[])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=0)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    order = ["create", "push", "strategy", "slowlink", "repush", "release", "prebuilt", "overlap", "memory", "presets"]
    chosen = args.scenarios or [s for s in order if s != "strategy"]
    for s in chosen:
        if s not in order:
            print("bench: unknown scenario %r (choose from %s)" % (s, ", ".join(order)), file=sys.stderr)
            return 64
    start = time.monotonic()
    git = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                         text=True).stdout.strip()
    print("## ocx-release benchmarks%s\n" % (" (--quick)" if args.quick else ""))
    print(machine())
    print("- ocx-release %s (%s); load average at start: %s" % (git, args.bin, load()))
    bench = Bench(args)
    for s in order:
        if s in chosen:
            bench.load0 = load()
            getattr(bench, s)()
    print("\ntotal bench time %.0f s; load average at the end: %s" % (time.monotonic() - start, load()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
