"""The publisher's side of a repository (the seed's `make upload`, `download-stable`, copying
testing to stable, moving a removed module to archive): files in a directory that any web
server can then serve.

Layout::

    DIR/repository.json                   name and public key (administrators trust it)
    DIR/families.json                     per family: hash of common/, models' versions
    DIR/plugins/1/<channel>/index.json    the signed index (repo/index.py)
    DIR/plugins/1/<channel>/index.json.sig
    DIR/plugins/1/<channel>/<id>-<version>.zip

Every change rewrites the channel's index with a serial one higher and a fresh expiry, and
signs it with the repository key.  A module published unsigned is signed with the same key,
so a server that trusts the repository key installs it like any signed module.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from provhost.moduleformat.info import compare_versions
from provhost.moduleformat.loader import ModuleInvalid, check_module, load_module
from provhost.repo.index import (
    CHANNELS,
    INDEX_FILE,
    SIGNATURE_SUFFIX,
    IndexEntry,
    IndexRefused,
    RepoIndex,
    channel_dir,
    decode,
    encode,
    sign,
    verify,
)
from provhost.signing import SIGNATURE_FILE, load_private_key, public_bytes, sign_tree

REPOSITORY_FILE = "repository.json"
FAMILIES_FILE = "families.json"
DEFAULT_EXPIRY_DAYS = 30


class PublishError(Exception):
    """The publisher's operation was refused; the message says why."""


@dataclass(frozen=True)
class Repository:
    root: Path
    name: str
    public_key: bytes

    def channel_path(self, channel: str) -> Path:
        return self.root / channel_dir(channel)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def init(root: Path, name: str, key_pem: bytes) -> Repository:
    """A new, empty repository signed by `key_pem` (every channel gets an empty index)."""
    if (root / REPOSITORY_FILE).exists():
        raise PublishError(f"{root} is already a repository")
    private = load_private_key(key_pem)
    root.mkdir(parents=True, exist_ok=True)
    doc = {"format": 1, "name": name,
           "public_key": base64.b64encode(public_bytes(private)).decode()}
    _write_atomic(root / REPOSITORY_FILE, (json.dumps(doc, indent=2) + "\n").encode())
    repo = Repository(root, name, public_bytes(private))
    for channel in CHANNELS:
        repo.channel_path(channel).mkdir(parents=True, exist_ok=True)
        _write_index(repo, RepoIndex(name, channel, 0, 0, 0, []), key_pem)
    _write_atomic(root / FAMILIES_FILE, b"{}\n")
    return repo


def open_repository(root: Path) -> Repository:
    try:
        doc = json.loads((root / REPOSITORY_FILE).read_text())
        return Repository(root, str(doc["name"]), base64.b64decode(doc["public_key"]))
    except (OSError, ValueError, KeyError) as e:
        raise PublishError(f"{root} is not a repository (run `provhost repo init`): "
                           f"{e}") from None


def _key_for(repo: Repository, key_pem: bytes) -> bytes:
    if public_bytes(load_private_key(key_pem)) != repo.public_key:
        raise PublishError("this key is not the repository's key (see repository.json)")
    return key_pem


def read_index(repo: Repository, channel: str) -> RepoIndex:
    """The channel's current index, checked against the repository's own key."""
    d = repo.channel_path(channel)
    try:
        data = (d / INDEX_FILE).read_bytes()
        sig = (d / (INDEX_FILE + SIGNATURE_SUFFIX)).read_bytes()
    except OSError as e:
        raise PublishError(f"channel {channel}: cannot read its index: {e}") from None
    try:
        # expiry is the servers' concern; the publisher re-signs with a fresh one
        verify(data, sig, repo.public_key, where=f"{repo.root} {channel}", channel=channel,
               now=0.0, seen=None)
    except IndexRefused as e:
        raise PublishError(str(e)) from None
    return decode(data, str(d))


def _write_index(repo: Repository, index: RepoIndex, key_pem: bytes,
                 days: float = DEFAULT_EXPIRY_DAYS) -> RepoIndex:
    now = time.time()
    new = RepoIndex(repo.name, index.channel, index.serial + 1, now + days * 86400, now,
                    sorted(index.modules, key=lambda e: (e.id, _vkey(e.version))))
    data = encode(new)
    d = repo.channel_path(index.channel)
    private = load_private_key(key_pem)
    _write_atomic(d / (INDEX_FILE + SIGNATURE_SUFFIX), sign(data, private))
    _write_atomic(d / INDEX_FILE, data)
    return new


def _vkey(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 16):
            h.update(chunk)
    return h.hexdigest()


def _zip_dir(root: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(root.rglob("*")):
            if p.is_file():
                z.write(p, p.relative_to(root).as_posix())


def _prepare(zip_path: Path, repo: Repository, key_pem: bytes, work: Path
             ) -> tuple[Any, Path]:
    """Lint the module, sign it with the repository key if unsigned; (module, zip path)."""
    problems = [p for p in check_module(zip_path) if p.severity == "error"]
    if problems:
        raise PublishError(f"{zip_path.name}: `module check` found errors:\n"
                           + "\n".join(str(p) for p in problems))
    try:
        loaded = load_module(zip_path, work / "m")
    except ModuleInvalid as e:
        raise PublishError(f"{zip_path.name}: {e}") from None
    if (loaded.root / SIGNATURE_FILE).is_file():
        return loaded, zip_path
    sign_tree(loaded.root, key_pem, repo.name)
    signed = work / "signed.zip"
    _zip_dir(loaded.root, signed)
    return loaded, signed


def publish(repo: Repository, channel: str, zips: list[Path], key_pem: bytes) -> list[IndexEntry]:
    """Add modules to a channel: lint, refuse an equal or older version, sign, re-index."""
    key_pem = _key_for(repo, key_pem)
    index = read_index(repo, channel)
    modules = list(index.modules)
    added = []
    families = _read_families(repo)
    for zip_path in zips:
        with tempfile.TemporaryDirectory(prefix="provhost-publish-") as tmp:
            loaded, ready = _prepare(zip_path, repo, key_pem, Path(tmp))
            info = loaded.info
            newest = max((e.version for e in modules if e.id == info.id),
                         key=_vkey, default=None)
            if newest is not None and compare_versions(info.version, newest) <= 0:
                raise PublishError(f"{info.id} {info.version}: channel {channel} already has "
                                   f"{newest}; bump the version (`provhost module bump`)")
            name = f"{info.id}-{info.version}.zip"
            target = repo.channel_path(channel) / name
            shutil.copyfile(ready, target)
            entry = IndexEntry(info.id, info.version, info.name, info.description,
                               [t.ident for t in loaded.phone_types], target.stat().st_size,
                               _sha256(target), name,
                               info.extra.get("min_provhost", "0"))
            modules.append(entry)
            added.append(entry)
            family, common = info.extra.get("family"), info.extra.get("family_common")
            if family and common:
                fam = families.setdefault(family, {"common_sha256": common, "models": {}})
                fam["common_sha256"] = common
                fam["models"][info.id] = info.version
    _write_index(repo, RepoIndex(repo.name, channel, index.serial, 0, 0, modules), key_pem)
    _write_atomic(repo.root / FAMILIES_FILE,
                  (json.dumps(families, indent=2, sort_keys=True) + "\n").encode())
    return added


def promote(repo: Repository, module_id: str, version: str, src: str, dst: str,
            key_pem: bytes) -> IndexEntry:
    """Copy one version from one channel to another (testing -> stable)."""
    key_pem = _key_for(repo, key_pem)
    source = read_index(repo, src)
    entry = next((e for e in source.modules if e.id == module_id
                  and compare_versions(e.version, version) == 0), None)
    if entry is None:
        raise PublishError(f"{module_id} {version} is not in channel {src}")
    target = read_index(repo, dst)
    newest = max((e.version for e in target.modules if e.id == module_id), key=_vkey,
                 default=None)
    if newest is not None and compare_versions(version, newest) <= 0:
        raise PublishError(f"{module_id} {version}: channel {dst} already has {newest}")
    shutil.copyfile(repo.channel_path(src) / entry.file, repo.channel_path(dst) / entry.file)
    _write_index(repo, RepoIndex(repo.name, dst, target.serial, 0, 0,
                                 [*target.modules, entry]), key_pem)
    return entry


def archive(repo: Repository, module_id: str, key_pem: bytes) -> list[IndexEntry]:
    """Retire a module: every version moves from testing and stable to archive."""
    key_pem = _key_for(repo, key_pem)
    moved: list[IndexEntry] = []
    arch = read_index(repo, "archive")
    kept_in_archive = {(e.id, e.version) for e in arch.modules}
    for channel in ("testing", "stable"):
        index = read_index(repo, channel)
        mine = [e for e in index.modules if e.id == module_id]
        if not mine:
            continue
        for e in mine:
            src = repo.channel_path(channel) / e.file
            if (e.id, e.version) not in kept_in_archive:
                shutil.copyfile(src, repo.channel_path("archive") / e.file)
                moved.append(e)
                kept_in_archive.add((e.id, e.version))
            src.unlink(missing_ok=True)
        _write_index(repo, RepoIndex(repo.name, channel, index.serial, 0, 0,
                                     [e for e in index.modules if e.id != module_id]), key_pem)
    if not moved and not any(e.id == module_id for e in arch.modules):
        raise PublishError(f"no module {module_id!r} in testing or stable")
    _write_index(repo, RepoIndex(repo.name, "archive", arch.serial, 0, 0,
                                 [*arch.modules, *moved]), key_pem)
    return moved


def refresh(repo: Repository, channel: str, key_pem: bytes,
            days: float = DEFAULT_EXPIRY_DAYS) -> RepoIndex:
    """Re-sign a channel unchanged with a new serial and expiry (run it from cron)."""
    key_pem = _key_for(repo, key_pem)
    return _write_index(repo, read_index(repo, channel), key_pem, days)


def listing(repo: Repository, channel: str | None = None) -> list[dict[str, Any]]:
    rows = []
    for ch in [channel] if channel else list(CHANNELS):
        index = read_index(repo, ch)
        for e in index.modules:
            rows.append({"channel": ch, **asdict(e), "serial": index.serial})
    return rows


def _read_families(repo: Repository) -> dict[str, Any]:
    try:
        return dict(json.loads((repo.root / FAMILIES_FILE).read_text()))
    except (OSError, ValueError):
        return {}


def family_record(repo: Repository, family: str) -> dict[str, Any] | None:
    return _read_families(repo).get(family)
