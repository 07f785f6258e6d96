"""Differential on the bundled modules: the whole chain (engine, provisioner, the real
cisco-spa, polycom and yealink modules) answers a phone's fetches identically on the native
and the WASM runtime.

One data directory is set up (phones, lines, numbering), then copied, so both runtimes
start from byte-identical state (generated SIP passwords included).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from provhost.chain.answer import Served, answer_reason, served_bytes
from provhost.chain.provisioner import Provisioner, ProvisioningRequest
from provhost.engine import Engine
from provhost.paths import Paths
from provhost.runtime.native import NativeConfig, NativeRuntime
from provhost.runtime.wasm import WasmConfig, WasmRuntime
from provhost.service import Service

from tests.conftest import BUNDLED

SPA, POLY, YEA = "0004f2000701", "0004f2000702", "0015650000aa"
# The fetches each phone makes (REVIEW order), plus a few paths nobody answers.
REQUESTS = [
    ("tftp", "/Cisco/SPA504G/spa504g.cfg", "192.0.2.11"),
    ("tftp", f"/Cisco/SPA504G/{SPA}.cfg", "192.0.2.11"),
    ("http", f"/Cisco/SPA504G/{SPA}.cfg", "192.0.2.11"),
    ("tftp", f"/{POLY}.cfg", "192.0.2.12"),
    ("tftp", "/sip.ld", "192.0.2.12"),
    ("tftp", f"/polycom-VVX500-{POLY}.cfg", "192.0.2.12"),
    ("tftp", f"/{POLY}-phone.cfg", "192.0.2.12"),
    ("tftp", f"/{POLY}-directory.xml", "192.0.2.12"),
    ("tftp", "/y000000000028.cfg", "192.0.2.13"),
    ("tftp", f"/{YEA}.cfg", "192.0.2.13"),
    ("http", f"/{YEA}.cfg", "192.0.2.13"),
    ("tftp", "/nothing/here.cfg", "192.0.2.14"),
    ("tftp", "/y000000000099.cfg", "192.0.2.15"),
]


def set_up(paths: Paths) -> None:
    svc = Service(paths)
    try:
        svc.store.add_user("alice", "Alice Example")
        for n in ("10", "150", "20", "25", "99"):
            svc.line_add(n)
        svc.prefix_add("9")
        svc.setting_set("VOICEMAIL_EXT", "25")
        for mac, ptype, line in ((SPA, "spa504g", "10"), (POLY, "vvx500", "20"),
                                 (YEA, "yealink_t46", "150")):
            svc.phone_add(mac, ptype)
            svc.phone_set_password(mac, "admin-pw")
            svc.line_assign(line, mac)
    finally:
        svc.close()


async def answers(paths: Paths, make: Callable[[], AbstractAsyncContextManager[Any]]
                  ) -> list[tuple[Any, ...]]:
    svc = Service(paths)
    out: list[tuple[Any, ...]] = []
    try:
        async with make() as runtime:
            engine = Engine(svc.state, runtime)
            try:
                await engine.refresh()
                prov = Provisioner(engine)
                for proto, path, ip in REQUESTS:
                    answer, _ = await prov.provision(ProvisioningRequest(proto, path, ip))
                    ctype = answer.content_type if isinstance(answer, Served) else None
                    out.append((path, type(answer).__name__, answer.status, answer.module,
                                ctype, served_bytes(answer), answer_reason(answer)))
            finally:
                await engine.aclose()
    finally:
        svc.close()
    return out


async def test_bundled_modules_answer_identically(paths: Paths, tmp_path: Path):
    set_up(paths)
    copy = Paths(data_dir=tmp_path / "data-wasm", bundled_dir=BUNDLED)
    shutil.copytree(paths.data_dir, copy.data_dir)
    native = await answers(paths, lambda: NativeRuntime(NativeConfig(workers_per_pool=1)))
    wasm = await answers(copy, lambda: WasmRuntime(WasmConfig(workers_per_pool=1)))
    served = [a for a in native if a[2] == "served"]
    assert len(served) >= 6, native  # the comparison covers real configurations
    for n, w in zip(native, wasm, strict=True):
        assert w == n, n[0]
