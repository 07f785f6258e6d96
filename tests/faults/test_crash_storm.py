"""A module's worker pool survives 1,000 consecutive crashes without leaking.

The engine quarantines a module after a few consecutive failures, so the storm is driven
on the pool itself (NativeRuntime + open_pool), with real sandboxed workers.  Two kinds
of failure: PHP-level ones (fatal error, exit(1), memory limit), which the worker
survives, and process crashes (SIGSEGV from unbounded C recursion), each of which kills
a worker and makes the pool start a replacement.  Leaks are counted from outside:
child processes (live and zombie), this process's file descriptors, and its RSS.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import trio
from provhost.runtime.interface import Action, ScriptCall, ScriptKind
from provhost.runtime.native import NativeConfig, NativePool, NativeRuntime

from tests.runtime.conftest import ModuleDir, RecordingBroker

from .conftest import descendants, wait_for

WORKERS = 2
CRASHES = 1000  # measured: ~36 ms per process crash on 2 cores (spawning the replacement)
RSS_SLACK_KIB = 16 * 1024  # allocator noise; a per-worker leak of 16 KiB would pass it


@pytest.fixture
def module(tmp_path: Path) -> ModuleDir:
    os.chmod(tmp_path, 0o755)
    m = ModuleDir(tmp_path / "mod")
    m.script("providers/ok.php", "sendOk();")
    m.script("providers/fatal.php", "this_function_does_not_exist();")
    m.script("providers/exit.php", "exit(1);")
    m.script("providers/segv.php", "function f($n) { return array_map('f', [$n + 1]); } f(0);")
    return m


def call(script: str) -> ScriptCall:
    return ScriptCall(ScriptKind.PROVIDER, f"providers/{script}.php", {}, timeout=20.0)


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def zombie_children() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] == "Z" and fields[1] == me:
                found.append(int(entry))
    return found


async def crash_storm(pool: NativePool, script: str, count: int) -> list[str]:
    """`count` runs of a failing script from WORKERS concurrent callers: their outcomes,
    as "action: error"."""
    errors: list[str] = []

    async def caller(n: int) -> None:
        for _ in range(n):
            outcome = await pool.run(call(script), RecordingBroker())
            errors.append(f"{outcome.action.value}: {outcome.error}")

    async with trio.open_nursery() as nursery:
        share = count // WORKERS
        for i in range(WORKERS):
            nursery.start_soon(caller, share + (count % WORKERS if i == 0 else 0))
    return errors


async def settled(pool: NativePool, outside: set[int]) -> None:
    """Wait until every replacement has started and the pool is idle at full strength:
    WORKERS sandboxes of 3 processes each (bwrap, the sandbox's pid 1, phpworker), nothing
    more (a leaked process makes this wait fail), and no unreaped child."""
    await wait_for(lambda: pool.stats()["alive"] == WORKERS and pool.stats()["busy"] == 0
                   and len(descendants(os.getpid()) - outside) == 3 * WORKERS,
                   f"the pool to settle at {WORKERS} sandboxes", 20)
    await wait_for(lambda: not zombie_children(), "dead workers to be reaped", 10)


async def test_pool_survives_1000_process_crashes_without_leaks(module: ModuleDir) -> None:
    outside = descendants(os.getpid())
    async with NativeRuntime(NativeConfig(workers_per_pool=WORKERS)) as rt:
        pool = await rt.open_pool(module.image)
        # warm up: the first crashes allocate whatever is allocated once (caches, tasks)
        await crash_storm(pool, "segv", 20)
        await settled(pool, outside)
        fds, rss = fd_count(), rss_kib()
        started = pool.stats()["started"]

        errors = await crash_storm(pool, "segv", CRASHES)
        await settled(pool, outside)

        assert len(errors) == CRASHES
        assert set(errors) == {"error: providers/segv.php: the worker was killed by a crash "
                               "(SIGSEGV, e.g. unbounded recursion)"}
        stats = pool.stats()
        assert stats["started"] - started == CRASHES  # one replacement per crash
        assert fd_count() == fds
        grown = rss_kib() - rss
        print(f"{CRASHES} crashes: RSS {rss} -> {rss + grown} KiB, fds {fds}, "
              f"sandbox processes {3 * WORKERS}")
        assert grown < RSS_SLACK_KIB, f"RSS grew by {grown} KiB over {CRASHES} crashes"
        # and the pool still serves an innocent request
        assert (await pool.run(call("ok"), RecordingBroker())).action is Action.OK
    assert descendants(os.getpid()) - outside == set()
    assert fd_count() < fds  # the workers' pipes and pidfds are closed with the runtime


@pytest.mark.parametrize("script, outcome", [
    ("fatal", "error: Uncaught Error: Call to undefined function this_function_does_not_exist()"
              " in providers/fatal.php line 2"),  # line 1 is <?php
    ("exit", "pass: None"),  # exit() ends the script: an implicit passNext()
])
async def test_pool_survives_1000_php_failures_on_the_same_workers(
        module: ModuleDir, script: str, outcome: str) -> None:
    """PHP-level failures do not cost a process: the same workers keep serving."""
    outside = descendants(os.getpid())
    async with NativeRuntime(NativeConfig(workers_per_pool=WORKERS)) as rt:
        pool = await rt.open_pool(module.image)
        await crash_storm(pool, script, 20)
        await settled(pool, outside)
        fds, rss, pids = fd_count(), rss_kib(), set(pool.worker_pids())

        errors = await crash_storm(pool, script, CRASHES)
        await settled(pool, outside)

        assert set(errors) == {outcome}
        assert set(pool.worker_pids()) == pids and pool.stats()["crashed"] == 0
        assert fd_count() == fds
        assert rss_kib() - rss < RSS_SLACK_KIB
        assert (await pool.run(call("ok"), RecordingBroker())).action is Action.OK
