"""Clients that misbehave: garbage, over-long lines, stuck data readers, idlers, intruders.

Raw sockets speak the protocol where ftplib would refuse to misbehave; after each abuse a
fresh ftplib session proves the server still serves.
"""

from __future__ import annotations

import ftplib
import socket
import time

import trio

from .conftest import Starter

HELLO = b"line one\nline two\r\nline three\n"


class Raw:
    """A blocking line-oriented control connection (used from a worker thread)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        assert self.reply().startswith("220 ")

    def reply(self) -> str:
        """Read one whole (possibly multi-line) reply; '' at EOF."""
        first = self.file.readline().decode()
        if len(first) > 3 and first[3] == "-":
            while True:
                line = self.file.readline().decode()
                if not line or line[:4] == first[:3] + " ":
                    break
        return first.rstrip("\r\n")

    def send(self, raw: bytes) -> str:
        self.sock.sendall(raw)
        return self.reply()

    def login(self) -> None:
        assert self.send(b"USER anonymous\r\n").startswith("331")
        assert self.send(b"PASS x\r\n").startswith("230")

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def fresh_retr(port: int) -> bytes:
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", port, timeout=10)
        ftp.login()
        out = bytearray()
        ftp.retrbinary("RETR hello.cfg", out.extend)
        return bytes(out)


async def test_garbage_and_overlong_lines_get_500_and_server_keeps_serving(
    start_server: Starter,
) -> None:
    port = await start_server()

    def run() -> tuple[list[str], bytes]:
        raw = Raw(port)
        answers = [
            raw.send(b"\xff\xf4\xff\xfd\x06\x80garbage\r\n"),
            raw.send(b"RETR a\0b\r\n"),
            raw.send(b"RETR " + b"A" * 70_000 + b"\r\n"),
            raw.send(b"NOOP\r\n"),
        ]
        raw.close()
        return answers, fresh_retr(port)

    answers, data = await trio.to_thread.run_sync(run)
    assert answers[0] == "500 Syntax error: non-ASCII bytes in command line"
    assert answers[1] == "500 Syntax error: NUL byte in command line"
    assert answers[2] == "500 Syntax error: command line too long (over 1024 bytes)"
    assert answers[3] == "200 NOOP ok"
    assert data == HELLO


async def test_repeated_abuse_closes_the_session(start_server: Starter) -> None:
    port = await start_server()

    def run() -> tuple[list[str], str, bytes]:
        raw = Raw(port)
        answers = [raw.send(b"\x80\x81\r\n")[:3] for _ in range(10)]
        eof = raw.reply()
        raw.close()
        return answers, eof, fresh_retr(port)

    answers, eof, data = await trio.to_thread.run_sync(run)
    assert answers == ["500"] * 9 + ["421"]
    assert eof == ""  # the server hung up
    assert data == HELLO


def stall(port: int) -> tuple[Raw, socket.socket]:
    """Start an endless binary RETR whose data connection is never read."""
    raw = Raw(port)
    raw.login()
    assert raw.send(b"TYPE I\r\n").startswith("200")
    reply = raw.send(b"EPSV\r\n")
    data_port = int(reply.split("|||")[1].split("|")[0])
    data = socket.create_connection(("127.0.0.1", data_port), timeout=10)
    data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    assert raw.send(b"RETR endless.bin\r\n").startswith("150")  # 16 GiB, never read
    return raw, data


async def test_stuck_data_client_does_not_block_another_session(start_server: Starter) -> None:
    port = await start_server()
    raw, data = await trio.to_thread.run_sync(stall, port)
    try:
        assert await trio.to_thread.run_sync(fresh_retr, port) == HELLO
    finally:
        data.close()
        raw.close()


async def test_stalled_transfer_is_aborted_with_426(start_server: Starter) -> None:
    port = await start_server(idle_timeout=1.0)  # also the data-send stall limit

    def run() -> tuple[str, str]:
        raw, data = stall(port)
        aborted = raw.reply()
        after = raw.send(b"NOOP\r\n")  # the control connection survives the abort
        data.close()
        raw.close()
        return aborted, after

    assert await trio.to_thread.run_sync(run) == (
        "426 Data connection stalled or closed; transfer aborted", "200 NOOP ok")


async def test_idle_session_is_closed(start_server: Starter) -> None:
    port = await start_server(idle_timeout=0.3)

    def run() -> tuple[str, str]:
        raw = Raw(port)
        first, second = raw.reply(), raw.reply()
        raw.close()
        return first, second

    assert await trio.to_thread.run_sync(run) == (
        "421 Idle timeout, closing control connection", "")


async def test_sessions_beyond_the_limit_get_421(start_server: Starter) -> None:
    port = await start_server(max_sessions=1)

    def run() -> str:
        first = Raw(port)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as second:
                return second.makefile("rb").readline().decode().strip()
        finally:
            first.close()

    assert await trio.to_thread.run_sync(run) == "421 Too many connections, try again later"


async def test_passive_port_refuses_other_client_ips(start_server: Starter) -> None:
    port = await start_server()

    def run() -> tuple[bytes, bytes]:
        raw = Raw(port)
        raw.login()
        reply = raw.send(b"EPSV\r\n")
        data_port = int(reply.split("|||")[1].split("|")[0])
        intruder = socket.create_connection(("127.0.0.1", data_port), timeout=10,
                                            source_address=("127.0.0.2", 0))
        stolen = intruder.recv(100)  # closed by the server: EOF, nothing served
        intruder.close()
        data = socket.create_connection(("127.0.0.1", data_port), timeout=10)
        assert raw.send(b"RETR hello.cfg\r\n").startswith("150")
        got = b"".join(iter(lambda: data.recv(4096), b""))
        assert raw.reply().startswith("226")
        data.close()
        raw.close()
        return stolen, got

    stolen, got = await trio.to_thread.run_sync(run)
    assert stolen == b""
    assert got == HELLO.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # TYPE A default


async def test_unused_passive_listener_times_out_with_425(start_server: Starter) -> None:
    port = await start_server(passive_timeout=0.2)

    def run() -> tuple[str, str, bool]:
        raw = Raw(port)
        raw.login()
        reply = raw.send(b"EPSV\r\n")
        data_port = int(reply.split("|||")[1].split("|")[0])
        time.sleep(0.4)
        retr = raw.send(b"RETR hello.cfg\r\n")
        last = raw.reply()
        try:
            socket.create_connection(("127.0.0.1", data_port), timeout=2).close()
            closed = False
        except ConnectionRefusedError:
            closed = True
        raw.close()
        return retr, last, closed

    retr, last, closed = await trio.to_thread.run_sync(run)
    assert retr.startswith("150")  # the file exists; only the data connection is missing
    assert last == "425 No data connection was opened"
    assert closed
