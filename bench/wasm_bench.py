"""WASM runtime benchmark (not a test): the seed's SPA provider + template, side by side on

1. the native sandboxed pool (NativeRuntime: Debian PHP + opcache in bubblewrap)
2. the wasm pool, a fresh instance per request (WasmRuntime, the default)
3. the wasm pool, one instance reused for 100 requests (PHP request cycles, like native)

each with 1 worker/1 caller and 2 workers/8 callers; then cold start (spawn a worker until
READY, and its first request) of both runtimes, and the idle memory of one worker.

Usage: .venv/bin/python bench/wasm_bench.py [--requests N]   (php.wasm must be built:
bash sandbox/wasm/build.sh)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import trio
from provhost.runtime.interface import ScriptCall, ScriptKind
from provhost.runtime.native import NativeConfig, NativeRuntime
from provhost.runtime.wasm import WasmConfig, WasmRuntime
from runtime_bench import VARIABLES, BenchBroker, image, summary

RuntimeFactory = Callable[[int], AbstractAsyncContextManager[Any]]

RUNTIMES: dict[str, RuntimeFactory] = {
    "native sandboxed": lambda w: NativeRuntime(NativeConfig(workers_per_pool=w)),
    "wasm fresh instance": lambda w: WasmRuntime(WasmConfig(workers_per_pool=w)),
    "wasm pooled instance (100 req)": lambda w: WasmRuntime(
        WasmConfig(workers_per_pool=w, reuse_instance=100)),
}


def call() -> ScriptCall:
    return ScriptCall(ScriptKind.PROVIDER, "providers/spa.php", VARIABLES)


async def bench_pool(name: str, factory: RuntimeFactory, n: int, concurrency: int,
                     workers: int) -> str:
    broker = BenchBroker()
    latencies: list[float] = []
    async with factory(workers) as rt:
        pool = await rt.open_pool(image())
        for _ in range(20):  # warm up (opcache for native)
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
    return summary(f"{name}, {workers}w/{concurrency}c", latencies, wall)


async def bench_cold_start(name: str, factory: RuntimeFactory, rounds: int) -> str:
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
    return (f"{'cold start ' + name:<44} median {statistics.median(starts) * 1e3:6.1f} ms   "
            f"max {max(starts) * 1e3:6.1f} ms   first request "
            f"{statistics.median(firsts) * 1e3:6.2f} ms")


async def worker_pss(name: str, factory: RuntimeFactory) -> str:
    """PSS of one worker tree (bwrap + its children) after one request."""
    async with factory(1) as rt:
        pool = await rt.open_pool(image())
        await pool.run(call(), BenchBroker())
        total = 0
        todo = list(pool.worker_pids())
        while todo:
            pid = todo.pop()
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            todo += [int(c) for c in children]
    return f"{'worker memory (PSS) ' + name:<44} {total / 1024:6.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    n = args.requests
    print(f"SPA provider + template, {n} requests per line, {os.cpu_count()} CPUs")
    for concurrency, workers in ((1, 1), (8, 2)):
        for name, factory in RUNTIMES.items():
            print(trio.run(bench_pool, name, factory, n, concurrency, workers), flush=True)
    for name in ("native sandboxed", "wasm fresh instance"):
        print(trio.run(bench_cold_start, name, RUNTIMES[name], 10), flush=True)
    for name in ("native sandboxed", "wasm fresh instance"):
        print(trio.run(worker_pss, name, RUNTIMES[name]), flush=True)


if __name__ == "__main__":
    main()
