"""The signed index of one repository channel (pure: bytes in, decisions out).

A repository is plain files: per channel (``plugins/1/<channel>/``, as the seed addresses
``.../plugins/1/testing/``) an ``index.json``, its detached Ed25519 signature
``index.json.sig`` (base64) and the module zips it names.

Rules a server applies before trusting an index (each refusal is one line with a reason):

* the signature must verify with the public key the administrator trusts for this
  repository (an attacker on the path cannot forge the list);
* ``expires`` must lie in the future (nor can they freeze it: an old, validly signed index
  stops being accepted when it expires);
* ``serial`` must not be lower than the highest serial already seen for this repository
  and channel, and an equal serial must come with identical bytes (nor roll it back);
* every entry is well formed: id, version, size, sha256 and file name.

A downloaded zip must then match its entry's size and SHA-256, and pass the module signature
check as any module does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from provhost.moduleformat.info import is_version
from provhost.moduleformat.names import is_identifier

FORMAT = 1
CHANNELS = ("testing", "stable", "archive")
INDEX_FILE = "index.json"
SIGNATURE_SUFFIX = ".sig"
MAX_INDEX_SIZE = 4 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_ZIP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,150}\.zip")


class IndexRefused(Exception):
    """The index cannot be trusted; the message says why (one line)."""


def channel_dir(channel: str) -> str:
    """Where a channel lives inside a repository (URL path or directory)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; channels: {', '.join(CHANNELS)}")
    return f"plugins/1/{channel}"


@dataclass(frozen=True)
class IndexEntry:
    id: str
    version: str
    name: str
    description: str
    phone_types: list[str]
    size: int
    sha256: str
    file: str
    min_provhost: str = "0"


@dataclass(frozen=True)
class RepoIndex:
    repository: str
    channel: str
    serial: int
    expires: float
    generated: float
    modules: list[IndexEntry] = field(default_factory=list)

    def entries(self, module_id: str) -> list[IndexEntry]:
        return [e for e in self.modules if e.id == module_id]


def encode(index: RepoIndex) -> bytes:
    """Canonical bytes (sorted keys, no spaces): what the signature covers."""
    doc = {"format": FORMAT, **asdict(index)}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def sign(data: bytes, private: Ed25519PrivateKey) -> bytes:
    return base64.b64encode(private.sign(data)) + b"\n"


def _entry(raw: object, where: str) -> IndexEntry:
    if not isinstance(raw, dict):
        raise IndexRefused(f"{where}: a module entry is not an object")
    try:
        e = IndexEntry(id=str(raw["id"]), version=str(raw["version"]), name=str(raw["name"]),
                       description=str(raw.get("description", "")),
                       phone_types=[str(t) for t in raw.get("phone_types", [])],
                       size=int(raw["size"]), sha256=str(raw["sha256"]),
                       file=str(raw["file"]), min_provhost=str(raw.get("min_provhost", "0")))
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexRefused(f"{where}: malformed module entry ({exc})") from None
    if not is_identifier(e.id) or not is_version(e.version) or not is_version(e.min_provhost):
        raise IndexRefused(f"{where}: bad id or version in entry {e.id!r} {e.version!r}")
    if not _SHA256.fullmatch(e.sha256) or e.size <= 0 or not _ZIP_NAME.fullmatch(e.file):
        raise IndexRefused(f"{where}: entry {e.id} {e.version}: bad size, sha256 or file name")
    return e


def decode(data: bytes, where: str) -> RepoIndex:
    """Parse index bytes (already signature-checked)."""
    try:
        doc = json.loads(data)
    except ValueError:
        raise IndexRefused(f"{where}: the index is not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise IndexRefused(f"{where}: unknown index format {doc.get('format') if isinstance(doc, dict) else doc!r}")
    try:
        index = RepoIndex(repository=str(doc["repository"]), channel=str(doc["channel"]),
                          serial=int(doc["serial"]), expires=float(doc["expires"]),
                          generated=float(doc["generated"]),
                          modules=[_entry(m, where) for m in doc["modules"]])
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexRefused(f"{where}: malformed index ({exc})") from None
    return index


@dataclass(frozen=True)
class Seen:
    """The newest index a server accepted for one repository channel."""

    serial: int
    digest: str  # SHA-256 of its bytes


def verify(data: bytes, signature: bytes, public_key: bytes, *, where: str, channel: str,
           now: float, seen: Seen | None) -> RepoIndex:
    """The index, if it may be trusted now; IndexRefused with the reason otherwise."""
    if len(data) > MAX_INDEX_SIZE:
        raise IndexRefused(f"{where}: the index is larger than {MAX_INDEX_SIZE} bytes")
    try:
        raw_sig = base64.b64decode(signature.strip(), validate=True)
        Ed25519PublicKey.from_public_bytes(public_key).verify(raw_sig, data)
    except (ValueError, InvalidSignature):
        raise IndexRefused(f"{where}: the index signature does not verify with the trusted "
                           "repository key (forged or tampered index)") from None
    index = decode(data, where)
    if index.channel != channel:
        raise IndexRefused(f"{where}: the index is for channel {index.channel!r}, not "
                           f"{channel!r}")
    if index.expires <= now:
        raise IndexRefused(f"{where}: the index expired (an old copy is being replayed, or "
                           "the publisher has not refreshed it)")
    if seen is not None:
        digest = hashlib.sha256(data).hexdigest()
        if index.serial < seen.serial:
            raise IndexRefused(f"{where}: serial {index.serial} is older than serial "
                               f"{seen.serial} already seen (rollback refused)")
        if index.serial == seen.serial and digest != seen.digest:
            raise IndexRefused(f"{where}: serial {index.serial} was already seen with other "
                               "contents (refused)")
    return index
