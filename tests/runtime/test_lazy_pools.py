"""Lazy pools: no worker processes until a module's first call, and none again after an
idle period, so idle memory and server start-up do not grow with the module count.  A
worker that cannot start is the calling request's error, not a silent wait."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import trio
from provhost.runtime.interface import Action
from provhost.runtime.native import NativeConfig, NativeRuntime

from tests.proctree import descendants

from .conftest import ModuleDir, RecordingBroker, provider


async def test_lazy_pools_start_no_workers_until_their_first_call(module: ModuleDir) -> None:
    module.script("providers/ok.php", "sendOk();")
    before = descendants(os.getpid())
    async with NativeRuntime(NativeConfig(workers_per_pool=2)) as rt:
        pools = [await rt.open_pool(module.image, lazy=True) for _ in range(25)]
        assert descendants(os.getpid()) - before == set()  # 25 modules, no processes
        assert all(p.stats()["cold"] and p.stats()["alive"] == 0 for p in pools)
        out = await pools[3].run(provider("providers/ok.php"), RecordingBroker())
        assert out.action is Action.OK
        with trio.fail_after(10):
            while pools[3].stats()["alive"] < 2:  # the second worker starts behind the first
                await trio.sleep(0.02)
        assert [p.stats()["alive"] for p in pools].count(0) == 24


async def test_an_idle_pool_shrinks_to_no_workers_and_comes_back(module: ModuleDir) -> None:
    module.script("providers/ok.php", "sendOk();")
    async with NativeRuntime(NativeConfig(workers_per_pool=1, idle_after=0.3)) as rt:
        pool = await rt.open_pool(module.image, lazy=True)
        assert (await pool.run(provider("providers/ok.php"), RecordingBroker())).action \
            is Action.OK
        pids = set(pool.worker_pids())
        assert len(pids) == 1
        with trio.fail_after(10):
            while pool.stats()["alive"]:
                await trio.sleep(0.05)
        assert pool.stats()["cold"]
        assert (await pool.run(provider("providers/ok.php"), RecordingBroker())).action \
            is Action.OK
        assert pool.stats()["started"] == 2 and not set(pool.worker_pids()) & pids


async def test_a_busy_pool_does_not_shrink(module: ModuleDir) -> None:
    module.script("providers/ok.php", "sendOk();")
    async with NativeRuntime(NativeConfig(workers_per_pool=1, idle_after=0.4)) as rt:
        pool = await rt.open_pool(module.image, lazy=True)
        for _ in range(8):  # a call every 0.1 s: never idle for 0.4 s
            assert (await pool.run(provider("providers/ok.php"), RecordingBroker())).action \
                is Action.OK
            await trio.sleep(0.1)
        assert pool.stats()["started"] == 1


async def test_a_worker_that_cannot_start_fails_the_first_call(module: ModuleDir,
                                                                tmp_path: Path) -> None:
    def command(mounts, ipc_in, ipc_out, seccomp_fd):
        return [sys.executable, "-c", "import sys; sys.exit(7)"]

    async with NativeRuntime(NativeConfig(workers_per_pool=1, command=command)) as rt:
        pool = await rt.open_pool(module.image, lazy=True)  # opening does not start it
        with trio.fail_after(10):
            out = await pool.run(provider("providers/x.php"), RecordingBroker())
        assert out.action is Action.ERROR and "failed to start" in (out.error or "")
