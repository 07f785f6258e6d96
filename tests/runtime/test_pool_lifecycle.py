"""Pool and process lifecycle: replacement, limits, overload, closing, no stray processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import trio
from provhost.runtime.interface import Action, PoolClosed, PoolOverloaded
from provhost.runtime.native import NativeConfig, NativeRuntime

from tests.proctree import descendants

from .conftest import ModuleDir, RecordingBroker, provider

STUB = Path(__file__).with_name("hostile_worker_stub.py")
REPO = Path(__file__).resolve().parents[2]


async def test_no_worker_processes_remain_after_runtime_closes(module: ModuleDir):
    module.script("providers/ok.php", "sendOk();")
    before = descendants(os.getpid())
    async with NativeRuntime(NativeConfig(workers_per_pool=2)) as rt:
        pools = [await rt.open_pool(module.image) for _ in range(2)]
        assert (await pools[0].run(provider("providers/ok.php"), RecordingBroker())).action \
            is Action.OK
        during = descendants(os.getpid()) - before
        assert len(during) >= 8  # 4 workers: bwrap, bwrap's pid 1, phpworker each (at least 2)
    assert descendants(os.getpid()) - before == set()


async def test_workers_die_when_the_host_is_killed(module: ModuleDir):
    module.script("providers/ok.php", "sendOk();")
    host = textwrap.dedent(f"""
        import json, os, sys, trio
        from provhost.runtime.native import NativeRuntime, NativeConfig
        from provhost.runtime.interface import ModuleImage
        from pathlib import Path
        async def main():
            async with NativeRuntime(NativeConfig(workers_per_pool=2)) as rt:
                await rt.open_pool(ModuleImage('m', '1', Path({str(module.files)!r}),
                    Path({str(module.compiled)!r}), Path({str(module.firmware)!r})))
                print('ready', flush=True)
                await trio.sleep(60)
        trio.run(main)
    """)
    proc = subprocess.Popen([sys.executable, "-c", host], stdout=subprocess.PIPE, cwd=REPO)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        workers = descendants(proc.pid)
        assert len(workers) >= 4
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for _ in range(100):  # bounded wait for the kernel to deliver PDEATHSIG
            alive = {p for p in workers if Path(f"/proc/{p}").exists()
                     and "Z" not in Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1][:3]}
            if not alive:
                break
            time.sleep(0.05)
        assert alive == set()
    finally:
        proc.kill()
        proc.wait()


def stub_config(mode: str, **kw) -> NativeConfig:
    def command(mounts, ipc_in, ipc_out, seccomp_fd):
        return [sys.executable, str(STUB), str(ipc_in), str(ipc_out), mode]
    return NativeConfig(workers_per_pool=1, command=command, **kw)


@pytest.mark.parametrize("mode, reason", [
    ("garbage", "protocol violation"),
    ("oversize", "exceeds the limit"),
    ("ready_again", "worker sent READY while running"),
    ("bogus_action", "unknown action"),
    ("bad_call", "malformed call frame"),
    ("exit", "exited with status 3"),
])
async def test_hostile_worker_is_killed_and_host_survives(module: ModuleDir, mode, reason):
    async with NativeRuntime(stub_config(mode)) as rt:
        pool = await rt.open_pool(module.image)
        out = await pool.run(provider("providers/x.php"), RecordingBroker())
        assert out.action is Action.ERROR and reason in out.error, out.error
        assert pool.stats()["crashed"] == 1


async def test_worker_replaced_after_max_requests(module: ModuleDir):
    module.script("providers/ok.php", "sendOk();")
    async with NativeRuntime(NativeConfig(workers_per_pool=1, max_requests_per_worker=2)) as rt:
        pool = await rt.open_pool(module.image)
        for _ in range(5):
            assert (await pool.run(provider("providers/ok.php"), RecordingBroker())).action \
                is Action.OK
        assert pool.stats()["started"] == 3
        assert pool.stats()["served"] == 5


async def test_overload_and_close_while_waiting(module: ModuleDir):
    module.script("providers/slow.php", "setMarker('m', 1); sendOk();")
    release = trio.Event()

    async def slow_marker(name, value):
        await release.wait()

    broker = RecordingBroker(answers={"setMarker": slow_marker})
    results: dict[str, object] = {}
    async with NativeRuntime(NativeConfig(workers_per_pool=1, max_queue=1)) as rt:
        pool = await rt.open_pool(module.image)

        async def call(name: str) -> None:
            try:
                results[name] = (await pool.run(provider("providers/slow.php"), broker)).action
            except (PoolOverloaded, PoolClosed) as exc:
                results[name] = type(exc)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(call, "running")
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(call, "queued")
            await trio.testing.wait_all_tasks_blocked()
            await call("overflow")
            assert results["overflow"] is PoolOverloaded
            assert pool.stats()["queued"] == 1 and pool.stats()["busy"] == 1
            release.set()
        assert results == {"running": Action.OK, "queued": Action.OK,
                           "overflow": PoolOverloaded}

        release = trio.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(call, "running2")
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(call, "queued2")
            await trio.testing.wait_all_tasks_blocked()
            await pool.aclose()
        assert results["queued2"] is PoolClosed
        assert results["running2"] is Action.ERROR
        with pytest.raises(PoolClosed):
            await pool.run(provider("providers/slow.php"), broker)


async def test_cancelled_caller_retires_the_worker(module: ModuleDir):
    module.script("providers/loop.php", "while (true) {}")
    module.script("providers/ok.php", "sendOk();")
    async with NativeRuntime(NativeConfig(workers_per_pool=1)) as rt:
        pool = await rt.open_pool(module.image)
        with trio.move_on_after(0.3):
            await pool.run(provider("providers/loop.php"), RecordingBroker())
        assert (await pool.run(provider("providers/ok.php"), RecordingBroker())).action \
            is Action.OK
        assert pool.stats()["started"] == 2


async def test_missing_module_dir_is_a_clear_error(tmp_path: Path):
    from provhost.runtime.interface import ModuleImage
    async with NativeRuntime() as rt:
        with pytest.raises(FileNotFoundError, match="module image directory missing"):
            await rt.open_pool(ModuleImage("m", "1", tmp_path / "no", tmp_path, tmp_path))


def test_stats_shape_is_json(module: ModuleDir):
    async def main():
        async with NativeRuntime(NativeConfig(workers_per_pool=1)) as rt:
            pool = await rt.open_pool(module.image)
            return pool.stats()
    stats = trio.run(main)
    assert json.loads(json.dumps(stats))["alive"] == 1
