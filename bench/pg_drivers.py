"""Which PostgreSQL driver for the store, measured under trio (the choice in
host/provhost/store/postgres.py).  Not a test; loopback (Unix socket) only.

The store is synchronous: the trio loop and worker threads call it and wait.  Three ways
to do a provhost-shaped read (one phone row by MAC) and write (one small transaction):

    psycopg-sync      psycopg 3's sync API and a ConnectionPool, called directly
    psycopg-threads   the same, from C trio tasks via trio.to_thread.run_sync
    asyncpg-bridge    asyncpg on an asyncio loop in a thread (asyncpg does not run on
                      trio), each call handed over with run_coroutine_threadsafe

    .venv/bin/python bench/pg_drivers.py [--ops N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.pgcluster import running_cluster

SCHEMA = ("CREATE TABLE phones (mac TEXT PRIMARY KEY, last_ip TEXT NOT NULL, "
          "last_seen DOUBLE PRECISION NOT NULL)")


def _psycopg(url: str) -> tuple[Callable[[int], Any], Callable[[int], Any], Callable[[], None]]:
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(url, min_size=4, max_size=8, kwargs={"autocommit": True})
    pool.wait()

    def read(i: int) -> Any:
        with pool.connection() as c:
            return c.execute("SELECT * FROM phones WHERE mac=%s", (f"{i % 1000:012x}",)
                             ).fetchone()

    def write(i: int) -> Any:
        with pool.connection() as c, c.transaction():
            c.execute("UPDATE phones SET last_seen=%s WHERE mac=%s",
                      (time.time(), f"{i % 1000:012x}"))

    return read, write, pool.close


def _asyncpg(url: str) -> tuple[Callable[[int], Any], Callable[[int], Any], Callable[[], None]]:
    import asyncpg  # type: ignore[import-not-found]

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    # asyncpg takes libpq-style keywords, not our ?host= URL form
    dbname = url.split("/")[3].split("?")[0]
    host = url.split("host=")[1].split("&")[0]

    async def _open() -> Any:
        return await asyncpg.create_pool(host=host, user="postgres", database=dbname,
                                         min_size=4, max_size=8)

    pool = asyncio.run_coroutine_threadsafe(_open(), loop).result()

    async def _read(i: int) -> Any:
        return await pool.fetchrow("SELECT * FROM phones WHERE mac=$1", f"{i % 1000:012x}")

    async def _write(i: int) -> Any:
        async with pool.acquire() as c, c.transaction():
            await c.execute("UPDATE phones SET last_seen=$1 WHERE mac=$2", time.time(),
                            f"{i % 1000:012x}")

    def read(i: int) -> Any:
        return asyncio.run_coroutine_threadsafe(_read(i), loop).result()

    def write(i: int) -> Any:
        return asyncio.run_coroutine_threadsafe(_write(i), loop).result()

    def close() -> None:
        asyncio.run_coroutine_threadsafe(pool.close(), loop).result()
        loop.call_soon_threadsafe(loop.stop)

    return read, write, close


async def _run(fn: Callable[[int], Any], ops: int, concurrency: int, threads: bool
               ) -> tuple[float, float]:
    """(operations per second, p99 latency in ms)."""
    latencies: list[float] = []
    counter = iter(range(ops))

    async def worker() -> None:
        for i in counter:
            t = time.perf_counter()
            if threads:
                await trio.to_thread.run_sync(fn, i)
            else:
                fn(i)
                await trio.lowlevel.checkpoint()
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    async with trio.open_nursery() as n:
        for _ in range(concurrency if threads else 1):
            n.start_soon(worker)
    elapsed = time.perf_counter() - start
    return ops / elapsed, statistics.quantiles(latencies, n=100)[98] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=8)
    a = ap.parse_args()
    with running_cluster() as cluster:
        url = cluster.new_database()
        import psycopg

        with psycopg.connect(url, autocommit=True) as c:
            c.execute(SCHEMA)
            with c.cursor() as cur:
                cur.executemany("INSERT INTO phones VALUES(%s, '127.0.0.1', 0)",
                                [(f"{i:012x}",) for i in range(1000)])
        print(f"{a.ops} operations each; shared 2-core machine (other jobs running)")
        print(f"{'driver':18} {'kind':6} {'ops/s':>8} {'p99 ms':>8}")
        for name, make, threads in (("psycopg-sync", _psycopg, False),
                                    ("psycopg-threads", _psycopg, True),
                                    ("asyncpg-bridge", _asyncpg, False),
                                    ("asyncpg-bridge-thr", _asyncpg, True)):
            read, write, close = make(url)
            for kind, fn in (("read", read), ("write", write)):
                rate, p99 = trio.run(_run, fn, a.ops, a.concurrency, threads)
                print(f"{name:18} {kind:6} {rate:8.0f} {p99:8.2f}")
            close()


if __name__ == "__main__":
    main()
