"""The server's side of a repository: update the list, search it, install and upgrade from it.

Settings: MODULE_REPOSITORY (an http(s) URL or a directory), MODULE_CHANNEL (stable,
testing, archive), MODULE_REPOSITORY_KEY (the trusted key that must sign the index),
MODULE_CACHE (reuse downloaded zips).  `update` fetches and verifies the channel's index
(repo/index.py: signature, expiry, serial never going back) and keeps it in the data
directory; `search`, `install` and `upgrade` work from that copy.  A zip is downloaded with
the same bounded fetch as firmware, must match the index's size and SHA-256, and is then
installed through the service exactly as `provhost module install FILE` (so the module
signature check applies as for any module).  Every refusal is one line naming the
repository, the module and the reason; installed modules are untouched by any failure.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import trio

from provhost.download import DownloadError, DownloadLimits, fetch_file, fetch_url, is_url
from provhost.moduleformat.info import compare_versions
from provhost.repo.index import (
    INDEX_FILE,
    MAX_INDEX_SIZE,
    SIGNATURE_SUFFIX,
    IndexEntry,
    IndexRefused,
    RepoIndex,
    Seen,
    channel_dir,
    decode,
    verify,
)
from provhost.service import Service, ServiceError

log = logging.getLogger("provhost.repo")

MAX_MODULE_ZIP = 64 * 1024 * 1024  # the module archive limit


class RepositoryError(ServiceError):
    """A repository operation was refused; one line naming repository, module and reason."""


def _config(svc: Service) -> tuple[str, str, bytes]:
    s = svc.settings()
    base, channel, key_name = (s["MODULE_REPOSITORY"], s["MODULE_CHANNEL"],
                               s["MODULE_REPOSITORY_KEY"])
    if not base:
        raise RepositoryError("no module repository configured (provhost settings set "
                              "MODULE_REPOSITORY URL)")
    keys = svc.store.trusted_keys()
    if not key_name or key_name not in keys:
        raise RepositoryError(f"repository {base}: MODULE_REPOSITORY_KEY must name a trusted "
                              f"key (provhost module trust NAME KEY); trusted: "
                              f"{', '.join(sorted(keys)) or 'none'}")
    return base, channel, keys[key_name]


def _location(base: str, channel: str, name: str) -> str:
    if is_url(base):
        return f"{base.rstrip('/')}/{channel_dir(channel)}/{name}"
    return str(Path(base) / channel_dir(channel) / name)


def _cache_dir(svc: Service) -> Path:
    d = svc.paths.data_dir / "repository"
    d.mkdir(mode=0o700, exist_ok=True)
    return d


async def _fetch(location: str, work: Path, *, size: int | None, max_size: int,
                 limits: DownloadLimits | None) -> Path:
    if is_url(location):
        got = await fetch_url(location, work, size=size, max_size=max_size, limits=limits)
    else:
        got = await fetch_file(Path(location), work, size=size, max_size=max_size)
    return got.path


def _source_key(base: str, channel: str) -> str:
    return f"{base.rstrip('/')}|{channel}"


async def update(svc: Service, limits: DownloadLimits | None = None) -> RepoIndex:
    """Fetch and verify the configured channel's index; keep it for search and install."""
    base, channel, public_key = _config(svc)
    where = f"repository {base} ({channel})"
    work = _cache_dir(svc) / ".fetch"
    try:
        try:
            data_path = await _fetch(_location(base, channel, INDEX_FILE), work, size=None,
                                     max_size=MAX_INDEX_SIZE, limits=limits)
            sig_path = await _fetch(_location(base, channel, INDEX_FILE + SIGNATURE_SUFFIX),
                                    work, size=None, max_size=4096, limits=limits)
        except DownloadError as e:
            raise RepositoryError(f"{where}: cannot fetch the index: {e}") from None
        data, sig = data_path.read_bytes(), sig_path.read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    source = _source_key(base, channel)
    seen = svc.store.repository_serial(source)
    try:
        index = verify(data, sig, public_key, where=where, channel=channel, now=time.time(),
                       seen=Seen(*seen) if seen else None)
    except IndexRefused as e:
        log.warning("%s", e)
        raise RepositoryError(str(e)) from None
    digest = hashlib.sha256(data).hexdigest()
    svc.store.put_repository_serial(source, index.serial, digest)
    cached = _cache_dir(svc) / f"index-{channel}.json"
    tmp = cached.with_name(cached.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, cached)
    (_cache_dir(svc) / f"index-{channel}.source").write_text(source)
    log.info("%s: index serial %d, %d modules", where, index.serial, len(index.modules))
    return index


def cached_index(svc: Service) -> RepoIndex:
    """The index `update` accepted last for the configured repository and channel."""
    base, channel, _ = _config(svc)
    cached = _cache_dir(svc) / f"index-{channel}.json"
    source_file = _cache_dir(svc) / f"index-{channel}.source"
    if (not cached.is_file() or not source_file.is_file()
            or source_file.read_text() != _source_key(base, channel)):
        raise RepositoryError(f"repository {base} ({channel}): no list of modules yet; run "
                              "`provhost module update`")
    index = decode(cached.read_bytes(), str(cached))
    if index.expires <= time.time():
        raise RepositoryError(f"repository {base} ({channel}): the list of modules expired; "
                              "run `provhost module update`")
    return index


def _newest(entries: list[IndexEntry]) -> IndexEntry | None:
    best = None
    for e in entries:
        if best is None or compare_versions(e.version, best.version) > 0:
            best = e
    return best


def search(svc: Service, text: str = "") -> list[dict[str, Any]]:
    """Available modules (newest version each), with the installed version and whether an
    upgrade exists."""
    index = cached_index(svc)
    installed = {m["id"]: m for m in svc.module_list()}
    needle = text.lower()
    rows = []
    for mid in sorted({e.id for e in index.modules}):
        newest = _newest(index.entries(mid))
        assert newest is not None
        hay = " ".join([newest.id, newest.name, newest.description, *newest.phone_types])
        if needle and needle not in hay.lower():
            continue
        have = installed.get(mid)
        rows.append({**asdict(newest),
                     "versions": [e.version for e in index.entries(mid)],
                     "installed": have["version"] if have else None,
                     "upgrade": bool(have and have["kind"] == "addon"
                                     and compare_versions(newest.version, have["version"]) > 0)})
    return rows


def _pick(index: RepoIndex, spec: str, where: str) -> IndexEntry:
    mid, _, version = spec.partition("==")
    entries = index.entries(mid)
    if not entries:
        raise RepositoryError(f"{where}: no module {mid!r} in this channel")
    if version:
        match = [e for e in entries if compare_versions(e.version, version) == 0]
        if not match:
            raise RepositoryError(f"{where}: {mid} has no version {version} (available: "
                                  f"{', '.join(e.version for e in entries)})")
        return match[0]
    newest = _newest(entries)
    assert newest is not None
    return newest


async def _download(svc: Service, entry: IndexEntry, limits: DownloadLimits | None) -> Path:
    base, channel, _ = _config(svc)
    where = f"repository {base} ({channel}), module {entry.id} {entry.version}"
    cache = _cache_dir(svc) / f"{entry.id}-{entry.version}-{entry.sha256[:16]}.zip"
    use_cache = svc.setting_get("MODULE_CACHE") == "1"
    if use_cache and cache.is_file():
        if await trio.to_thread.run_sync(_sha256_file, cache) == entry.sha256:
            return cache
        cache.unlink()
    work = _cache_dir(svc) / ".fetch"
    try:
        try:
            got = await _fetch(_location(base, channel, entry.file), work, size=entry.size,
                               max_size=MAX_MODULE_ZIP, limits=limits)
        except DownloadError as e:
            raise RepositoryError(f"{where}: {e}") from None
        digest = await trio.to_thread.run_sync(_sha256_file, got)
        if digest != entry.sha256:
            raise RepositoryError(f"{where}: the zip does not match the index (SHA-256 "
                                  f"{digest}, expected {entry.sha256}); not installed")
        os.replace(got, cache)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return cache


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 16):
            h.update(chunk)
    return h.hexdigest()


async def install(svc: Service, spec: str, *, force: bool = False,
                  limits: DownloadLimits | None = None) -> dict[str, Any]:
    """Install ID or ID==VERSION from the repository (an upgrade when already installed)."""
    base, channel, _ = _config(svc)
    index = cached_index(svc)
    entry = _pick(index, spec, f"repository {base} ({channel})")
    path = await _download(svc, entry, limits)
    try:
        view = await trio.to_thread.run_sync(
            lambda: svc.module_install(path, allow_unsigned=False, force=force))
    except ServiceError as e:
        raise RepositoryError(f"repository {base} ({channel}), module {entry.id} "
                              f"{entry.version}: {e}") from None
    finally:
        if svc.setting_get("MODULE_CACHE") != "1":
            path.unlink(missing_ok=True)
    return view


async def upgrade(svc: Service, ids: list[str], *, limits: DownloadLimits | None = None
                  ) -> list[dict[str, Any]]:
    """Upgrade the named add-on modules (all with an upgrade when `ids` is empty)."""
    rows = {r["id"]: r for r in search(svc)}
    installed = {m["id"]: m for m in svc.module_list()}
    targets = ids or [mid for mid, r in rows.items() if r["upgrade"]]
    done = []
    for mid in targets:
        if mid not in installed:
            raise RepositoryError(f"module {mid} is not installed (install it first)")
        if mid not in rows:
            raise RepositoryError(f"module {mid} is not in the repository's channel")
        if not rows[mid]["upgrade"]:
            done.append({"id": mid, "version": installed[mid]["version"],
                         "result": "up to date"})
            continue
        view = await install(svc, mid, limits=limits)
        done.append({"id": mid, "version": view["version"],
                     "result": f"upgraded from {installed[mid]['version']}"})
    return done
