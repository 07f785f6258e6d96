"""Shared fixtures: a real trio FTP server on an ephemeral loopback port, and a file tree."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio
from provhost.ftp import BytesReply, ErrorReply, FileReply, FtpRequest, serve_ftp

Starter = Callable[..., Awaitable[int]]

BIG_SIZE = 3 * 1024 * 1024 + 12345  # a few MB, not a multiple of the chunk size
USERS = {"phone": "s3cret"}


def big_byte(offset: int) -> int:
    return (offset * 7 + offset // 251) & 0xFF


def big_content(offset: int, length: int) -> bytes:
    """Deterministic pseudo-random content of the generated big file, computable per range."""
    return bytes(big_byte(i) for i in range(offset, offset + length))


BIG_DIGEST = hashlib.sha256(big_content(0, BIG_SIZE)).hexdigest()


class Tree:
    """A handler serving a few generated files; records every request and read."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {
            "/hello.cfg": b"line one\nline two\r\nline three\n",
            "/cfg/0004f2000001.cfg": b"<config mac='0004f2000001'/>\n",
        }
        self.requests: list[FtpRequest] = []
        self.reads: list[tuple[int, int]] = []

    async def __call__(self, request: FtpRequest) -> BytesReply | FileReply | ErrorReply:
        self.requests.append(request)
        if request.path == "/firmware.bin":
            return FileReply(BIG_SIZE, self._read_big)
        if request.path == "/endless.bin":
            return FileReply(1 << 34, self._read_endless)
        if request.path == "/secret.cfg":
            return ErrorReply(2, "Access denied by module policy")
        if request.path == "/broken.cfg":
            return ErrorReply(0, "module crashed")
        data = self.files.get(request.path)
        if data is None:
            return ErrorReply(1, f"No such provisioning file: {request.path}")
        return BytesReply(data)

    async def _read_big(self, offset: int, length: int) -> bytes:
        self.reads.append((offset, length))
        return big_content(offset, min(length, 40_000))  # short reads on purpose

    async def _read_endless(self, offset: int, length: int) -> bytes:
        return b"x" * length


async def authenticate(user: str, password: str, client_ip: str) -> bool:
    return USERS.get(user) == password and client_ip == "127.0.0.1"


@pytest.fixture
def tree() -> Tree:
    return Tree()


@pytest.fixture
def start_server(nursery: trio.Nursery, tree: Tree) -> Starter:
    """`await start_server(**serve_ftp_kwargs)` -> the bound port (handler: `tree`)."""

    async def start(**kwargs: Any) -> int:
        kwargs.setdefault("authenticate", authenticate)
        return await nursery.start(lambda task_status: serve_ftp(
            tree, port=0, task_status=task_status, **kwargs))

    return start
