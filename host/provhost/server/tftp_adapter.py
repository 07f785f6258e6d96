"""Plug the provisioning chain into the TFTP server's handler interface."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import trio

from provhost.chain.provisioner import (
    Provisioner,
    ProvisioningRequest,
    provision_with_deadline,
)
from provhost.tftp.types import BytesReply, ErrorReply, FileReply, Reply, TftpRequest

log = logging.getLogger("provhost.tftp")

TFTP_NOT_FOUND, TFTP_ACCESS, TFTP_UNDEFINED = 1, 2, 0


def tftp_handler(
    provisioner: Provisioner, deadline: float = 10.0
) -> Callable[[TftpRequest], Awaitable[Reply]]:
    async def handle(request: TftpRequest) -> Reply:
        req = ProvisioningRequest(proto="tftp", path=request.path, client_ip=request.client[0])
        answer, trace = await provision_with_deadline(provisioner, req, deadline)
        log.info("%s RRQ %s -> %s%s", request.client[0], trace.path, answer.status,
                 f" by {answer.module}" if answer.module else "")
        match answer.status:
            case "served" | "ok":
                if answer.body is not None:
                    return BytesReply(answer.body)
                assert answer.file is not None
                return _file_reply(answer.file)
            case "notfound":
                return ErrorReply(TFTP_NOT_FOUND, "file not found")
            case "rejected":
                return ErrorReply(TFTP_ACCESS, f"access violation: {answer.reason}")
            case _:
                return ErrorReply(TFTP_UNDEFINED, "server busy, try again")

    return handle


def _file_reply(p: Path) -> FileReply:
    """Firmware is read block by block while the transfer runs, never whole."""
    size = p.stat().st_size

    async def read(offset: int, length: int) -> bytes:
        async with await trio.open_file(p, "rb") as f:
            await f.seek(offset)
            return await f.read(length)

    return FileReply(size, read)
