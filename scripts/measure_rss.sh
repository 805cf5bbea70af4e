#!/usr/bin/env bash
# Peak memory of pushing one big layer: starts a throwaway docker-registry on 127.0.0.1, makes a
# sparse SIZE file named as a .tar.xz (hashing and uploading read every byte all the same), pushes
# it monolithically and in chunks, and prints each run's peak RSS (wait4's ru_maxrss) and time.
# A measurement, not a test: tests/integration/test_resources.py holds the bounded assertion.
#   scripts/measure_rss.sh [SIZE_MIB]      default 2048 (2 GiB); needs SIZE of free disk twice
# Uses $OCX_RELEASE_BIN, else build/ocx-release (run scripts/build.sh or ninja -C build first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size_mib=${1:-2048}
export OCX_RELEASE_BIN=${OCX_RELEASE_BIN:-$root/build/ocx-release}
[ -x "$OCX_RELEASE_BIN" ] || { echo "measure_rss: no binary at $OCX_RELEASE_BIN" >&2; exit 1; }

cd "$root/tests/integration"
PYTHONDONTWRITEBYTECODE=1 python3 - "$size_mib" <<'PY'
import json, os, shutil, subprocess, sys, tempfile, time
from fixtures import Registry, hermetic_env, release_bin
from release_helpers import METADATA

size = int(sys.argv[1]) << 20
work = tempfile.mkdtemp(prefix="ocx-rss-")
try:
    archive = os.path.join(work, "big-1.0.0-linux-amd64.tar.xz")
    with open(archive, "wb") as f:
        f.truncate(size)
    with open(os.path.join(work, "big-1.0.0-linux-amd64-metadata.json"), "w") as f:
        json.dump(METADATA, f)
    print("%-24s %10s %12s %9s" % ("run", "layer MiB", "peak RSS MiB", "seconds"))
    with Registry() as reg:
        for name, extra in (("push monolithic", []), ("push chunked 8M", ["--chunk-size", "8M"]),
                            ("push again (all HEAD)", [])):
            repo = "rss/" + name.split()[1]
            if name.startswith("push again"):
                repo = "rss/monolithic"
            start = time.monotonic()
            proc = subprocess.Popen([release_bin(), "push", archive, "-i", "%s/%s:1.0.0" % (reg.host, repo),
                                     "-p", "linux/amd64", *extra], env=hermetic_env(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(proc.pid, 0)
            code = os.waitstatus_to_exitcode(status)
            err = proc.stderr.read().decode(errors="replace")
            if code != 0:
                print("%s failed (exit %d):\n%s" % (name, code, err), file=sys.stderr)
                sys.exit(1)
            print("%-24s %10d %12.1f %9.1f" % (name, size >> 20, usage.ru_maxrss / 1024, time.monotonic() - start))
finally:
    shutil.rmtree(work, ignore_errors=True)
PY
