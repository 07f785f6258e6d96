"""End to end: Python's ftplib (a real client, in a thread) against the trio server."""

from __future__ import annotations

import ftplib
import hashlib
import io
import socket
from collections.abc import Callable
from typing import TypeVar

import pytest
import trio
from provhost.ftp.server import CHUNK

from .conftest import BIG_DIGEST, BIG_SIZE, Starter, Tree, big_content

T = TypeVar("T")

HELLO = b"line one\nline two\r\nline three\n"


async def in_thread(fn: Callable[[], T]) -> T:
    return await trio.to_thread.run_sync(fn)


def connect(port: int, user: str = "anonymous", password: str = "phone@") -> ftplib.FTP:
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=10)
    ftp.login(user, password)
    return ftp


def retr_bytes(ftp: ftplib.FTP, path: str, rest: int | None = None) -> bytes:
    out = bytearray()
    ftp.retrbinary(f"RETR {path}", out.extend, rest=rest)
    return bytes(out)


async def test_anonymous_binary_and_ascii_retr(start_server: Starter, tree: Tree) -> None:
    port = await start_server()

    def run() -> tuple[bytes, list[str], bytes]:
        with connect(port) as ftp:
            binary = retr_bytes(ftp, "hello.cfg")
            lines: list[str] = []
            ftp.retrlines("RETR hello.cfg", lines.append)
            ftp.voidcmd("TYPE A")
            with ftp.transfercmd("RETR hello.cfg") as conn:
                raw = b"".join(iter(lambda: conn.recv(4096), b""))
            ftp.voidresp()
            return binary, lines, raw

    binary, lines, raw = await in_thread(run)
    assert binary == HELLO
    assert lines == ["line one", "line two", "line three"]
    assert raw == b"line one\r\nline two\r\nline three\r\n"  # LF -> CR LF, CR LF kept
    assert {(r.path, r.user, r.client[0]) for r in tree.requests} == {
        ("/hello.cfg", "anonymous", "127.0.0.1")}


async def test_user_login_accepted_and_refused(start_server: Starter, tree: Tree) -> None:
    port = await start_server(allow_anonymous=False)

    def run() -> tuple[str, bytes, str]:
        with connect(port, "phone", "s3cret") as ftp:
            data = retr_bytes(ftp, "hello.cfg")
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", port, timeout=10)
        with pytest.raises(ftplib.error_perm) as refused:
            ftp.login("phone", "wrong")
        ftp.close()
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", port, timeout=10)
        with pytest.raises(ftplib.error_perm) as anon:
            ftp.login()  # ftplib's default is anonymous
        ftp.close()
        return str(refused.value), data, str(anon.value)

    refused, data, anon = await in_thread(run)
    assert data == HELLO
    assert tree.requests[0].user == "phone"
    assert refused.startswith("530 Login incorrect")
    assert anon.startswith("530 Anonymous login is not allowed")


async def test_size_cwd_and_relative_retr(start_server: Starter, tree: Tree) -> None:
    port = await start_server()

    def run() -> tuple[int | None, int | None, str, bytes, str]:
        with connect(port) as ftp:
            ftp.voidcmd("TYPE I")
            size = ftp.size("hello.cfg")
            big = ftp.size("/firmware.bin")
            ftp.cwd("cfg")
            data = retr_bytes(ftp, "0004f2000001.cfg")
            with pytest.raises(ftplib.error_perm) as missing:
                ftp.size("nothere.cfg")
            return size, big, ftp.pwd(), data, str(missing.value)

    size, big, pwd, data, missing = await in_thread(run)
    assert size == len(HELLO)
    assert big == BIG_SIZE
    assert pwd == "/cfg"
    assert data == b"<config mac='0004f2000001'/>\n"
    assert missing == "550 No such provisioning file: /cfg/nothere.cfg"
    assert [r.path for r in tree.requests][-2:] == ["/cfg/0004f2000001.cfg", "/cfg/nothere.cfg"]


async def test_epsv_and_pasv(start_server: Starter) -> None:
    port = await start_server()

    def run() -> tuple[bytes, bytes, str]:
        with connect(port) as ftp:
            ftp.voidcmd("TYPE I")
            resp = ftp.sendcmd("EPSV")
            _, data_port = ftplib.parse229(resp, ftp.sock.getpeername())
            with socket.create_connection(("127.0.0.1", data_port), timeout=10) as conn:
                assert ftp.sendcmd("RETR hello.cfg").startswith("150 ")
                via_epsv = b"".join(iter(lambda: conn.recv(4096), b""))
            ftp.voidresp()
            via_pasv = retr_bytes(ftp, "hello.cfg")  # ftplib uses PASV on IPv4
            return via_epsv, via_pasv, resp

    via_epsv, via_pasv, resp = await in_thread(run)
    assert resp.startswith("229 ")
    assert via_epsv == via_pasv == HELLO


async def test_missing_and_denied_files_get_550_with_the_handler_message(
    start_server: Starter,
) -> None:
    port = await start_server()

    def run() -> list[str]:
        messages = []
        with connect(port) as ftp:
            for path in ("nothere.cfg", "secret.cfg", "broken.cfg"):
                with pytest.raises(ftplib.Error) as err:
                    retr_bytes(ftp, path)
                messages.append(str(err.value))
            ftp.voidcmd("NOOP")  # still usable
        return messages

    assert await in_thread(run) == [
        "550 No such provisioning file: /nothere.cfg",
        "550 Access denied by module policy",
        "451 module crashed",
    ]


async def test_file_reply_streamed_in_many_chunks(start_server: Starter, tree: Tree) -> None:
    port = await start_server()

    def run() -> tuple[str, int, bytes]:
        with connect(port) as ftp:
            digest = hashlib.sha256()
            count = 0

            def take(block: bytes) -> None:
                nonlocal count
                digest.update(block)
                count += len(block)

            ftp.retrbinary("RETR firmware.bin", take, blocksize=65536)
            tail = retr_bytes(ftp, "firmware.bin", rest=BIG_SIZE - 1000)
            return digest.hexdigest(), count, tail

    digest, count, tail = await in_thread(run)
    assert count == BIG_SIZE
    assert digest == BIG_DIGEST
    assert tail == big_content(BIG_SIZE - 1000, 1000)
    first = [r for r in tree.reads if r[0] < BIG_SIZE - 1000]
    assert len(first) > 50  # read piecewise, never whole
    assert max(length for _, length in tree.reads) <= CHUNK


async def test_listings_are_empty(start_server: Starter) -> None:
    port = await start_server()

    def run() -> tuple[list[str], list[str]]:
        listing: list[str] = []
        with connect(port) as ftp:
            names = ftp.nlst()
            ftp.retrlines("LIST", listing.append)
        return names, listing

    assert await in_thread(run) == ([], [])


async def test_writes_and_active_mode_refused(start_server: Starter, tree: Tree) -> None:
    port = await start_server()

    def run() -> list[str]:
        errors = []
        with connect(port) as ftp:
            with pytest.raises(ftplib.error_perm) as stor:
                ftp.storbinary("STOR evil.cfg", io.BytesIO(b"x"))
            errors.append(str(stor.value))
            for call in (lambda: ftp.delete("hello.cfg"), lambda: ftp.mkd("d"),
                         lambda: ftp.rename("a", "b")):
                with pytest.raises(ftplib.error_perm) as err:
                    call()
                errors.append(str(err.value))
            ftp.set_pasv(False)
            with pytest.raises(ftplib.error_perm) as port_err:
                retr_bytes(ftp, "hello.cfg")
            errors.append(str(port_err.value))
            with pytest.raises(ftplib.error_perm) as eprt:
                ftp.sendcmd("EPRT |1|127.0.0.1|9|")
            errors.append(str(eprt.value))
        return errors

    errors = await in_thread(run)
    assert errors[:4] == [
        "550 STOR refused: this server is read-only",
        "550 DELE refused: this server is read-only",
        "550 MKD refused: this server is read-only",
        "550 RNFR refused: this server is read-only",
    ]
    assert errors[4].startswith("502 PORT refused: active mode is disabled")
    assert errors[5].startswith("502 EPRT refused")
    assert tree.requests == []  # the handler was never consulted for refused commands


async def test_commands_before_login_refused(start_server: Starter, tree: Tree) -> None:
    port = await start_server()

    def run() -> list[str]:
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", port, timeout=10)
        answers = []
        for line in ("RETR hello.cfg", "SIZE hello.cfg", "CWD /", "PASV"):
            with pytest.raises(ftplib.error_perm) as err:
                ftp.sendcmd(line)
            answers.append(str(err.value)[:3])
        answers.append(ftp.sendcmd("SYST")[:3])
        ftp.close()
        return answers

    assert await in_thread(run) == ["530", "530", "530", "530", "215"]
    assert tree.requests == []
