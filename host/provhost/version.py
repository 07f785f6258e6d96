"""The version of the provhost tree this process runs from (one source: pyproject.toml).

Why read the file and not package metadata: a release is installed as a tree beside others,
each with a thin virtualenv pointing at it, and a git checkout is an editable install; in
both, the tree's own pyproject.toml is what was released (provhost release build reads the
same field).
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from provhost.paths import SOURCE_ROOT


def tree_version(root: Path) -> str:
    """The `[project] version` of the tree at `root`."""
    with (root / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


@functools.cache
def version() -> str:
    """This process's provhost version ("unknown" if the tree has no pyproject.toml)."""
    try:
        return tree_version(SOURCE_ROOT)
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"
