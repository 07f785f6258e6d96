"""Plug the provisioning chain into the file protocols' handler interface (TFTP and FTP
share one reply vocabulary: bytes, a streamed file, or an error)."""

from __future__ import annotations

import hmac
import logging
import os
import weakref
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
        options = request.options if isinstance(request, TftpRequest) else {}
        req = ProvisioningRequest(proto=proto, path=request.path, client_ip=request.client[0],
                                  login=login, server_ip=request.local_ip, options=options)
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
                                  method="PUT", upload=data, server_ip=request.local_ip,
                                  options=request.options)
        answer, trace = await provision_with_deadline(provisioner, req, deadline)
        log.info("%s tftp upload %s (%d bytes) -> %s%s", request.client[0], trace.path,
                 len(data), answer.status, f" by {answer.module}" if answer.module else "")
        if isinstance(answer, Stored):
            return None
        reply = _reply(answer)
        return reply if isinstance(reply, ErrorReply) else ErrorReply(
            TFTP_ACCESS, "upload refused: the chain answered with a file")

    return handle


class OpenFile:
    """One open file for one whole transfer.

    Why: firmware is read block by block while the transfer runs (never whole), and an
    upload may replace the slot's content meanwhile.  The file is opened once, at once
    (in the same loop step the chain resolved it, so nothing can remove it in between);
    removing the old content then only unlinks it, and the kernel keeps it readable
    until the last transfer using it closes its descriptor.  `close` is idempotent and
    also runs when the object is collected (an FTP session dropping its reply)."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self._finalizer = weakref.finalize(self, os.close, self.fd)
        self.size = os.fstat(self.fd).st_size

    async def read(self, offset: int, length: int) -> bytes:
        if not self._finalizer.alive:
            raise ValueError("read from a closed transfer file")
        return await trio.to_thread.run_sync(os.pread, self.fd, length, offset)

    def close(self) -> None:
        self._finalizer()


def _file_reply(p: Path) -> FileReply | ErrorReply:
    try:
        f = OpenFile(p)
    except OSError as e:  # removed between the chain's answer and now: nothing to send
        log.error("cannot open %s for a transfer: %s", p, e)
        return ErrorReply(TFTP_NOT_FOUND, "file not found")
    return FileReply(f.size, f.read, f.close)


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
