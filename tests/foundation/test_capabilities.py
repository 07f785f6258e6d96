"""The capability manifest (moduleapi/capabilities.py) against the PHP shim and the module
API documentation, and its checks: a host function the shim calls but the table lacks
(or the reverse), or one the docs list wrongly, fails here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from provhost.moduleapi.capabilities import HOST_FUNCTIONS, CapabilityBroker, capabilities
from provhost.paths import SOURCE_ROOT
from provhost.runtime.interface import BrokerError, ScriptKind

API_PHP = (SOURCE_ROOT / "sdk-php-shim" / "api.php").read_text()
MODULE_API_MD = (SOURCE_ROOT / "docs" / "module-api.md").read_text()
SHIM_CALL = re.compile(r"Shim::call\('(\w+)',\s*\[([^\]]*)\]\)")
TABLE = {f.name: f for f in HOST_FUNCTIONS}


def test_the_shim_calls_exactly_the_functions_of_the_table() -> None:
    called = {m.group(1) for m in SHIM_CALL.finditer(API_PHP)}
    assert called, "no Shim::call found: has api.php changed its calling convention?"
    assert called - TABLE.keys() == set(), "the shim calls host functions the table lacks"
    assert TABLE.keys() - called == set(), "the table lists host functions the shim lacks"


def test_the_shim_passes_as_many_arguments_as_the_table_allows() -> None:
    for m in SHIM_CALL.finditer(API_PHP):
        spec = TABLE[m.group(1)]
        passed = len([a for a in m.group(2).split(",") if a.strip()])
        required = sum(1 for a in spec.args if not a.optional)
        assert required <= passed <= len(spec.args), m.group(0)


def test_the_docs_list_every_module_facing_host_function() -> None:
    documented = set(re.findall(r"^\| `(\w+)\(", MODULE_API_MD, re.M))
    for f in HOST_FUNCTIONS:
        if f.documented:
            assert f.name in documented, f"docs/module-api.md does not list {f.name}()"
        else:
            assert f.name not in documented, f"{f.name}() is shim-internal, not module API"
    # every other documented function is the shim's own (PHP only, no host call)
    shim_defined = set(re.findall(r"^function (\w+)\(", API_PHP, re.M))
    for name in documented - TABLE.keys():
        assert name in shim_defined, f"docs/module-api.md lists {name}(), which nobody defines"


class Handlers:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def associate_phone(self, mac: str, ident: str) -> dict[str, str]:
        self.calls.append(("associate_phone", (mac, ident)))
        return {"MAC": mac}

    async def set_marker(self, name: str, value: Any) -> None:
        self.calls.append(("set_marker", (name, value)))

    def set_module_var(self, name: str, value: Any) -> None:
        self.calls.append(("set_module_var", (name, value)))


async def test_a_provider_broker_runs_its_handlers_sync_or_async() -> None:
    h = Handlers()
    broker = CapabilityBroker(ScriptKind.PROVIDER, h)
    assert await broker.call("associatePhone", ["aa", "t1"]) == {"MAC": "aa"}
    assert await broker.call("setMarker", ["seen", [1, 2]]) is None
    assert h.calls == [("associate_phone", ("aa", "t1")), ("set_marker", ("seen", [1, 2]))]


@pytest.mark.parametrize("function, args, message", [
    ("urlopenPhone", ["http", "/"], r"urlopenPhone\(\) is not available to a provider script"),
    ("connectPhone", ["tcp", 80], r"connectPhone\(\) is not available to a provider script"),
    ("associatePhone", ["aa"], r"associatePhone\(\) takes 2 arguments, got 1"),
    ("associatePhone", ["aa", "t1", "x"], r"takes 2 arguments, got 3"),
    ("associatePhone", [1, "t1"], r"\$mac must be str, got int"),
    ("system", ["id"], r"system\(\) is not available"),
])
async def test_calls_outside_the_manifest_are_refused_before_any_handler(
        function: str, args: list[Any], message: str) -> None:
    h = Handlers()
    with pytest.raises(BrokerError, match=message):
        await CapabilityBroker(ScriptKind.PROVIDER, h).call(function, args)
    assert h.calls == []


@pytest.mark.parametrize("kind", [ScriptKind.DIALPLAN, ScriptKind.EXPAND, ScriptKind.FIRMWARE])
async def test_computing_scripts_have_no_capabilities(kind: ScriptKind) -> None:
    assert capabilities(kind) == {}
    for f in HOST_FUNCTIONS:
        with pytest.raises(BrokerError, match="is not available to"):
            await CapabilityBroker(kind).call(f.name, [])


def test_a_handler_set_missing_a_handler_is_caught_when_the_broker_is_made() -> None:
    with pytest.raises(TypeError, match="lacks handlers"):
        CapabilityBroker(ScriptKind.RESYNC, Handlers())
