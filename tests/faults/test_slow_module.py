"""A slow module (its provider sleeps until the deadline kills it) under many requests.

Its pool's workers are all asleep and its queue is full.  Phones of other modules must
keep being served meanwhile -- also when the slow module comes *first* in the chain, where
every request passes through it: a pool whose every worker is stuck past the stall
threshold is skipped like a failing module.  The slow module's own excess requests get a
clear overload answer (HTTP 503 + Retry-After, TFTP error "server busy") instead of joining
an unbounded queue.  No speed is asserted: "meanwhile" means "while the module's workers
are still asleep on the first slow requests" (none has reached its deadline yet).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import trio
from provhost.runtime.native import NativeConfig

from .conftest import SPA_MAC, Running, sandbox_workers, wait_for

SLOWPOKE = """<?php
if (strncmp($PATH, '/slow/', 6) === 0) { sleep(60); }
passNext();
"""
# running + waiting (WasmConfig has the same defaults as NativeConfig)
WORKERS = NativeConfig().workers_per_pool
ADMITTED = WORKERS + NativeConfig().max_queue
EXCESS = 6


def asleep(pid: int) -> bool:
    """Whether the process sleeps (state S: PHP's sleep(), natively or through WASI)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] == "S"


def sleeping_workers(module_id: str) -> dict[int, int] | None:
    """The module's workers once all of them sleep (else None)."""
    workers = sandbox_workers(module_id)
    if len(workers) == WORKERS and all(asleep(pid) for pid in workers):
        return workers
    return None


async def tftp_get(port: int, remote: str, local: Path) -> tuple[int, str]:
    proc = await trio.run_process(
        ["tftp", "-m", "octet", "127.0.0.1", str(port), "-c", "get", remote, str(local)],
        capture_stdout=True, capture_stderr=True, check=False)
    return proc.returncode, (proc.stdout + proc.stderr).decode()


@pytest.mark.parametrize("position", [
    "9",  # after the bundled modules: SPA phones never reach it
    "1",  # before them: every SPA request is offered to it first
], ids=["slow-module-last", "slow-module-first"])
async def test_slow_module_does_not_stall_other_phones(
        server: Running, tmp_path: Path, position: str) -> None:
    await server.install("slowpoke", SLOWPOKE, sequence=position)
    slow: list[int] = []  # statuses of slow requests answered so far
    retry_after: list[str | None] = []
    limits = httpx.Limits(max_connections=ADMITTED + EXCESS + 10)

    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        async def slow_request(i: int) -> None:
            r = await client.get(server.url(f"/slow/{i}.txt"))
            slow.append(r.status_code)
            retry_after.append(r.headers.get("retry-after"))

        async with trio.open_nursery() as nursery:
            for i in range(ADMITTED + EXCESS):
                nursery.start_soon(slow_request, i)
            # the excess is refused at once, with a clear answer
            await wait_for(lambda: len(slow) >= EXCESS, "the overload answers", 20)
            sleepers = await wait_for(lambda: sleeping_workers("slowpoke"), "the sleepers")
            # once every worker has slept past the stall threshold the pool is stalled: the
            # queued slow requests stop waiting (503 as well) and the chain skips the module
            await wait_for(lambda: len(slow) >= ADMITTED + EXCESS - WORKERS,
                           "the queued requests' answers", 20)
            assert set(slow) == {503} and set(retry_after) == {"5"}
            r = await client.get(server.url("/slow/one-more.txt"))
            assert r.status_code == 503 and r.headers["retry-after"] == "5"
            assert "busy" in r.text
            rc, out = await tftp_get(server.ports.tftp, "/slow/tftp.txt", tmp_path / "x")
            assert "Error code 0: server busy" in out, out  # (tftp-hpa exits 0 on errors)

            # meanwhile the other modules' phones are served, over HTTP and TFTP
            for _ in range(10):
                r = await client.get(server.url(f"/Cisco/SPA504G/{SPA_MAC}.cfg"))
                assert r.status_code == 200 and b"<flat-profile>" in r.content
            rc, out = await tftp_get(server.ports.tftp, f"/Cisco/SPA504G/{SPA_MAC}.cfg",
                                     tmp_path / "spa.cfg")
            assert rc == 0 and "Error" not in out, out
            assert b"<flat-profile>" in (tmp_path / "spa.cfg").read_bytes()
            r = await client.get(server.url("/spa504G.cfg"))  # another SPA file
            assert r.status_code == 200

            # ... while the module's workers are still asleep on the first slow requests
            # (the same processes: a worker is only replaced when its deadline kills it)
            assert sandbox_workers("slowpoke") == sleepers
            assert all(asleep(pid) for pid in sleepers), sleepers
            stats = (await server.api.get("/modules")).json()
            assert any(m["id"] == "slowpoke" and not m["quarantined"] for m in stats)
            nursery.cancel_scope.cancel()
