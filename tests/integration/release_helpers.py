"""Shared set-up for release integration tests: a small three-platform tool (two content
directories, one prebuilt archive made with `ocx-release create`), its metadata, and a matrix."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from fixtures import File, make_tree, registry_get, run

METADATA = {
    "type": "bundle",
    "version": 1,
    "env": [{"key": "PATH", "type": "path", "required": True, "value": "${installPath}/bin", "visibility": "public"}],
    "binaries": ["hello"],
}

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
ACCEPT = [INDEX, MANIFEST]


def hello_tree(root: Path, platform: str, version: str = "1.2.3") -> Path:
    return make_tree(root, {
        "bin": {"hello": File("#!/bin/sh\necho 'hello %s %s'\n" % (platform, version), 0o755)},
        "share": {"doc": {"README": "hello for %s\n" % platform}},
        "empty": {},
    })


def make_project(base: Path, package: str, tag: str = "1.2.3", version: str = "1.2.3", **matrix_extra) -> Path:
    """Writes content trees, a prebuilt linux/arm64 archive and release.json under `base`."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "metadata.json").write_text(json.dumps(METADATA))
    hello_tree(base / "build" / "linux-amd64", "linux/amd64", version)
    hello_tree(base / "build" / "darwin-arm64", "darwin/arm64", version)
    prebuilt_src = hello_tree(base / "build" / "linux-arm64", "linux/arm64", version)
    (base / "dist").mkdir(exist_ok=True)
    # The receipt names the package the archive is released to (a release refuses another's).
    name = package_name(package)
    run(["create", prebuilt_src, "-i", "%s:%s" % (name, tag), "-p", "linux/arm64", "-m", base / "metadata.json",
         "-o", base / "dist", "-f"], check=True)
    matrix = {
        "schema": 1,
        "package": package,
        "tag": tag,
        "cascade": True,
        "aliases": ["stable"],
        "metadata": "metadata.json",
        "annotations": {"org.opencontainers.image.source": "https://example.invalid/acme/hello"},
        "output_dir": "out/bundles",
        "platforms": [
            {"platform": "linux/amd64", "content": "build/linux-amd64"},
            {"platform": "linux/arm64", "archive": "dist/%s-%s-linux-arm64.tar.xz" % (name, tag)},
            {"platform": "darwin/arm64", "content": "build/darwin-arm64"},
        ],
    }
    matrix.update(matrix_extra)
    path = base / "release.json"
    path.write_text(json.dumps(matrix, indent=2))
    return path


def package_name(package: str) -> str:
    """The package's last path segment ("registry.example/acme/hello" -> "hello")."""
    last = package.rstrip("/").split("/")[-1]
    return last[len("oci:"):] if last.startswith("oci:") else last


def tags_of(registry, repo: str) -> list[str]:
    r = registry_get(registry.url, "/v2/%s/tags/list" % repo)
    if r.status == 404:
        return []
    assert r.status == 200, r
    return sorted(r.json().get("tags") or [])


def manifest_at(registry, repo: str, ref: str):
    """(bytes, content-type) of the manifest/index at a tag or digest, or (None, None)."""
    r = registry_get(registry.url, "/v2/%s/manifests/%s" % (repo, ref), accept=ACCEPT)
    if r.status == 404:
        return None, None
    assert r.status == 200, r
    return r.body, r.headers.get("content-type")


def tag_digests(registry, repo: str) -> dict:
    import hashlib
    out = {}
    for t in tags_of(registry, repo):
        body, _ = manifest_at(registry, repo, t)
        out[t] = "sha256:" + hashlib.sha256(body).hexdigest()
    return out


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="ocx-release-it-"))


def big_layer(directory: Path, size: int) -> Path:
    """A real, valid layer of about `size` bytes, made fast: a tar holding one file of zeros,
    gzip'ed at level 0 (stored blocks), so writing it costs I/O, not compression. push checks
    every archive it publishes (bundle/check.hpp), so a layer must be a real archive."""
    import tarfile
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    payload = directory / "payload.bin"
    with open(payload, "wb") as f:
        f.truncate(size)
    path = directory / "big-1.0.0-linux-amd64.tar.gz"
    with tarfile.open(path, "w:gz", compresslevel=0) as t:
        t.add(payload, arcname="data/payload.bin")
    payload.unlink()
    (directory / "big-1.0.0-linux-amd64-metadata.json").write_text(json.dumps(METADATA))
    return path
