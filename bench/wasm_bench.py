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

import trio
from provhost.runtime.wasm import WasmConfig, WasmRuntime
from runtime_bench import RuntimeFactory, bench_cold_start, bench_pool, native, worker_pss

RUNTIMES: dict[str, RuntimeFactory] = {
    "native sandboxed": native,
    "wasm fresh instance": lambda w: WasmRuntime(WasmConfig(workers_per_pool=w)),
    "wasm pooled instance (100 req)": lambda w: WasmRuntime(
        WasmConfig(workers_per_pool=w, reuse_instance=100)),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    n = args.requests
    print(f"SPA provider + template, {n} requests per line, {os.cpu_count()} CPUs")
    for concurrency, workers in ((1, 1), (8, 2)):
        for name, factory in RUNTIMES.items():
            label = f"{name}, {workers}w/{concurrency}c"
            print(trio.run(bench_pool, label, factory, n, concurrency, workers), flush=True)
    for name in ("native sandboxed", "wasm fresh instance"):
        print(trio.run(bench_cold_start, f"cold start {name}", RUNTIMES[name], 10), flush=True)
    for name in ("native sandboxed", "wasm fresh instance"):
        print(trio.run(worker_pss, f"worker memory (PSS) {name}", RUNTIMES[name]), flush=True)


if __name__ == "__main__":
    main()
