"""The capability manifest: which host functions each kind of module script may call, with
their argument types and the handler that performs them.

Why a table: a script's only way out of its sandbox is `Broker.call(function, args)`;
what it may do should be readable in one place, checked in one place, and compared with
the shim (sdk-php-shim/api.php) and docs/module-api.md by a test, not re-stated in
if-chains.  A broker is a `CapabilityBroker`: this table plus a *handler set*, an object
whose methods (named by `HostFunction.handler`) do the work for one script run.  Argument
count and types are checked here before any handler runs; a handler may be sync or async
and raises BrokerError with what the script should be told.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from provhost.runtime.interface import BrokerError, ScriptKind


@dataclass(frozen=True)
class Arg:
    name: str
    types: tuple[type, ...]  # accepted Python types (as msgpack decodes PHP values)
    optional: bool = False


@dataclass(frozen=True)
class HostFunction:
    name: str  # as the shim calls it
    kinds: frozenset[ScriptKind]  # script kinds that may call it
    args: tuple[Arg, ...]
    handler: str  # method of the broker's handler set
    documented: bool = True  # a module-facing function of docs/module-api.md (not shim-internal)

    def check(self, args: list[Any]) -> None:
        required = sum(1 for a in self.args if not a.optional)
        if not required <= len(args) <= len(self.args):
            raise BrokerError(f"{self.name}() takes {self._arity()} arguments, got {len(args)}")
        for spec, value in zip(self.args, args, strict=False):
            if spec.types and not isinstance(value, spec.types):
                wanted = " or ".join(t.__name__ for t in spec.types)
                raise BrokerError(f"{self.name}(): ${spec.name} must be {wanted}, "
                                  f"got {type(value).__name__}")

    def _arity(self) -> str:
        required = sum(1 for a in self.args if not a.optional)
        return str(required) if required == len(self.args) else f"{required} to {len(self.args)}"


_ANY: tuple[type, ...] = ()
_PROVIDER = frozenset({ScriptKind.PROVIDER})
_RESYNC = frozenset({ScriptKind.RESYNC})

HOST_FUNCTIONS: tuple[HostFunction, ...] = (
    HostFunction("associatePhone", _PROVIDER, (Arg("mac", (str,)), Arg("type", (str,))),
                 "associate_phone"),
    HostFunction("setMarker", _PROVIDER, (Arg("name", (str,)), Arg("value", _ANY)),
                 "set_marker"),
    HostFunction("urlopenPhone", _RESYNC, (Arg("scheme", (str,)), Arg("path", (str,)),
                                           Arg("options", (dict,), optional=True)), "urlopen"),
    HostFunction("connectPhone", _RESYNC, (Arg("proto", (str,)), Arg("port", (int,))),
                 "connect"),
    # the stream wrapper of connectPhone()'s connection (socket_* functions), shim-internal
    HostFunction("connRead", _RESYNC, (Arg("id", (int,)), Arg("size", (int,))), "read",
                 documented=False),
    HostFunction("connWrite", _RESYNC, (Arg("id", (int,)), Arg("data", (bytes, str))), "write",
                 documented=False),
    HostFunction("connClose", _RESYNC, (Arg("id", (int,)),), "close", documented=False),
    HostFunction("connInfo", _RESYNC, (Arg("id", (int,)),), "info", documented=False),
    HostFunction("connPoll", _RESYNC, (Arg("ids", (list,)), Arg("timeout", (int, float))),
                 "poll", documented=False),
    # Kerio's module persistent globals (moduleapi/module_globals.py)
    HostFunction("setModuleVar", _PROVIDER | _RESYNC, (Arg("name", (str,)), Arg("value", _ANY)),
                 "set_module_var"),
)

# what a script of each kind is called in messages ("... is not available to <what>")
SCRIPT_NAMES = {
    ScriptKind.PROVIDER: "a provider script", ScriptKind.RESYNC: "a resync script",
    ScriptKind.DIALPLAN: "a dialplan script", ScriptKind.EXPAND: "a phone_types expansion",
    ScriptKind.FIRMWARE: "a firmware script",
}


_TABLES: dict[ScriptKind, dict[str, HostFunction]] = {
    kind: {f.name: f for f in HOST_FUNCTIONS if kind in f.kinds} for kind in ScriptKind}


def capabilities(kind: ScriptKind) -> dict[str, HostFunction]:
    """The host functions a script of `kind` may call, by name."""
    return dict(_TABLES[kind])


class CapabilityBroker:
    """The Broker for one script run: the manifest's functions for `kind`, performed by
    `handlers`.  Everything not in the manifest for that kind is refused here."""

    def __init__(self, kind: ScriptKind, handlers: object = None, what: str = "") -> None:
        self.kind = kind
        self.handlers = handlers
        self.what = what or SCRIPT_NAMES[kind]
        self._table = _TABLES[kind]
        missing = [f.handler for f in self._table.values()
                   if not callable(getattr(handlers, f.handler, None))]
        if missing:
            raise TypeError(f"{type(handlers).__name__} lacks handlers {missing} for "
                            f"{kind.value} scripts")

    async def call(self, function: str, args: list[Any]) -> Any:
        spec = self._table.get(function)
        if spec is None:
            raise BrokerError(f"{function}() is not available to {self.what}")
        spec.check(args)
        result = getattr(self.handlers, spec.handler)(*args)
        if inspect.isawaitable(result):
            result = await result
        return result
