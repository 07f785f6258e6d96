"""The installed layout of a production install, and installing one release into it.

    PREFIX/releases/<version>/        one release tree each, side by side
    PREFIX/releases/<version>/venv/   its own virtualenv (bin/provhost)
    PREFIX/current -> releases/<v>    what `provhost serve` (the systemd unit) runs
    DATA (elsewhere, e.g. /var/lib/provhost)   the store, modules, firmware, upgrade journal

A release's virtualenv is thin: it puts the release's own `host/` and `sandbox/` first on
the path and reuses the dependency directories of the release it replaces when the
dependency list is unchanged (`provhost-deps.txt` names them); otherwise pip installs
them.  The sandboxed worker is rebuilt only when its sources changed, and php.wasm is
reused by its recipe hash (a full build takes minutes): both are copied from the release
being replaced when they match.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import site
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from provhost.paths import SOURCE_ROOT

DEPS_FILE = "provhost-deps.txt"
INSTALLED_STAMP = ".provhost-installed"
_WASM_KEEP = ("php.wasm", "php.json", "recipe.sha256", "php.cwasm", "php.cwasm.stamp")


class LayoutError(Exception):
    """The prefix or a release in it is not usable; the message says why."""


@dataclass(frozen=True)
class Layout:
    prefix: Path

    @property
    def releases(self) -> Path:
        return self.prefix / "releases"

    @property
    def current(self) -> Path:
        return self.prefix / "current"

    def release_dir(self, version: str) -> Path:
        return self.releases / version

    def bin(self, version: str) -> Path:
        return self.release_dir(version) / "venv" / "bin" / "provhost"

    def current_version(self) -> str | None:
        """The version `current` points at (None: not an installed prefix yet)."""
        try:
            return os.readlink(self.current).rstrip("/").rsplit("/", 1)[-1]
        except OSError:
            return None

    def installed(self) -> list[str]:
        if not self.releases.is_dir():
            return []
        return sorted(d.name for d in self.releases.iterdir()
                      if (d / INSTALLED_STAMP).is_file())

    def switch(self, version: str) -> None:
        """Point `current` at `version` atomically (a new link renamed over the old)."""
        if not self.release_dir(version).is_dir():
            raise LayoutError(f"release {version} is not installed under {self.releases}")
        tmp = self.prefix / ".current.new"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(Path("releases") / version)
        tmp.replace(self.current)
        _fsync_dir(self.prefix)


def detect_prefix() -> Path | None:
    """The prefix this process was installed in, if it runs from PREFIX/releases/<v>."""
    if SOURCE_ROOT.parent.name == "releases":
        return SOURCE_ROOT.parent.parent
    return None


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _dependencies(tree: Path) -> list[str]:
    with (tree / "pyproject.toml").open("rb") as f:
        return list(tomllib.load(f)["project"].get("dependencies", []))


def running_deps_dirs() -> list[str]:
    """The dependency directories of this interpreter (a release venv records them)."""
    recorded = Path(sys.prefix) / DEPS_FILE
    if recorded.is_file():
        return [ln for ln in recorded.read_text().splitlines() if ln.strip()]
    return [p for p in site.getsitepackages() if Path(p).is_dir()]


def base_python() -> str:
    """The interpreter virtualenvs are made from (not this venv's own python)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def make_venv(release: Path, deps_dirs: list[str] | None, *,
              old_tree: Path | None = None) -> Path:
    """Create `release/venv`; reuse `deps_dirs` when the dependency list did not change."""
    venv = release / "venv"
    reuse = deps_dirs is not None and (old_tree is None
                                        or _dependencies(old_tree) == _dependencies(release))
    cmd = [base_python(), "-m", "venv"] + (["--without-pip"] if reuse else []) + [str(venv)]
    subprocess.run(cmd, check=True, capture_output=True)
    python = venv / "bin" / "python"
    site_dir = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    own = [str(release / "host"), str(release / "sandbox")]
    if reuse:
        assert deps_dirs is not None
        (venv / DEPS_FILE).write_text("".join(d + "\n" for d in deps_dirs))
        (site_dir / "provhost-release.pth").write_text("".join(p + "\n" for p in own + deps_dirs))
    else:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *_dependencies(release)],
                       check=True, capture_output=True)
        (venv / DEPS_FILE).write_text(str(site_dir) + "\n")
        (site_dir / "provhost-release.pth").write_text("".join(p + "\n" for p in own))
    script = venv / "bin" / "provhost"
    script.write_text(f"#!{python}\nimport sys\n\nfrom provhost.cli import main\n\n"
                      "sys.exit(main())\n")
    script.chmod(0o755)
    return venv


def build_worker(release: Path, old_tree: Path | None) -> str:
    """The sandboxed PHP worker: copied when its sources are unchanged, else `make`."""
    new_w, old_w = release / "sandbox" / "worker", (old_tree / "sandbox" / "worker"
                                                    if old_tree else None)
    if old_w is not None and (old_w / "phpworker").is_file() and all(
            (old_w / n).is_file() and (old_w / n).read_bytes() == (new_w / n).read_bytes()
            for n in ("phpworker.c", "Makefile")):
        shutil.copy2(old_w / "phpworker", new_w / "phpworker")
        os.utime(new_w / "phpworker")  # newer than its sources: make sees it current
        return "reused"
    subprocess.run(["make", "-s", "-C", str(new_w)], check=True, capture_output=True)
    return "built"


def wasm_recipe_key(tree: Path) -> str:
    """php.wasm's cache key, computed by the tree's own recipe (sandbox/wasm/build.py)."""
    spec = importlib.util.spec_from_file_location(
        f"provhost_wasm_recipe_{abs(hash(str(tree)))}", tree / "sandbox" / "wasm" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.recipe_key())


def place_wasm(release: Path, candidates: list[Path]) -> str:
    """Copy a php.wasm built from the same recipe (by hash) into the release; else build."""
    key = wasm_recipe_key(release)
    build = release / "sandbox" / "wasm" / "build"
    for tree in candidates:
        old = tree / "sandbox" / "wasm" / "build"
        stamp = old / "recipe.sha256"
        if (old / "php.wasm").is_file() and stamp.is_file() and stamp.read_text().strip() == key:
            build.mkdir(parents=True, exist_ok=True)
            for name in _WASM_KEEP:
                if (old / name).is_file():
                    shutil.copy2(old / name, build / name)
            return "reused"
    subprocess.run([str(release / "venv" / "bin" / "python"),
                    str(release / "sandbox" / "wasm" / "build.py")], check=True,
                   capture_output=True)
    return "built"


def finish_install(release: Path, old_tree: Path | None) -> dict[str, str]:
    """Worker and php.wasm for an unpacked release with its venv; then mark it installed."""
    candidates = [t for t in (old_tree, SOURCE_ROOT) if t is not None]
    done = {"worker": build_worker(release, old_tree),
            "php.wasm": place_wasm(release, candidates)}
    (release / INSTALLED_STAMP).write_text("ok\n")
    return done
