"""The secret that signs phones' digest nonces (auth/digest.py): kept in the data directory
so nonces outlive a restart, shared by every process on that directory."""

from __future__ import annotations

import secrets
from pathlib import Path

from provhost.privatefile import read_or_create_private

PHONE_AUTH_KEY_FILE = "phone-auth-key"


class KeyFileError(ValueError):
    """The key file exists but does not hold a key."""


def load_or_create_key(path: Path) -> bytes:
    """32 random bytes, hex, in a 0600 file created with O_EXCL (two processes starting
    together agree on one key)."""
    text = read_or_create_private(path, (secrets.token_bytes(32).hex() + "\n").encode())
    try:
        key = bytes.fromhex(text.decode("ascii", "replace").strip())
    except ValueError:
        key = b""
    if len(key) < 16:
        raise KeyFileError(f"{path} does not hold a key (expected hex, 32 bytes); "
                           "delete it to have a new one made")
    return key
