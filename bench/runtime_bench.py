"""Runtime benchmark (not a test): a SPA-like provider + template, three ways side by side.

1. plain php-cli loop, no sandbox, state leaks (the speed ceiling)
2. the sandboxed worker pool (NativeRuntime), sequential and concurrent callers
3. cold start: spawn a sandboxed worker until it is ready, and its first request

Usage: .venv/bin/python bench/runtime_bench.py [--requests N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import trio
from proctree import pss_kib
from provhost.runtime import ipc
from provhost.runtime.interface import ModuleImage, ScriptCall, ScriptKind
from provhost.runtime.native import NativeConfig, NativeRuntime
from provhost_sandbox.php_ini import EXTENSION_DIR

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "spa_module"
PLAIN_LOOP = HERE / "fixtures" / "plain_loop.php"

VARIABLES: dict[str, Any] = {
    "PATH": "/Cisco/SPA504G/112233445566.cfg", "PROTO": "tftp", "OPERATOR_IP": "10.0.0.1",
    "TIMEZONE_OFFSET": 3600, "VOICEMAIL_EXT": "50",
    "PHONE_TYPES": {"spa504g": {"max_lines": 4}, "spa_generic": {"max_lines": 4}},
}
ASSOCIATION: dict[str, Any] = {
    "MAC": "112233445566", "IDENT": "spa504g", "ADMIN_PASSWORD": "eej5Shae1aeh",
    "LINES": [{"TELNUM": str(10 + i), "USER_FULLNAME": f"User {i}", "SIP_USERNAME": f"{10 + i}p1",
               "SIP_PASSWORD": "secret"} for i in range(4)],
}


class BenchBroker:
    async def call(self, function: str, args: list[Any]) -> Any:
        return ASSOCIATION if function == "associatePhone" else None


def summary(name: str, latencies: list[float], wall: float) -> str:
    lat = sorted(latencies)
    p50 = lat[len(lat) // 2] * 1e3
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3
    return (f"{name:<44} {len(lat) / wall:>9.0f} req/s   p50 {p50:6.2f} ms   "
            f"p99 {p99:6.2f} ms")


def bench_plain(n: int) -> str:
    ini = ["-n", "-d", f"extension_dir={EXTENSION_DIR}", "-d", "extension=msgpack.so",
           "-d", "zend_extension=opcache.so", "-d", "opcache.enable_cli=1"]
    proc = subprocess.Popen(["php", *ini, str(PLAIN_LOOP), str(FIXTURE)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin and proc.stdout
    frame = ipc.encode_frame(ipc.Kind.RUN, {"script": "providers/spa.php",
                                            "variables": VARIABLES, "answer": ASSOCIATION})
    decoder = ipc.FrameDecoder()
    latencies = []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        proc.stdin.write(frame)
        proc.stdin.flush()
        while (f := decoder.next_frame()) is None:
            decoder.feed(os.read(proc.stdout.fileno(), 65536))
        assert f.body["action"] == "template", f.body
        latencies.append(time.perf_counter() - t)
    wall = time.perf_counter() - start
    proc.stdin.close()
    proc.wait()
    return summary("plain php-cli loop (no sandbox, leaks state)", latencies, wall)


def image() -> ModuleImage:
    return ModuleImage("spa", "bench", FIXTURE / "files", FIXTURE / "compiled",
                       FIXTURE / "firmware")


RuntimeFactory = Callable[[int], AbstractAsyncContextManager[Any]]  # workers -> runtime


def native(workers: int) -> NativeRuntime:
    return NativeRuntime(NativeConfig(workers_per_pool=workers))


def call() -> ScriptCall:
    return ScriptCall(ScriptKind.PROVIDER, "providers/spa.php", VARIABLES)


async def bench_pool(label: str, factory: RuntimeFactory, n: int, concurrency: int,
                     workers: int, warm: int = 20) -> str:
    """n provider calls from `concurrency` callers on one pool of `workers` workers."""
    broker = BenchBroker()
    latencies: list[float] = []
    async with factory(workers) as rt:
        pool = await rt.open_pool(image())
        for _ in range(warm):  # warm up (opcache in every native worker)
            await pool.run(call(), broker)

        async def client(count: int) -> None:
            for _ in range(count):
                t = time.perf_counter()
                out = await pool.run(call(), broker)
                assert out.action.value == "template", out.error
                latencies.append(time.perf_counter() - t)

        start = time.perf_counter()
        async with trio.open_nursery() as nursery:
            for _ in range(concurrency):
                nursery.start_soon(client, n // concurrency)
        wall = time.perf_counter() - start
    return summary(label, latencies, wall)


async def bench_cold_start(label: str, factory: RuntimeFactory, rounds: int) -> str:
    """Open a one-worker pool until it is READY, then its first request; `rounds` times."""
    starts, firsts = [], []
    async with factory(1) as rt:
        for _ in range(rounds):
            t = time.perf_counter()
            pool = await rt.open_pool(image())
            starts.append(time.perf_counter() - t)
            t = time.perf_counter()
            await pool.run(call(), BenchBroker())
            firsts.append(time.perf_counter() - t)
            await pool.aclose()
    return (f"{label:<44} median {statistics.median(starts) * 1e3:6.1f} ms   "
            f"max {max(starts) * 1e3:6.1f} ms   first request "
            f"{statistics.median(firsts) * 1e3:6.2f} ms")


async def worker_pss(label: str, factory: RuntimeFactory) -> str:
    """PSS of one worker tree (bwrap + its children) after one request."""
    async with factory(1) as rt:
        pool = await rt.open_pool(image())
        await pool.run(call(), BenchBroker())
        total = pss_kib(pool.worker_pids())
    return f"{label:<44} {total / 1024:6.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    args = parser.parse_args()
    n = args.requests
    print(f"provider + template, {n} requests each, {os.cpu_count()} CPUs")
    print(bench_plain(n))
    for concurrency, workers in ((1, 1), (8, 2), (8, 4)):
        label = f"sandboxed pool, {workers} workers, {concurrency} callers"
        print(trio.run(bench_pool, label, native, n, concurrency, workers, 50))
    print(trio.run(bench_cold_start, "cold start (spawn bwrap+worker until READY)", native, 20))
    print(trio.run(worker_pss, "idle worker memory (PSS, whole tree)", native))


if __name__ == "__main__":
    main()
