"""The upgrade journal and history on disk, in the data directory's `upgrade/`.

`journal.json` is the state machine's journal of the upgrade in progress, replaced
atomically (write, fsync, rename, fsync the directory) after every event, so a kill -9 at
any instant leaves either the previous or the next journal, never a torn one.  When an
upgrade ends, its journal moves into `history.jsonl` (one JSON record per upgrade) and its
readable log stays as `<id>.log`.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from provhost.release.machine import Journal

JOURNAL = "journal.json"
HISTORY = "history.jsonl"


def upgrade_dir(data_dir: Path) -> Path:
    d = data_dir / "upgrade"
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    return d


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def save(data_dir: Path, j: Journal) -> None:
    _write_atomic(upgrade_dir(data_dir) / JOURNAL,
                  json.dumps(j.to_json(), indent=1, sort_keys=True).encode() + b"\n")


def load(data_dir: Path) -> Journal | None:
    """The journal of an unfinished upgrade, if any."""
    path = data_dir / "upgrade" / JOURNAL
    if not path.is_file():
        return None
    return Journal.from_json(json.loads(path.read_text()))


def log_path(data_dir: Path, upgrade_id: str) -> Path:
    return upgrade_dir(data_dir) / f"{upgrade_id}.log"


def log_line(data_dir: Path, upgrade_id: str, text: str) -> None:
    """Append to the upgrade's readable log (timestamped)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with log_path(data_dir, upgrade_id).open("a") as f:
        for line in text.rstrip("\n").splitlines() or [""]:
            f.write(f"{stamp} {line}\n")


def close(data_dir: Path, j: Journal, record: dict[str, Any]) -> None:
    """The upgrade ended: append its record to the history, then drop the journal."""
    d = upgrade_dir(data_dir)
    with (d / HISTORY).open("a") as f:
        f.write(json.dumps({**j.to_json(), **record}, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    (d / JOURNAL).unlink(missing_ok=True)


def history(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / "upgrade" / HISTORY
    if not path.is_file():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # a torn last line after a crash: skip it, keep the rest
    return out
