"""The signed release index: exactly the module repositories' index format (repo/index.py).

A release directory (or URL) holds `index.json`, its Ed25519 signature `index.json.sig` and
the release zips it lists, flat.  Each entry is an ordinary index entry with id `provhost`:
version, size, SHA-256 and file name of the zip; `min_provhost` is the oldest version that
may upgrade to it directly.  The same rules as for module repositories apply before it is
trusted (repo/index.verify): signature by the trusted release key, not expired, serial never
below the highest one seen (recorded in the store as for repositories, under the source
name `release:<location>`).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from provhost.moduleformat.info import compare_versions, version_key
from provhost.repo.index import (
    INDEX_FILE,
    SIGNATURE_SUFFIX,
    IndexEntry,
    IndexRefused,
    RepoIndex,
    decode,
    encode,
    sign,
)
from provhost.signing import load_private_key

RELEASE_ID = "provhost"
REPOSITORY = "provhost-releases"


def publish(out_dir: Path, zip_path: Path, version: str, private_pem: bytes, *,
            channel: str = "stable", expires_days: float = 30.0, serial: int | None = None,
            min_version: str = "0", now: float | None = None) -> RepoIndex:
    """Add (or replace) `version` in the index of `out_dir` and sign it with a new serial."""
    now = time.time() if now is None else now
    data = zip_path.read_bytes()
    entry = IndexEntry(id=RELEASE_ID, version=version, name="provhost",
                       description=f"provhost {version}", phone_types=[], size=len(data),
                       sha256=hashlib.sha256(data).hexdigest(), file=zip_path.name,
                       min_provhost=min_version)
    old: RepoIndex | None = None
    if (out_dir / INDEX_FILE).is_file():
        try:
            old = decode((out_dir / INDEX_FILE).read_bytes(), str(out_dir))
        except IndexRefused:
            old = None
    entries = [e for e in (old.modules if old else []) if e.version != version] + [entry]
    entries.sort(key=lambda e: version_key(e.version))
    index = RepoIndex(repository=REPOSITORY, channel=channel,
                      serial=serial if serial is not None else (old.serial + 1 if old else 1),
                      expires=now + expires_days * 86400, generated=now, modules=entries)
    body = encode(index)
    (out_dir / INDEX_FILE).write_bytes(body)
    (out_dir / (INDEX_FILE + SIGNATURE_SUFFIX)).write_bytes(
        sign(body, load_private_key(private_pem)))
    return index


def newest(index: RepoIndex) -> IndexEntry:
    """The newest release the index lists."""
    entries = index.entries(RELEASE_ID)
    if not entries:
        raise IndexRefused(f"{index.repository}: the index lists no provhost release")
    best = entries[0]
    for e in entries[1:]:
        if compare_versions(e.version, best.version) > 0:
            best = e
    return best


def describe(index: RepoIndex) -> str:
    return json.dumps({"serial": index.serial, "channel": index.channel,
                       "releases": [e.version for e in index.entries(RELEASE_ID)]})
