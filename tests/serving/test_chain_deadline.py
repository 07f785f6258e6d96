"""A request cut short by the chain's deadline leaves exactly one trace, marked with why
(it used to leave a half-filled "pending" trace beside a second one)."""

from __future__ import annotations

from pathlib import Path

import trio
from provhost.chain.answer import Busy
from provhost.chain.provisioner import (
    Provisioner,
    ProvisioningRequest,
    provision_with_deadline,
)
from provhost.engine import Engine
from provhost.hoststate import HostState
from provhost.paths import Paths
from provhost.runtime.native import NativeConfig, NativeRuntime

from ..foundation.moduletree import make_module


async def test_one_trace_per_request_on_a_chain_deadline(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    bundled = tmp_path / "bundled"
    make_module(bundled / "sleepy", "sleepy", "1.0",
                provider="<?php\nusleep(3000000);\npassNext();\n")
    state = HostState(Paths(data_dir=tmp_path / "data", bundled_dir=bundled))
    try:
        async with NativeRuntime(NativeConfig(workers_per_pool=1)) as runtime:
            engine = Engine(state, runtime)
            await engine.refresh()
            prov = Provisioner(engine)
            req = ProvisioningRequest("http", "/a.cfg", "192.0.2.7")
            try:
                answer, trace = await provision_with_deadline(prov, req, 0.5)
            finally:
                with trio.CancelScope(shield=True):
                    await engine.aclose()
        assert isinstance(answer, Busy) and answer.timed_out
        traces = prov.traces.recent()
        assert traces == [trace]  # one request, one trace
        assert trace.status == "error" and "within 0.5 s" in trace.note
    finally:
        state.close()
