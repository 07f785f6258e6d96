"""The servers the benchmarks measure, each run in a child process of its own so that it
never shares a GIL with the load generator: the ceilings of our stack (a trivial ASGI app
under provhost's hypercorn set-up; a trio UDP server answering the minimal TFTP exchange),
provhost's TFTP server on an in-memory file, and the whole of provhost.

Parent side: ``with running("asgi") as ports: ...``.  Child side: ``python bench/servers.py
KIND [ARGS]`` binds port 0, prints its ports as one JSON line, then serves until killed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import selectors
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import trio

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
MAC = "0004f2abcdef"  # the benches' Cisco SPA504G, with one line
SIP_USERNAME = b"10p1"  # that line's SIP user: proof the answer is this phone's configuration
MEMORY_FILE = b"# phone config\n" * 20  # 300 bytes: one TFTP block
ECHO_REPLY = b"\x00\x03\x00\x01" + b"e" * 508  # a 512-byte DATA 1, to any datagram but an ACK
RUNTIMES = ("unsandboxed", "native", "wasm")


# ------------------------------------------------------------------ child side


async def serve_asgi(task_status: trio.TaskStatus[dict[str, int]]) -> None:
    from hypercorn.trio import serve
    from provhost.server.lifespan import acknowledge_lifespan
    from provhost.server.main import hypercorn_config

    body = b"x" * 1000

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "lifespan":
            await acknowledge_lifespan(receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"1000")]})
        await send({"type": "http.response.body", "body": body})

    async with trio.open_nursery() as nursery:
        binds = await nursery.start(serve, app, hypercorn_config(HOST, 0))
        task_status.started({"http": int(binds[0].rsplit(":", 1)[1])})


async def serve_echo(task_status: trio.TaskStatus[dict[str, int]]) -> None:
    """RRQ in, one 512-byte datagram out, the ACK read and dropped: what a single-block TFTP
    read costs trio with no protocol and no file behind it."""
    with trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM) as sock:
        await sock.bind((HOST, 0))
        task_status.started({"udp": sock.getsockname()[1]})
        while True:
            data, addr = await sock.recvfrom(2048)
            if not data.startswith(b"\x00\x04"):
                await sock.sendto(ECHO_REPLY, addr)


async def serve_memory_tftp(task_status: trio.TaskStatus[dict[str, int]]) -> None:
    from provhost.tftp import BytesReply, TftpConfig, serve_tftp

    async def handler(request: object) -> BytesReply:
        return BytesReply(MEMORY_FILE)

    config = TftpConfig(max_per_client=1 << 20, max_transfers=1 << 20)
    async with trio.open_nursery() as nursery:
        port = await nursery.start(lambda task_status: serve_tftp(
            handler, host=HOST, port=0, config=config, task_status=task_status))
        task_status.started({"tftp": port})


@contextlib.asynccontextmanager
async def _requiring(name: str):  # type: ignore[no-untyped-def]
    """open_runtimes, refusing to fall back silently from the runtime being measured."""
    from provhost.runtime.select import open_runtimes

    async with open_runtimes() as runtimes:
        if name not in runtimes:
            raise SystemExit(f"the {name} runtime did not start (see the log above)")
        yield runtimes


async def serve_provhost(data: str, runtime: str,
                         task_status: trio.TaskStatus[dict[str, int]]) -> None:
    """`provhost serve` as the CLI runs it, on free loopback ports; the runtimes it opens
    are the product's unless `runtime` is the bench-only "unsandboxed"."""
    from provhost.paths import Paths
    from provhost.server import main as server_main
    from provhost.service import Service

    if runtime == "unsandboxed":
        from unsandboxed import open_unsandboxed_runtimes

        opener = open_unsandboxed_runtimes
    else:
        opener = partial(_requiring, runtime)
    svc = Service(Paths.from_env(data))
    cfg = server_main.ServerConfig(listen=HOST, http_port=0, tftp_port=0, api_port=0,
                                   ftp_port=None)
    async with trio.open_nursery() as nursery:
        ports = await nursery.start(partial(server_main.serve_all, svc, cfg,
                                            runtime_opener=opener))
        task_status.started({"http": ports.http, "tftp": ports.tftp})


SERVERS = {"asgi": serve_asgi, "echo": serve_echo, "tftp-memory": serve_memory_tftp,
           "provhost": serve_provhost}


def child_main(kind: str, args: list[str]) -> None:
    logging.basicConfig(level=logging.INFO,  # as `provhost serve` logs
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            ports = await nursery.start(SERVERS[kind], *args)
            print(json.dumps(ports), flush=True)

    trio.run(main)


# ------------------------------------------------------------------ parent side


def prepare_provhost(data: Path, runtime: str) -> None:
    """A data directory with the benches' SPA phone and its line; cisco-spa (bundled, so
    native by default) pinned to wasm when that is the runtime measured."""
    from provhost.paths import Paths
    from provhost.service import Service

    svc = Service(Paths.from_env(data))
    try:
        svc.phone_add(MAC, "spa504g")
        svc.line_add("10", phone=MAC)
        if runtime == "wasm":
            svc.module_runtime("cisco-spa", "wasm")
    finally:
        svc.close()


@contextlib.contextmanager
def running(kind: str, *args: str, log: Path | None = None,
            startup: float = 60.0) -> Iterator[tuple[dict[str, int], int]]:
    """Start a server child; yields (its ports, its pid); kills it on the way out."""
    with contextlib.ExitStack() as stack:
        err = stack.enter_context(open(log, "ab")) if log else subprocess.DEVNULL
        proc = subprocess.Popen([sys.executable, str(Path(__file__)), kind, *args],
                                stdout=subprocess.PIPE, stderr=err, cwd=HERE)
        try:
            assert proc.stdout is not None
            with selectors.DefaultSelector() as sel:
                sel.register(proc.stdout, selectors.EVENT_READ)
                line = proc.stdout.readline() if sel.select(startup) else b""
            if not line:
                proc.kill()
                raise SystemExit(f"bench server {kind} {' '.join(args)} did not start"
                                 + (f"; see {log}" if log else ""))
            yield json.loads(line), proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    child_main(sys.argv[1], sys.argv[2:])
