"""Release zips: built reproducibly from a tree, unpacked only when every member is safe."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from provhost.release.artifact import ArtifactError, build_zip, tree_files, unpack


def _tree(root: Path, version: str = "1.2.3") -> Path:
    (root / "host" / "provhost").mkdir(parents=True)
    (root / "host" / "provhost" / "cli.py").write_text("# cli\n")
    (root / "pyproject.toml").write_text(f'[project]\nname = "provhost"\nversion = "{version}"\n')
    script = root / "post-upgrade.d" / "50-x"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    (root / ".venv").mkdir()
    (root / ".venv" / "junk").write_text("not released")
    (root / "sandbox" / "worker").mkdir(parents=True)
    (root / "sandbox" / "worker" / "phpworker").write_bytes(b"\x7fELF built product")
    return root


def test_build_is_reproducible_skips_build_products_and_keeps_exec_bits(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree")
    assert tree_files(tree) == ["host/provhost/cli.py", "post-upgrade.d/50-x", "pyproject.toml"]
    version, first = build_zip(tree, tmp_path / "a")
    _, second = build_zip(tree, tmp_path / "b")
    assert version == "1.2.3" and first.read_bytes() == second.read_bytes()
    assert unpack(first, tmp_path / "out") == "1.2.3"
    assert (tmp_path / "out" / "post-upgrade.d" / "50-x").stat().st_mode & 0o111
    assert not (tmp_path / "out" / "pyproject.toml").stat().st_mode & 0o111


def _zip(path: Path, members: list[tuple[str, bytes, int]]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            z.writestr(info, data)
    return path


PYPROJECT = b'[project]\nversion = "1.0"\n'


@pytest.mark.parametrize("name,mode,reason", [
    ("provhost-1.0/../../escape", 0o100644, "unsafe member name"),
    ("/etc/passwd", 0o100644, "top directory"),
    ("provhost-1.0/link", 0o120777, "not a plain file"),
])
def test_hostile_members_are_refused(tmp_path: Path, name: str, mode: int, reason: str) -> None:
    z = _zip(tmp_path / "r.zip", [("provhost-1.0/pyproject.toml", PYPROJECT, 0o100644),
                                  (name, b"x", mode)])
    with pytest.raises(ArtifactError, match=reason):
        unpack(z, tmp_path / "out")
    assert not (tmp_path / "escape").exists()


def test_top_directory_must_match_the_version_inside(tmp_path: Path) -> None:
    z = _zip(tmp_path / "r.zip", [("provhost-9.9/pyproject.toml", PYPROJECT, 0o100644)])
    with pytest.raises(ArtifactError, match="does not match"):
        unpack(z, tmp_path / "out")
