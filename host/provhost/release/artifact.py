"""A release artifact: one zip of a provhost tree (code, bundled modules, shim, sandbox
sources, migrations, pre-upgrade.d/ and post-upgrade.d/), built and unpacked safely.

What goes in: the tracked files of a git checkout (`git ls-files`), or, outside git, every
file but build products and local state (.venv, data, caches, the built worker and
php.wasm: those are built, or reused by hash, when a release is installed).  Unpacking
refuses absolute names, `..`, links and oversized archives, and keeps executable bits (the
upgrade scripts must stay runnable).
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path, PurePosixPath

from provhost.version import tree_version

MAX_RELEASE_ZIP = 512 * 1024 * 1024
MAX_UNPACKED = 2 * 1024 * 1024 * 1024
_SKIP_DIRS = {".git", ".venv", "data", "__pycache__", ".pytest_cache", ".ruff_cache",
              "provhost.egg-info", "build", ".hypothesis"}
_SKIP_FILES = {"sandbox/worker/phpworker"}
_FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # reproducible zips: same tree, same bytes


class ArtifactError(Exception):
    """The tree or archive cannot be used; the message says why."""


def release_file_name(version: str) -> str:
    return f"provhost-{version}.zip"


def tree_files(root: Path) -> list[str]:
    """Relative POSIX names of the files that make up the release of `root`."""
    if (root / ".git").exists():
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached",
                              "--others", "--exclude-standard"], capture_output=True,
                             check=False)
        if out.returncode == 0:
            names = [n for n in out.stdout.decode().split("\0") if n]
            return sorted(n for n in names if (root / n).is_file()
                          and not (root / n).is_symlink() and _wanted(n))
    names = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
        for f in filenames:
            rel = (Path(dirpath) / f).relative_to(root).as_posix()
            if _wanted(rel) and not (Path(dirpath) / f).is_symlink():
                names.append(rel)
    return sorted(names)


def _wanted(rel: str) -> bool:
    parts = PurePosixPath(rel).parts
    if rel in _SKIP_FILES or any(p in _SKIP_DIRS for p in parts[:-1]):
        return False
    return not rel.endswith((".pyc", ".o", ".so"))


def build_zip(root: Path, out_dir: Path) -> tuple[str, Path]:
    """Zip the tree at `root` into `out_dir`; return (version, path)."""
    version = tree_version(root)
    if not (root / "host" / "provhost" / "cli.py").is_file():
        raise ArtifactError(f"{root} is not a provhost tree (no host/provhost/cli.py)")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / release_file_name(version)
    part = target.with_suffix(".zip.part")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for rel in tree_files(root):
            src = root / rel
            info = zipfile.ZipInfo(f"provhost-{version}/{rel}", _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if os.access(src, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            z.writestr(info, src.read_bytes())
    part.replace(target)
    return version, target


def unpack(zip_path: Path, dest: Path) -> str:
    """Extract a release zip into the new directory `dest`; return its version."""
    try:
        z = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        raise ArtifactError(f"{zip_path.name}: not a zip file") from None
    with z:
        infos = z.infolist()
        if sum(i.file_size for i in infos) > MAX_UNPACKED:
            raise ArtifactError(f"{zip_path.name}: unpacks to more than {MAX_UNPACKED} bytes")
        tops = {PurePosixPath(i.filename).parts[0] for i in infos if i.filename}
        if len(tops) != 1:
            raise ArtifactError(f"{zip_path.name}: expected one top directory, got {len(tops)}")
        top = tops.pop()
        dest.mkdir(parents=True)
        for info in infos:
            name = PurePosixPath(info.filename)
            rel = PurePosixPath(*name.parts[1:])
            if name.is_absolute() or ".." in name.parts or not rel.parts:
                if not rel.parts and info.is_dir():
                    continue
                raise ArtifactError(f"{zip_path.name}: unsafe member name {info.filename!r}")
            mode = (info.external_attr >> 16) & 0o170777
            if mode and (mode & 0o170000) not in (0, 0o100000, 0o040000):
                raise ArtifactError(f"{zip_path.name}: {info.filename} is not a plain file")
            target = dest / rel.as_posix()
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with z.open(info) as src, target.open("wb") as out:
                while chunk := src.read(1 << 16):
                    out.write(chunk)
            target.chmod(0o755 if mode & 0o111 else 0o644)
    version = tree_version(dest)
    if top != f"provhost-{version}":
        raise ArtifactError(f"{zip_path.name}: top directory {top!r} does not match the "
                            f"tree's version {version}")
    return version
