#!/usr/bin/env bash
# Benchmark `ocx-release create` against the classic deterministic pipeline
#   tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - . | xz -T<j> -<preset>
# on one tree, per level and thread count. Prints wall time, CPU time (user+sys), peak RSS (sum over
# the command's processes, sampled) and output size, then our/reference ratios. Never asserts:
# numbers are for people.
#
# usage: scripts/bench_create.sh TREE [-l LEVEL]... [-j THREADS]... [-r REPEAT]
#   LEVEL: fast | default | best (xz presets 0, 3, 9); default: default
#   THREADS: 0 = all cores; default: 1 and 0
#   REPEAT: runs per cell, the fastest wall time is kept (default 1)
#   OCX_RELEASE_BIN: the binary (default: build/ocx-release, then ocx-release on PATH)
set -euo pipefail

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }

[[ $# -ge 1 ]] || usage
tree=$1; shift
[[ -d $tree || -f $tree ]] || { echo "bench_create: no such tree: $tree" >&2; exit 66; }
levels=(); threads=(); repeat=1
while getopts "l:j:r:h" opt; do
  case $opt in
    l) levels+=("$OPTARG") ;;
    j) threads+=("$OPTARG") ;;
    r) repeat=$OPTARG ;;
    *) usage ;;
  esac
done
[[ ${#levels[@]} -gt 0 ]] || levels=(default)
[[ ${#threads[@]} -gt 0 ]] || threads=(1 0)

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${OCX_RELEASE_BIN:-}
if [[ -z $bin ]]; then
  if [[ -x $root/build/ocx-release ]]; then bin=$root/build/ocx-release; else bin=$(command -v ocx-release || true); fi
fi
[[ -n $bin && -x $bin ]] || { echo "bench_create: ocx-release not found (build it or set OCX_RELEASE_BIN)" >&2; exit 69; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bench_create.XXXXXX")
trap 'rm -rf "$work"' EXIT

tree=$(cd "$(dirname "$tree")" && pwd)/$(basename "$tree")
if [[ -d $tree ]]; then tar_dir=$tree; tar_member=.; else tar_dir=$(dirname "$tree"); tar_member=$(basename "$tree"); fi
# Warm the page cache so the first command measured does not pay for the disk alone.
tar -cf /dev/null -C "$tar_dir" "$tar_member"

preset_of() { case $1 in fast) echo 0 ;; default) echo 3 ;; best) echo 9 ;; *) echo "bench_create: bad level $1" >&2; exit 64 ;; esac; }

# measure OUTPUT_FILE CMD: runs CMD with sh, prints "wall cpu rss_kib size sha256" (best wall of $repeat).
# CPU comes from wait4 (the shell and every process it reaped). Peak RSS is the sum over the command's
# processes of each one's VmHWM, sampled every 10 ms: wait4's ru_maxrss cannot be used because a child
# forked from Python reports Python's own resident size as its floor.
measure() {
  OCX_SOURCE_ROOT=$root python3 - "$repeat" "$@" <<'PY'
import hashlib, os, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ["OCX_SOURCE_ROOT"], "tests", "integration"))
from fixtures import vm_hwm_kib as hwm_kib  # noqa: E402

def descendants(root):
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parent[int(entry)] = int(fields[1])
            except OSError:
                pass
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo.extend(child for child, ppid in parent.items() if ppid == pid and child not in found)
    return found

repeat, output, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3]
best = None
for _ in range(repeat):
    out_dir = os.path.dirname(output)
    for name in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, name))
    peaks = {}
    start = time.monotonic()
    proc = subprocess.Popen(["sh", "-c", cmd])
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            break
        for p in descendants(proc.pid):
            peaks[p] = max(peaks.get(p, 0), hwm_kib(p))
        time.sleep(0.01)
    wall = time.monotonic() - start
    if status != 0:
        sys.exit(f"bench_create: command failed ({status}): {cmd}")
    row = (wall, usage.ru_utime + usage.ru_stime, sum(peaks.values()))
    if best is None or row[0] < best[0]:
        best = row
h = hashlib.sha256()
with open(output, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
print(f"{best[0]:.2f} {best[1]:.2f} {best[2]} {os.path.getsize(output)} {h.hexdigest()[:12]}")
PY
}

input_bytes=$(du -sb --apparent-size "$tree" | cut -f1)
printf 'tree: %s (%s bytes of files)\nbinary: %s\nmachine: %s cores, %s\n\n' "$tree" "$input_bytes" "$bin" "$(nproc)" "$(xz --version | head -1)"
printf '%-8s %-8s %3s %9s %9s %10s %13s %8s  %s\n' level tool -j "wall s" "cpu s" "rss MiB" "size B" "size %" sha256
for level in "${levels[@]}"; do
  preset=$(preset_of "$level")
  for j in "${threads[@]}"; do
    mkdir -p "$work/ocx" "$work/ref"
    ours=$(measure "$work/ocx/out.tar.xz" \
      "'$bin' create '$tree' -i bench:1.0.0 -p linux/amd64 -o '$work/ocx' -l $level -j $j -f >/dev/null 2>&1 && mv '$work/ocx/'*.tar.xz '$work/ocx/out.tar.xz'")
    ref=$(measure "$work/ref/out.tar.xz" \
      "tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - -C '$tar_dir' '$tar_member' | xz -T$j -$preset > '$work/ref/out.tar.xz'")
    awk -v level="$level" -v j="$j" -v ours="$ours" -v ref="$ref" 'BEGIN {
      split(ours, o, " "); split(ref, r, " ")
      fmt = "%-8s %-8s %3s %9.2f %9.2f %10.1f %13d %8s  %s\n"
      printf fmt, level, "ocx", j, o[1], o[2], o[3] / 1024, o[4], "", o[5]
      printf fmt, level, "tar+xz", j, r[1], r[2], r[3] / 1024, r[4], "", r[5]
      printf "%-8s %-8s %3s %9.2f %9.2f %10.2f %13s %+7.2f%%\n", level, "ratio", j,
             o[1] / r[1], o[2] / r[2], o[3] / r[3], "", (o[4] - r[4]) * 100 / r[4]
    }'
    rm -rf "$work/ocx" "$work/ref"
  done
done
printf '\nratio = ocx / tar+xz (wall, cpu, rss); size %% = how much larger our bundle is. Our sha256 column\nshould be the same for every -j of a level; the reference changes with -j (xz -T1 writes one block).\n'
