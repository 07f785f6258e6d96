"""Kerio's module persistent globals: `setModuleVar(name, value)` in a provider or resync
script stores a value that later runs of the module's scripts see as the global `$name`.

Stored per module in the store (so every process and node sees them), isolated between
modules (a module reads and writes only its own), bounded (MAX_COUNT names, MAX_VALUE bytes
each, MAX_TOTAL per module, a clear error past them), kept across upgrades of the module
and removed with it.  A value is any PHP value the IPC carries (msgpack-packed); null
deletes the name.  They never shadow what provhost sets: request and phone variables win.
"""

from __future__ import annotations

import re
from typing import Any

import msgpack

from provhost.runtime.interface import BrokerError
from provhost.store.base import StoreError
from provhost.store.sqlite import SqliteStore

MAX_COUNT = 100
MAX_VALUE = 64 * 1024
MAX_TOTAL = 1024 * 1024
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def unpack_all(packed: dict[str, bytes]) -> dict[str, Any]:
    return {name: msgpack.unpackb(value, raw=False, strict_map_key=False)
            for name, value in packed.items()}


def set_module_var(store: SqliteStore, module_id: str, name: str, value: Any) -> None:
    """Validate and store one global; BrokerError with the reason the script is told."""
    if not _NAME.fullmatch(name) or name == "GLOBALS":
        raise BrokerError(f"setModuleVar: {name!r} is not a variable name (letters, digits "
                          "and _, at most 64, not starting with a digit)")
    packed = None if value is None else msgpack.packb(value, use_bin_type=True)
    if packed is not None and len(packed) > MAX_VALUE:
        raise BrokerError(f"setModuleVar: the value of {name} takes {len(packed)} bytes "
                          f"(at most {MAX_VALUE})")
    try:
        store.set_module_global(module_id, name, packed, MAX_COUNT, MAX_TOTAL)
    except StoreError as e:
        raise BrokerError(f"setModuleVar: {e}") from None
