"""Benchmark: provisioning requests/s and latency over HTTP and TFTP through the whole stack
(chain + sandboxed PHP provider + template), beside the ceilings of that stack measured in
the same run on the same machine: a trivial ASGI app under the same hypercorn set-up, and a
raw trio UDP echo.  Not a test; loopback only; every phase is bounded in count and time.

    .venv/bin/python bench/serving_bench.py [--seconds S] [--concurrency C]

HTTP: C keep-alive connections each sending GET back to back (the SPA phone's full
configuration, ~1 KB, with a line).  TFTP: C clients each fetching the SPA redirect file
(one DATA block) over and over, each from its own socket.  Servers run in child processes.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PROVHOST = str(ROOT / ".venv" / "bin" / "provhost")
MAC = "0004f2abcdef"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- child-process servers
def serve_asgi(port: int) -> None:
    from hypercorn.trio import serve
    from provhost.server.main import hypercorn_config

    body = b"x" * 1000

    from provhost.server.lifespan import acknowledge_lifespan

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "lifespan":
            await acknowledge_lifespan(receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"1000")]})
        await send({"type": "http.response.body", "body": body})

    trio.run(serve, app, hypercorn_config("127.0.0.1", port))


def serve_echo(port: int) -> None:
    async def main() -> None:
        sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
        await sock.bind(("127.0.0.1", port))
        while True:
            data, addr = await sock.recvfrom(2048)
            await sock.sendto(data, addr)

    trio.run(main)


def wait_tcp(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on {port} did not start")


# ---------------------------------------------------------------- clients
async def http_load(port: int, path: str, seconds: float, width: int) -> dict[str, float]:
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    latencies: list[float] = []
    failures = 0

    async def one_connection() -> None:
        nonlocal failures
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        buf = b""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            await stream.send_all(request)
            while b"\r\n\r\n" not in buf:
                buf += await stream.receive_some(65536)
            head, _, buf = buf.partition(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            while len(buf) < length:
                buf += await stream.receive_some(65536)
            buf = buf[length:]
            if not head.startswith(b"HTTP/1.1 200"):
                failures += 1
            latencies.append(time.perf_counter() - t0)
        await stream.aclose()

    t0 = time.perf_counter()
    async with trio.open_nursery() as n:
        for _ in range(width):
            n.start_soon(one_connection)
    return summary(latencies, time.perf_counter() - t0, failures)


def tftp_rrq(path: str) -> bytes:
    return struct.pack("!H", 1) + path.encode() + b"\0octet\0"


async def tftp_load(port: int, path: str, seconds: float, width: int,
                    echo: bool = False) -> dict[str, float]:
    latencies: list[float] = []
    failures = 0
    rrq = tftp_rrq(path)

    async def one_client() -> None:
        nonlocal failures
        sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
        await sock.bind(("127.0.0.1", 0))
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            await sock.sendto(rrq, ("127.0.0.1", port))
            with trio.move_on_after(2) as scope:
                data, addr = await sock.recvfrom(4096)
            if scope.cancelled_caught:
                failures += 1
                continue
            if not echo:
                if data[:2] != b"\x00\x03" or len(data) - 4 >= 512:
                    failures += 1
                await sock.sendto(b"\x00\x04" + data[2:4], addr)
            latencies.append(time.perf_counter() - t0)
        sock.close()

    t0 = time.perf_counter()
    async with trio.open_nursery() as n:
        for _ in range(width):
            n.start_soon(one_client)
    return summary(latencies, time.perf_counter() - t0, failures)


def summary(latencies: list[float], elapsed: float, failures: int) -> dict[str, float]:
    lat = sorted(latencies) or [0.0]
    return {"requests": len(latencies), "rps": len(latencies) / elapsed,
            "p50_ms": statistics.median(lat) * 1000,
            "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
            "failures": failures}


def start_provhost(data: Path, http: int, tftp: int, api: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PROVHOST_DATA": str(data)}
    for args in (["phone", "add", MAC, "spa504g"], ["line", "add", "10", "--phone", MAC]):
        subprocess.run([PROVHOST, *args], env=env, check=True, capture_output=True)
    return subprocess.Popen(
        [PROVHOST, "serve", "--listen", "127.0.0.1", "--http-port", str(http),
         "--tftp-port", str(tftp), "--api-port", str(api)],
        env={**env, "PROVHOST_API_PORT": str(api)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--concurrency", type=int, default=10)
    ap.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args()
    if a.serve:
        {"asgi": serve_asgi, "echo": serve_echo}[a.serve[0]](int(a.serve[1]))
        return
    procs = []
    results: dict[str, dict[str, float]] = {}
    try:
        asgi_port, echo_port = free_port(), free_port(socket.SOCK_DGRAM)
        http_port, tftp_port, api_port = free_port(), free_port(socket.SOCK_DGRAM), free_port()
        procs.append(subprocess.Popen([PY, __file__, "--serve", "asgi", str(asgi_port)]))
        procs.append(subprocess.Popen([PY, __file__, "--serve", "echo", str(echo_port)]))
        tmp = Path(tempfile.mkdtemp(prefix="provhost-bench-"))
        procs.append(start_provhost(tmp, http_port, tftp_port, api_port))
        wait_tcp(asgi_port)
        wait_tcp(http_port)
        time.sleep(1.0)  # sandbox pools warm
        s, w = a.seconds, a.concurrency
        results["http trivial ASGI (ceiling)"] = trio.run(http_load, asgi_port, "/x", s, w)
        results["http provhost SPA config"] = trio.run(
            http_load, http_port, f"/Cisco/SPA504G/{MAC}.cfg", s, w)
        results["udp echo (ceiling)"] = trio.run(tftp_load, echo_port, "/x", s, w, True)
        results["tftp provhost SPA redirect"] = trio.run(tftp_load, tftp_port, "/spa504G.cfg", s, w)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)
    ceilings = {"http": results["http trivial ASGI (ceiling)"]["rps"],
                "tftp": results["udp echo (ceiling)"]["rps"]}
    print(f"{'benchmark':<30} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'fail':>5} {'ratio':>6}")
    for name, r in results.items():
        ceiling = ceilings.get(name.split()[0], 0)
        ratio = f"{r['rps'] / ceiling:.2f}" if ceiling and "ceiling" not in name else ""
        print(f"{name:<30} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
              f"{r['failures']:>5} {ratio:>6}")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
