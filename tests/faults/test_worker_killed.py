"""A PHP worker killed in the middle of a request (the OOM killer, an operator's kill -9).

The module that owned the worker is first in the chain and its provider is asleep when
the worker dies: the request must not hang until the deadline nor fail -- the chain goes
on to the next module (cisco-spa serves the phone), one log line names module, script
and reason, and the following requests run on a replacement worker.
"""

from __future__ import annotations

import logging
import os
import signal

import httpx
import pytest
import trio

from .conftest import SPA_MAC, Running, sandbox_workers, wait_for, wchan

# Sleeps only for the one phone under test; every other request passes straight on.
NAPPER = f"""<?php
if (strpos($PATH, '{SPA_MAC}') !== false) {{ sleep(30); }}
passNext();
"""
OTHER_MAC = "0004f2000778"


def asleep(pid: int) -> bool:
    """In PHP's sleep(): natively a nanosleep, under wasm a futex wait of the host's timer.
    An idle worker waits in a read of its request pipe."""
    return wchan(pid) in ("hrtimer_nanosleep", "futex_do_wait", "futex_wait_queue")


@pytest.mark.parametrize("victim", ["interpreter", "bwrap"])
async def test_worker_killed_mid_request_fails_over_to_the_next_module(
        server: Running, caplog: pytest.LogCaptureFixture, victim: str) -> None:
    await server.install("napper", NAPPER, sequence="1")
    await server.start_pools()
    server.svc.phone_add(OTHER_MAC, "spa504g")
    before = await wait_for(lambda: len(sandbox_workers("napper")) == 2 and sandbox_workers("napper"),
                            "the napper pool's two workers")
    result: dict[str, httpx.Response] = {}

    async with httpx.AsyncClient(timeout=30) as client:
        async def boot() -> None:
            result["r"] = await client.get(server.url(f"/Cisco/SPA504G/{SPA_MAC}.cfg"))

        with caplog.at_level(logging.ERROR, logger="provhost.chain"):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(boot)
                sleeper = await wait_for(
                    lambda: [p for p in sandbox_workers("napper") if asleep(p)],
                    "a napper worker asleep in the provider")
                assert len(sleeper) == 1
                php_pid = sleeper[0]
                os.kill(php_pid if victim == "interpreter" else before[php_pid], signal.SIGKILL)

        r = result["r"]
        assert r.status_code == 200 and b"<flat-profile>" in r.content  # cisco-spa answered
        lines = [rec.getMessage() for rec in caplog.records]
        assert len(lines) == 1, lines
        assert lines[0].startswith("module napper, script providers/p.php: providers/p.php: "
                                   "the worker was killed by"), lines[0]
        assert "time limit" not in lines[0]  # it failed at once, not at its deadline
        trace = await server.last_trace()
        # (yealink declares paths that exclude /Cisco/...: it is not asked)
        assert [(s["module"], s["decision"]) for s in trace["steps"]] == [
            ("napper", "error"), ("cisco-spa", "template")]
        assert trace["answered_by"] == "cisco-spa"

        # the next requests: a replacement worker, no further error
        after = await wait_for(lambda: len(sandbox_workers("napper")) == 2 and sandbox_workers("napper"),
                               "a replacement worker for napper")
        assert php_pid not in after and len(set(after) - set(before)) == 1
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="provhost.chain"):
            for _ in range(4):
                r = await client.get(server.url(f"/Cisco/SPA504G/{OTHER_MAC}.cfg"))
                assert r.status_code == 200 and b"<flat-profile>" in r.content
                trace = await server.last_trace()
                assert trace["steps"][0]["module"] == "napper"
                assert trace["steps"][0]["decision"] == "pass"
        assert not caplog.records, [rec.getMessage() for rec in caplog.records]


async def test_worker_killed_while_idle_costs_no_request(
        server: Running, caplog: pytest.LogCaptureFixture) -> None:
    """A worker that dies between requests is replaced; no phone's request pays for it."""
    await server.install("napper", NAPPER, sequence="1")
    await server.start_pools()
    before = await wait_for(lambda: len(sandbox_workers("napper")) == 2 and sandbox_workers("napper"),
                            "the napper pool's two workers")
    server.svc.phone_add(OTHER_MAC, "spa504g")
    for php_pid in before:
        os.kill(php_pid, signal.SIGKILL)
    await wait_for(lambda: not set(sandbox_workers("napper")) & set(before), "the workers to die")
    with caplog.at_level(logging.ERROR, logger="provhost.chain"):
        async with httpx.AsyncClient(timeout=30) as client:
            for _ in range(3):
                r = await client.get(server.url(f"/Cisco/SPA504G/{OTHER_MAC}.cfg"))
                assert r.status_code == 200 and b"<flat-profile>" in r.content
    assert not caplog.records, [rec.getMessage() for rec in caplog.records]
