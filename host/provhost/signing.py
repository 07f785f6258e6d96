"""Ed25519 signatures over a module's files.

Why: an add-on module is code that decides where every phone registers; only modules signed
by a key the administrator trusts may be installed (unless unsigned modules are explicitly
allowed, for testing one's own module).

What is signed: a manifest naming every file of the module (path, size, SHA-256), sorted,
preceded by a format tag.  The signature lives in `signature.json` at the module root and is
not part of the manifest.  Changing, adding or removing any file breaks it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_FILE = "signature.json"
_TAG = b"provhost-module-manifest-v1\n"


class SignatureError(Exception):
    pass


@dataclass(frozen=True)
class Verdict:
    signed: bool
    key_name: str | None  # the trusted key that verified it


def manifest(root: Path) -> bytes:
    """The canonical bytes that a signature covers (pure function of the files)."""
    lines = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel == SIGNATURE_FILE:
            continue
        data = path.read_bytes()
        lines.append(f"{hashlib.sha256(data).hexdigest()} {len(data)} {rel}\n".encode())
    return _TAG + b"".join(lines)


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


def generate_key() -> tuple[bytes, bytes]:
    """Return (private key PEM, raw 32-byte public key)."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, public_bytes(private)


def public_bytes(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as e:
        raise SignatureError(f"not an unencrypted PEM private key: {e}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError("the private key is not an Ed25519 key")
    return key


def parse_public_key(text: str) -> bytes:
    """Accept the base64 form that `provhost module keygen` prints."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise SignatureError("public key: expected base64 of 32 bytes") from None
    if len(raw) != 32:
        raise SignatureError(f"public key: expected 32 bytes, got {len(raw)}")
    return raw


def sign_tree(root: Path, private_pem: bytes, signer: str) -> None:
    """Write signature.json into the module directory `root`."""
    private = load_private_key(private_pem)
    signature = private.sign(manifest(root))
    doc = {
        "format": 1,
        "signer": signer,
        "key_id": key_id(public_bytes(private)),
        "signature": base64.b64encode(signature).decode(),
    }
    (root / SIGNATURE_FILE).write_text(json.dumps(doc, indent=2) + "\n")


def verify_tree(root: Path, trusted: dict[str, bytes]) -> Verdict:
    """Check the module at `root` against the trusted keys.

    Returns Verdict(signed=False) when there is no signature at all; raises SignatureError
    when there is one but it is malformed, made by an unknown key, or does not match.
    """
    sig_path = root / SIGNATURE_FILE
    if not sig_path.is_file():
        return Verdict(False, None)
    try:
        doc = json.loads(sig_path.read_text())
        signature = base64.b64decode(doc["signature"], validate=True)
        kid = str(doc["key_id"])
    except (ValueError, KeyError, TypeError):
        raise SignatureError(f"{SIGNATURE_FILE} is malformed") from None
    candidates = {n: k for n, k in trusted.items() if key_id(k) == kid}
    if not candidates:
        raise SignatureError(
            f"signed by key {kid} ({doc.get('signer', '?')}), which is not a trusted key"
        )
    body = manifest(root)
    for name, raw in candidates.items():
        try:
            Ed25519PublicKey.from_public_bytes(raw).verify(signature, body)
        except InvalidSignature:
            continue
        return Verdict(True, name)
    raise SignatureError(
        "signature does not match the module's files (the module was modified after signing)"
    )
