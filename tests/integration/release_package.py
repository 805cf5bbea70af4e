"""The release package of this machine's platform, built by scripts/package.sh once per test run.

Every test that needs the package calls `built_package()`. The build directory (build-dist/ in
the source tree, or $OCX_PACKAGE_BUILD_DIR) is shared and kept between runs, so only the first
run pays for the Release build; a file lock keeps two test processes (ctest -j 2) from building
in it at once. Each process gets its own output directory.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from schemas import SOURCE_DIR

PACKAGE_SH = SOURCE_DIR / "scripts" / "package.sh"


def version() -> str:
    return (SOURCE_DIR / "VERSION").read_text().splitlines()[0].strip()


def os_arch() -> tuple[str, str]:
    """(os, arch) as package.sh names them, from Python's own view of the machine."""
    system = {"Linux": "linux", "Darwin": "darwin"}[platform.system()]
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
    return system, arch


def asset_name() -> str:
    system, arch = os_arch()
    return "ocx-release-%s-%s-%s.tar.gz" % (version(), system, arch)


def build_dir() -> Path:
    return Path(os.environ.get("OCX_PACKAGE_BUILD_DIR") or SOURCE_DIR / "build-dist")


@dataclass
class Package:
    dist: Path      # the output directory: the archive and its .sha256
    asset: Path     # dist/ocx-release-<version>-<os>-<arch>.tar.gz
    stdout: str
    stderr: str


def run_package_sh(out_dir: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """scripts/package.sh into out_dir, holding the build directory's lock."""
    bdir = build_dir()
    bdir.mkdir(parents=True, exist_ok=True)
    e = dict(os.environ, OCX_PACKAGE_BUILD_DIR=str(bdir), OCX_PACKAGE_OUT=str(out_dir))
    e.update(env or {})
    with open(bdir / ".package.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return subprocess.run(["bash", str(PACKAGE_SH)], cwd=SOURCE_DIR, env=e, capture_output=True, text=True,
                              timeout=1800)


_built: Package | None = None


def built_package() -> Package:
    """The package, built on first use in this process (AssertionError with package.sh's output
    when it fails)."""
    global _built
    if _built is None:
        out = Path(tempfile.mkdtemp(prefix="ocx-dist-"))
        atexit.register(shutil.rmtree, out, True)
        r = run_package_sh(out)
        if r.returncode != 0:
            raise AssertionError("scripts/package.sh failed (exit %d):\n%s%s" % (r.returncode, r.stdout, r.stderr))
        asset = Path(r.stdout.strip().splitlines()[-1])
        _built = Package(out, asset, r.stdout, r.stderr)
    return _built
