"""`provhost serve --processes N`: one server process per core, sharing the phone ports.

Why address affinity rather than shared per-address state: markers (two-stage detection)
and the scan guard are per phone address and live in each process's memory, read on every
request.  Sharing them would put a database or IPC round trip on the hot path of every
request; instead the kernel is told to send every packet and every connection from one
source address to the same process, for TFTP and HTTP alike:

* the supervisor (this module) binds N sockets per port with SO_REUSEPORT, in order, so
  socket i of the HTTP group and socket i of the TFTP group both go to process i;
* a classic BPF program attached with SO_ATTACH_REUSEPORT_CBPF returns
  (IPv4 source address) mod N: the index of the socket in its group.  For UDP it runs on
  every datagram, for TCP on every SYN, so a phone's TFTP request and its HTTP connections
  (whatever their source port) all reach process (address mod N).

Without it the kernel hashes the 4-tuple: a Yealink's common-file request and its MAC-file
request (a new TCP connection, a new source port) land on different processes about
(N-1)/N of the time, and the MAC file goes to the wrong module (measured: docs/deployment.md).

Process 0 leads: it alone serves the management API, FTP and HTTPS, and runs the resync
watcher.  The set is one service: SIGTERM/SIGINT stop every process; a process that dies
stops the others and `provhost serve` exits 1, so the service manager restarts the set.
Children die with the supervisor (PR_SET_PDEATHSIG), even when it is SIGKILLed.
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import logging
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from typing import Any

log = logging.getLogger("provhost.processes")

ENV = "PROVHOST_PROCESS"  # set in each child: JSON of its ServerConfig, index, fds
SO_ATTACH_REUSEPORT_CBPF = 51
_SKF_NET_OFF = -0x100000  # classic BPF: offsets relative to the network header
_PR_SET_PDEATHSIG = 1
STOP_GRACE = 10.0  # seconds a child has to stop after its drain before it is killed


def affinity_program(n: int) -> bytes:
    """cBPF: A = IPv4 source address; A %= n; return A (the socket index)."""
    ld_abs_w, alu_mod_k, ret_a = 0x20, 0x94, 0x16
    return b"".join(struct.pack("HBBI", code, 0, 0, k & 0xFFFFFFFF) for code, k in (
        (ld_abs_w, _SKF_NET_OFF + 12), (alu_mod_k, n), (ret_a, 0)))


def attach_affinity(sock: socket.socket, n: int) -> None:
    """Attach the program to the group `sock` belongs to (IPv4 only)."""
    program = affinity_program(n)
    buf = ctypes.create_string_buffer(program)
    fprog = struct.pack("HxxxxxxP", len(program) // 8, ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog)


def bind_group(kind: int, host: str, port: int, n: int, *, affinity: bool
               ) -> list[socket.socket]:
    """N sockets on host:port (port 0: the first picks one), joined in index order."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    socks: list[socket.socket] = []
    for _ in range(n):
        s = socket.socket(family, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind((host, port))
        port = s.getsockname()[1]
        if kind == socket.SOCK_STREAM:
            s.listen(1024)  # a TCP socket joins its reuseport group when it listens
        s.set_inheritable(True)
        socks.append(s)
    if affinity and family == socket.AF_INET and n > 1:
        attach_affinity(socks[0], n)
    return socks


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def supervise(cfg: Any, n: int, argv: list[str]) -> int:
    """Run N server processes (`argv` starts one: the provhost CLI up to `serve`) and
    wait; the exit code of the set."""
    affinity = os.environ.get("PROVHOST_AFFINITY", "1") != "0"  # 0: only to measure
    http = bind_group(socket.SOCK_STREAM, cfg.listen, cfg.http_port, n, affinity=affinity)
    tftp = bind_group(socket.SOCK_DGRAM, cfg.listen, cfg.tftp_port, n, affinity=affinity)
    log.info("provhost: %d server processes on %s: HTTP %d, TFTP %d (address affinity %s)",
             n, cfg.listen, http[0].getsockname()[1], tftp[0].getsockname()[1],
             "on" if affinity else "off")
    children: list[subprocess.Popen[bytes]] = []
    for i in range(n):
        spec = {"config": dataclasses.asdict(cfg), "index": i, "count": n,
                "http_fd": http[i].fileno(), "tftp_fd": tftp[i].fileno()}
        env = {**os.environ, ENV: json.dumps(spec)}
        children.append(subprocess.Popen(
            argv, env=env, pass_fds=(http[i].fileno(), tftp[i].fileno()),
            preexec_fn=_die_with_parent, process_group=0))
    for s in (*http, *tftp):
        s.close()  # the children hold them now

    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        if not stopping:
            log.info("provhost: %s: stopping %d processes", signal.Signals(signum).name, n)
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failed: str | None = None
    while not stopping and failed is None:
        for i, child in enumerate(children):
            if child.poll() is not None:
                failed = f"server process {i} (pid {child.pid}) exited with {child.returncode}"
                break
        time.sleep(0.2)
    if failed:
        log.error("provhost: %s: stopping the others", failed)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)  # each drains (server/main.py), then stops
    deadline = time.monotonic() + cfg.drain_timeout + STOP_GRACE
    for i, child in enumerate(children):
        try:
            child.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            log.error("provhost: process %d did not stop in %.0fs: killed", i, STOP_GRACE)
            child.kill()
            child.wait()
    log.info("provhost stopped (%d processes)", n)
    return 1 if failed else 0


def child_spec() -> dict[str, Any] | None:
    """In a child: what the supervisor gave it (None in a plain `provhost serve`)."""
    raw = os.environ.get(ENV)
    return json.loads(raw) if raw else None


def child_argv() -> list[str]:
    """How the supervisor starts a child: this interpreter, the CLI, the same data."""
    return [sys.executable, "-m", "provhost.cli"]
