"""Closed-loop load for the benchmarks: C clients, each sending its next request as soon as
its previous answer arrived, for a fixed time after a warm-up, timing every request.

Why plain non-blocking sockets and one epoll loop, not trio: the client shares the
machine's cores with the server, so it must spend as little CPU per request as it can.
Run it in a process that does nothing else (the benches keep their servers in child
processes).  Every result carries `client_cpu`, the share of one core the client used while
measuring: well under 1.0 means it was not the bottleneck.
"""

from __future__ import annotations

import resource
import selectors
import socket
import struct
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"
TFTP_DATA1 = b"\x00\x03\x00\x01"
TFTP_ACK1 = struct.pack("!HH", 4, 1)
UDP_TIMEOUT = 1.0  # a datagram exchange not answered by then counts as a failure


def tftp_rrq(path: str) -> bytes:
    return struct.pack("!H", 1) + path.encode() + b"\0octet\0"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Tally:
    """What one measurement window saw; `begin` opens it after the warm-up, `end` closes it."""

    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    recording: bool = False
    elapsed: float = 0.0
    cpu_used: float = 0.0
    _start: float = 0.0
    _cpu: float = 0.0

    def begin(self) -> None:
        self.recording = True
        self._start = time.perf_counter()
        self._cpu = cpu_seconds()

    def done(self, started: float, ok: bool) -> None:
        if not self.recording:
            return
        if ok:
            self.latencies.append(time.perf_counter() - started)
        else:
            self.failures += 1

    def summary(self) -> dict[str, float]:
        return summarize([self])

    def end(self) -> Tally:
        if self.recording:
            self.recording = False
            self.elapsed = time.perf_counter() - self._start
            self.cpu_used = cpu_seconds() - self._cpu
        return self


def summarize(tallies: list[Tally]) -> dict[str, float]:
    """requests/s, latency percentiles and client CPU over one or more windows."""
    lat = sorted(x for t in tallies for x in t.latencies) or [0.0]
    elapsed = max(sum(t.elapsed for t in tallies), 1e-9)
    requests = sum(len(t.latencies) for t in tallies)
    return {"requests": requests, "rps": requests / elapsed,
            "p50_ms": lat[len(lat) // 2] * 1000,
            "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
            "failures": sum(t.failures for t in tallies),
            "client_cpu": sum(t.cpu_used for t in tallies) / elapsed}


def _window(warmup: float, seconds: float) -> tuple[float, float]:
    now = time.perf_counter()
    return now + warmup, now + warmup + seconds


# ------------------------------------------------------------------ HTTP/1.1 keep-alive


class _HttpConn:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection((HOST, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = b""
        self.started = 0.0

    def complete(self) -> tuple[bytes, bytes] | None:
        """(head, body) once the whole answer is in, leaving any rest in the buffer."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buf[:end]
        at = head.lower().find(b"content-length:")
        length = int(head[at + 15:].split(b"\r\n", 1)[0]) if at >= 0 else 0
        if len(self.buf) < end + 4 + length:
            return None
        body = self.buf[end + 4:end + 4 + length]
        self.buf = self.buf[end + 4 + length:]
        return head, body


def http_load(port: int, path: str, *, seconds: float, concurrency: int, warmup: float = 1.0,
              expect: bytes = b"") -> Tally:
    """GET `path` over `concurrency` keep-alive connections; 200 with `expect` in the body is
    a success."""
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    selector = selectors.DefaultSelector()
    conns = [_HttpConn(port) for _ in range(concurrency)]
    tally = Tally()
    measure_at, stop_at = _window(warmup, seconds)
    for conn in conns:
        selector.register(conn.sock, selectors.EVENT_READ, conn)
        conn.started = time.perf_counter()
        conn.sock.send(request)
    while (now := time.perf_counter()) < stop_at:
        if not tally.recording and now >= measure_at:
            tally.begin()
        for key, _ in selector.select(timeout=0.5):
            conn = key.data
            data = conn.sock.recv(65536)
            if not data:
                raise RuntimeError(f"server on port {port} closed a keep-alive connection")
            conn.buf += data
            answer = conn.complete()
            if answer is None:
                continue
            head, body = answer
            tally.done(conn.started, head.startswith(b"HTTP/1.1 200") and expect in body)
            conn.started = time.perf_counter()
            conn.sock.send(request)
    tally.end()
    for conn in conns:
        conn.sock.close()
    selector.close()
    return tally


# ------------------------------------------------------------------ TFTP single-block reads


def tftp_load(port: int, path: str, *, seconds: float, concurrency: int, warmup: float = 1.0,
              expect: bytes = b"", count: int | None = None) -> Tally:
    """Single-block TFTP reads (RRQ -> DATA 1 -> ACK 1), one socket per client; a DATA 1 of
    less than 512 bytes holding `expect` is a success.  Stops early after `count`."""
    rrq = tftp_rrq(path)
    selector = selectors.DefaultSelector()
    started: dict[socket.socket, float] = {}
    tally = Tally()
    measure_at, stop_at = _window(warmup, seconds)
    next_check = 0.0

    def send(sock: socket.socket) -> None:
        started[sock] = time.perf_counter()
        sock.sendto(rrq, (HOST, port))

    def new_client() -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((HOST, 0))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        send(sock)

    for _ in range(concurrency):
        new_client()
    while (now := time.perf_counter()) < stop_at:
        if not tally.recording and now >= measure_at:
            tally.begin()
        if count is not None and len(tally.latencies) >= count:
            break
        for key, _ in selector.select(timeout=0.1):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            data, server = sock.recvfrom(2048)
            ok = data.startswith(TFTP_DATA1) and len(data) - 4 < 512 and expect in data
            if ok:
                sock.sendto(TFTP_ACK1, server)
            tally.done(started[sock], ok)
            send(sock)
        if now >= next_check:  # a lost datagram: count it, ask again from a new port
            next_check = now + 0.1
            for sock, t0 in list(started.items()):
                if now - t0 > UDP_TIMEOUT:
                    tally.done(t0, False)
                    selector.unregister(sock)
                    sock.close()
                    del started[sock]
                    new_client()
    tally.end()
    _drain(selector, started)
    return tally


def _drain(selector: selectors.BaseSelector, pending: dict[socket.socket, float]) -> None:
    """Acknowledge the answers still in flight, so the server is quiet for the next phase."""
    deadline = time.perf_counter() + UDP_TIMEOUT
    waiting = set(pending)
    while waiting and time.perf_counter() < deadline:
        for key, _ in selector.select(timeout=0.1):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            data, server = sock.recvfrom(2048)
            if data.startswith(TFTP_DATA1):
                sock.sendto(TFTP_ACK1, server)
            waiting.discard(sock)
    for sock in pending:
        selector.unregister(sock)
        sock.close()
    selector.close()
