"""The runtime interface: the one seam between the host and whatever executes module scripts.

Rules of this file: everything a runtime implementation (native PHP in bubblewrap,
PHP compiled to WebAssembly, ...) must provide, and everything it may assume of the
host, is stated here.  The host never imports an implementation's internals.

Theory of operation
-------------------
* The host hands a runtime a `ModuleImage`: the read-only files of one version of one
  module plus the host-compiled artefacts for it.  The runtime answers with a
  `ModulePool`, a bounded set of sandboxed workers that serve that module only (one
  runtime-neutral implementation: provhost.runtime.pool; a runtime is a recipe for it).
* For each script execution the host builds a `ScriptCall` (which script, which input
  globals) and a `Broker`.  `ModulePool.run` executes the call on a clean worker state and
  returns a `ScriptOutcome`.  Everything the script may do beyond computing (associate
  a phone, set a marker, open a connection to its phone, ...) is a synchronous
  call from the script into `Broker.call`; the runtime only transports it.
* Script faults (crash, timeout, memory, garbage on the wire) are never exceptions:
  they come back as an outcome with ``action == Action.ERROR`` and a human reason.
  Only overload (`PoolOverloaded`), a stalled pool (`PoolStalled`) and a closed pool raise.

Sandbox paths (what a script sees; identical for every runtime):
  /module    the module's own files, read-only
  /compiled  host-compiled templates (``/compiled/templates/NAME.php``), read-only
  /firmware  accepted firmware slot contents (``/firmware/SLOT/FILE``), read-only
  /shim      the sdk-php-shim, read-only
  /tmp       private, writable, emptied after every request
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import trio


class ScriptKind(enum.StrEnum):
    """Which kind of module script runs; decides the shim's entry behaviour."""

    PROVIDER = "provider"  # providers/*.php: answer one provisioning request
    DIALPLAN = "dialplan"  # dialplans/NAME.php: print a dialplan from $DIALPLAN_DATA
    RESYNC = "resync"  # resync/NAME.php: tell one phone to reload
    FIRMWARE = "firmware"  # firmware/NAME.php|.sh: verify and preprocess an upload
    EXPAND = "expand"  # evaluate phone_types `{...}` expressions (late expansion)


class Action(enum.StrEnum):
    """How a script ended (the seed's output functions, plus failure)."""

    PASS = "pass"  # passNext() or the end of the script
    TEMPLATE = "template"  # sendTemplate(): body holds the rendered file
    FILE = "file"  # sendFile()/sendStaticFile(): `file` holds a sandbox path
    NOT_FOUND = "notfound"  # sendNotFound()
    OK = "ok"  # sendOk(): an empty success
    DONE = "done"  # a dialplan/resync/expand script finished; body holds its output
    UPLOAD = "upload"  # acceptUpload(): `body` holds the phone's MAC, `file` the name
    SEND_UPLOAD = "sendupload"  # sendUpload(): `file` names the associated phone's upload
    ACCEPT = "accept"  # acceptFirmware()
    REJECT = "reject"  # rejectFirmware()
    ERROR = "error"  # the script failed; `error` says why


SANDBOX_MODULE = "/module"
SANDBOX_COMPILED = "/compiled"
SANDBOX_FIRMWARE = "/firmware"
SANDBOX_SHIM = "/shim"
SANDBOX_TMP = "/tmp"


@dataclass(frozen=True)
class ModuleImage:
    """One version of one module as a runtime needs it: where its files live on the host."""

    module_id: str
    version: str
    files_dir: Path  # mounted at /module
    compiled_dir: Path  # mounted at /compiled
    firmware_dir: Path  # mounted at /firmware


@dataclass
class ScriptCall:
    """One execution: which script and the globals it starts with (msgpack-able values only)."""

    kind: ScriptKind
    script: str  # path relative to the module root, e.g. "providers/spa.php"
    variables: dict[str, Any] = field(default_factory=dict)
    timeout: float = 5.0  # wall-clock seconds; past it the worker is killed


@dataclass
class ScriptOutcome:
    action: Action
    body: bytes = b""  # rendered template, dialplan/resync output, expansion result (msgpack)
    file: str | None = None  # sandbox path for Action.FILE
    content_type: str | None = None  # optional hint from the script
    error: str | None = None  # for Action.ERROR: module-author-readable reason
    log: list[str] = field(default_factory=list)  # PHP warnings/notices, for traces
    elapsed: float = 0.0  # seconds spent in the worker


class BrokerError(Exception):
    """Raised by a broker method; the script sees it as a PHP exception with this message."""


class Broker(Protocol):
    """The host side of every capability a script has (associatePhone, setMarker, ...)."""

    async def call(self, function: str, args: list[Any]) -> Any:
        """Perform `function(*args)` for the script; the result must be msgpack-able."""
        ...


class PoolOverloaded(Exception):
    """The module's queue is full; the server answers 'busy' instead of queueing forever."""


class PoolStalled(Exception):
    """Every worker of the module has been stuck on one call for too long (a provider that
    sleeps to its deadline): the chain skips the module, as it would a failing one, so the
    modules after it keep serving their phones."""


class PoolClosed(Exception):
    """The pool was closed (module disabled, removed or upgraded) while a call waited."""


class ModulePool(Protocol):
    async def run(self, call: ScriptCall, broker: Broker) -> ScriptOutcome: ...

    async def aclose(self) -> None: ...

    async def warm(self) -> None:
        """Start a lazy pool's workers now (no-op when they run already)."""
        ...

    def stats(self) -> dict[str, Any]:
        """Workers alive, busy, started, crashed, requests served: for the API and tests."""
        ...


class Runtime(Protocol):
    """A way to execute PHP safely.  Used as ``async with`` so it owns its worker processes."""

    name: str  # "native" or "wasm"
    nursery: trio.Nursery  # where its pools' workers (and retiring pools) live

    async def open_pool(self, image: ModuleImage, *, lazy: bool = False) -> ModulePool:
        """The module's pool.  Eager (default): its workers start now.  Lazy: on its first
        call, and it may stop them again after a quiet period (the engine's choice)."""
        ...

    async def run_once(self, image: ModuleImage, call: ScriptCall) -> ScriptOutcome:
        """A script that needs a one-off sandbox rather than a pool's worker (firmware
        preprocessing execs tools the workers forbid)."""
        ...

    async def __aenter__(self) -> Runtime: ...

    async def __aexit__(self, *exc: object) -> None: ...
