"""Plug the provisioning chain into the file protocols' handler interface (TFTP and FTP
share one reply vocabulary: bytes, a streamed file, or an error)."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import trio

from provhost.chain.answer import (
    Answer,
    Busy,
    NotFound,
    Refused,
    Rejected,
    Served,
    Stored,
    Throttled,
    Unauthorized,
)
from provhost.chain.provisioner import (
    Provisioner,
    ProvisioningRequest,
    provision_with_deadline,
)
from provhost.ftp.types import FtpRequest
from provhost.hoststate import HostState
from provhost.mac import MacError, normalize_mac
from provhost.tftp.types import BytesReply, ErrorReply, FileReply, Reply, TftpRequest

log = logging.getLogger("provhost.files")

TFTP_NOT_FOUND, TFTP_ACCESS, TFTP_UNDEFINED = 1, 2, 0


def chain_handler(
    provisioner: Provisioner, proto: str, deadline: float = 10.0
) -> Callable[[TftpRequest | FtpRequest], Awaitable[Reply]]:
    async def handle(request: TftpRequest | FtpRequest) -> Reply:
        login = request.user if isinstance(request, FtpRequest) else ""
        req = ProvisioningRequest(proto=proto, path=request.path, client_ip=request.client[0],
                                  login=login)
        answer, trace = await provision_with_deadline(provisioner, req, deadline)
        log.info("%s %s %s -> %s%s", request.client[0], proto, trace.path, answer.status,
                 f" by {answer.module}" if answer.module else "")
        return _reply(answer)

    return handle


def _reply(answer: Answer) -> Reply:
    """What a TFTP/FTP client is told: the one place answers become file-protocol replies."""
    match answer:
        case Served(body=bytes(body)):
            return BytesReply(body)
        case Served(file=Path() as file):
            return _file_reply(file)
        case Served():
            return BytesReply(b"")
        case Stored():
            return BytesReply(b"")
        case NotFound() | Unauthorized():  # digest needs HTTP: TFTP and FTP never get it
            return ErrorReply(TFTP_NOT_FOUND, "file not found")
        case Rejected(reason=reason):
            return ErrorReply(TFTP_ACCESS, f"access violation: {reason}")
        case Refused(reason=reason):
            return ErrorReply(TFTP_ACCESS, f"upload refused: {reason}")
        case Throttled():
            return ErrorReply(TFTP_UNDEFINED, "too many requests")
        case Busy():
            return ErrorReply(TFTP_UNDEFINED, "server busy, try again")


def upload_handler(
    provisioner: Provisioner, deadline: float = 10.0
) -> Callable[[TftpRequest, bytes], Awaitable[ErrorReply | None]]:
    """TFTP write requests: the received file goes through the chain like an HTTP PUT.

    None accepts (the client gets its final ACK); an ErrorReply refuses with its reason.
    """

    async def handle(request: TftpRequest, data: bytes) -> ErrorReply | None:
        req = ProvisioningRequest(proto="tftp", path=request.path, client_ip=request.client[0],
                                  method="PUT", upload=data)
        answer, trace = await provision_with_deadline(provisioner, req, deadline)
        log.info("%s tftp upload %s (%d bytes) -> %s%s", request.client[0], trace.path,
                 len(data), answer.status, f" by {answer.module}" if answer.module else "")
        if isinstance(answer, Stored):
            return None
        reply = _reply(answer)
        return reply if isinstance(reply, ErrorReply) else ErrorReply(
            TFTP_ACCESS, "upload refused: the chain answered with a file")

    return handle


def _file_reply(p: Path) -> FileReply:
    """Firmware is read block by block while the transfer runs, never whole."""
    size = p.stat().st_size

    async def read(offset: int, length: int) -> bytes:
        async with await trio.open_file(p, "rb") as f:
            await f.seek(offset)
            return await f.read(length)

    return FileReply(size, read)


def ftp_authenticator(state: HostState) -> Callable[[str, str, str], Awaitable[bool]]:
    """Per-phone FTP credentials: the phone's MAC (any spelling) and its admin password."""

    async def authenticate(user: str, password: str, client_ip: str) -> bool:
        try:
            mac = normalize_mac(user)
        except MacError:
            return False
        phone = state.store.get_phone(mac)
        ok = phone is not None and hmac.compare_digest(phone.admin_password, password)
        if not ok:
            log.warning("ftp login refused for %r from %s", user, client_ip)
        return ok

    return authenticate
