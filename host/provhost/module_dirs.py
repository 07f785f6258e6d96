"""Installed module directories stay on disk until no worker anywhere uses them.

Every installed version of an add-on lives in its own directory under modules/ (the name
carries id, version and install time), so an upgrade never changes files a running worker
reads.  Each process that runs a module holds a *shared* flock on that directory's lock
file (modules/.locks/<dir>.lock) for as long as its pool is open; the collector removes a
directory only when the store no longer names it and it can take the lock *exclusively*
(nobody, in any process, is using it).  Bundled modules and modules in development live
elsewhere and are never collected.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from pathlib import Path
from typing import IO

from provhost.paths import Paths
from provhost.store.base import Store

log = logging.getLogger("provhost.modules")
LOCKS = ".locks"


def _lock_file(paths: Paths, directory: Path) -> Path | None:
    try:
        directory.resolve().relative_to(paths.addons_dir.resolve())
    except ValueError:
        return None  # bundled or elsewhere: never collected, nothing to hold
    locks = paths.addons_dir / LOCKS
    locks.mkdir(mode=0o700, exist_ok=True)
    return locks / f"{directory.name}.lock"


def hold(paths: Paths, directory: Path) -> IO[bytes] | None:
    """A shared lock on an installed module directory; close the file to release it."""
    lock = _lock_file(paths, directory)
    if lock is None:
        return None
    f = open(lock, "ab")  # noqa: SIM115 (held open on purpose)
    fcntl.flock(f.fileno(), fcntl.LOCK_SH)
    return f


def collect(paths: Paths, store: Store) -> list[str]:
    """Remove module directories the store does not name and no process uses."""
    root = paths.addons_dir
    if not root.is_dir():
        return []
    referenced = {os.path.realpath(s.path) for s in store.list_modules()}
    removed = []
    for d in sorted(root.iterdir()):
        if not d.is_dir() or d.name.startswith(".") or os.path.realpath(d) in referenced:
            continue
        lock = _lock_file(paths, d)
        assert lock is not None
        with open(lock, "ab") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a worker somewhere still mounts it
            shutil.rmtree(d, ignore_errors=True)
        lock.unlink(missing_ok=True)
        removed.append(d.name)
        log.info("removed the files of %s (no longer installed, no longer in use)", d.name)
    return removed
