"""Benchmark: single-block TFTP transfers/s against provhost's trio TFTP server, beside a
raw trio UDP echo server (the ceiling for anything trio does per datagram), same run.

Not a test.  Loopback only; every phase is bounded in count and in time.  Each server
runs in its own child process (so client and server do not share one GIL); the
client side uses plain blocking/selectors sockets to stay cheap.

A single-block transfer is RRQ -> DATA (from a fresh server port) -> ACK: one round
trip plus a one-way ACK, and the server opens and closes a socket for each.  An echo
is one round trip.  The ratio compares the two rates.

    .venv/bin/python bench/udp_tftp_bench.py [--count N] [--seconds S] [--concurrency C]
"""

from __future__ import annotations

import argparse
import os
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
PAYLOAD = b"# phone config\n" * 20  # 300 bytes: fits one 512-byte block
ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ servers (child side)


def serve(kind: str) -> None:
    import logging

    import trio

    if os.environ.get("BENCH_DEBUG"):
        logging.basicConfig(level=logging.DEBUG)

    sys.path.insert(0, str(ROOT / "host"))
    from provhost.tftp import BytesReply, TftpConfig, serve_tftp

    async def handler(request: object) -> BytesReply:
        return BytesReply(PAYLOAD)

    async def echo(task_status: trio.TaskStatus[int]) -> None:
        with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            await sock.bind((HOST, 0))
            task_status.started(sock.getsockname()[1])
            while True:
                data, addr = await sock.recvfrom(65536)
                await sock.sendto(data, addr)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            if kind == "echo":
                port = await nursery.start(echo)
            else:
                config = TftpConfig(max_per_client=1 << 20, max_transfers=1 << 20)
                port = await nursery.start(
                    lambda task_status: serve_tftp(
                        handler, host=HOST, port=0, config=config, task_status=task_status
                    )
                )
            print(port, flush=True)

    trio.run(main)


def start_server(kind: str) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT / "host")},
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, port


# ------------------------------------------------------------------ clients (parent side)

RRQ = b"\x00\x01/bench.cfg\x00octet\x00"
DATA1_HEADER = b"\x00\x03\x00\x01"


def tftp_once(sock: socket.socket, port: int) -> None:
    sock.sendto(RRQ, (HOST, port))
    data, server = sock.recvfrom(2048)
    if not data.startswith(DATA1_HEADER) or data[4:] != PAYLOAD:
        raise RuntimeError(f"unexpected reply {data[:40]!r}")
    sock.sendto(struct.pack("!HH", 4, 1), server)


def echo_once(sock: socket.socket, port: int) -> None:
    sock.sendto(PAYLOAD, (HOST, port))
    data, _ = sock.recvfrom(2048)
    if data != PAYLOAD:
        raise RuntimeError("echo mismatch")


def sequential(once, port: int, count: int, seconds: float) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    """Run `once` back to back; returns (ops/s, latencies in seconds)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    sock.settimeout(5)
    for _ in range(min(200, count)):  # warm-up
        once(sock, port)
    latencies = []
    start = time.perf_counter()
    stop = start + seconds
    while len(latencies) < count and time.perf_counter() < stop:
        t0 = time.perf_counter()
        once(sock, port)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    sock.close()
    return len(latencies) / elapsed, latencies


def concurrent(kind: str, port: int, count: int, seconds: float, width: int) -> float:
    """`width` clients in flight at once (one socket each); returns ops/s."""
    selector = selectors.DefaultSelector()
    socks = []
    for _ in range(width):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((HOST, 0))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        socks.append(sock)
    request = RRQ if kind == "tftp" else PAYLOAD
    for sock in socks:
        sock.sendto(request, (HOST, port))
    done = 0
    start = time.perf_counter()
    stop = start + seconds
    while done < count and time.perf_counter() < stop:
        events = selector.select(timeout=1.0)
        if not events:
            raise RuntimeError("no reply within 1 s (datagram lost?)")
        for key, _ in events:
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            data, addr = sock.recvfrom(2048)
            if kind == "tftp":
                if not data.startswith(DATA1_HEADER):
                    raise RuntimeError(f"unexpected reply {data[:40]!r}")
                sock.sendto(struct.pack("!HH", 4, 1), addr)
            done += 1
            sock.sendto(request, (HOST, port))
    elapsed = time.perf_counter() - start
    for sock in socks:
        selector.unregister(sock)
        sock.close()
    # let in-flight exchanges drain so the server is quiet before the next phase
    time.sleep(0.2)
    return done / elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=["tftp", "echo"], help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=5000, help="operations per phase")
    parser.add_argument("--seconds", type=float, default=5.0, help="time cap per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="clients in flight")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    results = {}
    for kind, once in (("echo", echo_once), ("tftp", tftp_once)):
        proc, port = start_server(kind)
        try:
            rate, latencies = sequential(once, port, args.count, args.seconds)
            wide = concurrent(kind, port, args.count, args.seconds, args.concurrency)
        finally:
            proc.terminate()
            proc.wait(5)
        results[kind] = (rate, latencies, wide)

    print(f"loopback, python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
          f"count<={args.count}, <={args.seconds:.0f}s per phase")
    print(f"{'server':<28}{'seq ops/s':>11}{'p50 us':>9}{'p99 us':>9}"
          f"{f'x{args.concurrency} ops/s':>14}")
    labels = {"echo": "raw trio UDP echo (ceiling)", "tftp": "provhost TFTP 1-block get"}
    for kind, (rate, latencies, wide) in results.items():
        print(f"{labels[kind]:<28}{rate:>11.0f}{statistics.median(latencies) * 1e6:>9.0f}"
              f"{pct(latencies, 0.99) * 1e6:>9.0f}{wide:>14.0f}")
    echo, tftp = results["echo"], results["tftp"]
    print(f"ratio tftp/echo: sequential {tftp[0] / echo[0]:.2f}, "
          f"concurrent {tftp[2] / echo[2]:.2f}")


if __name__ == "__main__":
    main()
