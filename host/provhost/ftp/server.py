"""The trio shell around `FtpSession`: control connections, passive data, handlers, limits.

Theory of operation: one task per control connection.  It reads bytes into the pure
session, performs each effect the session returns (send a reply, ask the authenticator
or the handler, open a passive listener, stream a file) and feeds the result back.
Every wait has its own deadline: `idle_timeout` for the next command and for each send
(a client that stops reading replies or data is dropped, so a stuck data client holds
only its own task), `handler_timeout` for the authenticator, the handler and each
`FileReply.read`, `passive_timeout` for the client to connect to a passive port.
Files are streamed in `CHUNK` pieces; a `FileReply` is never loaded whole.

Nothing a client does can end the server: every connection task catches and logs its
own failures, and sessions beyond `max_sessions` are answered 421 and closed.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections import deque
from contextlib import suppress
from dataclasses import dataclass
from typing import Final

import trio

from .asciimode import AsciiEncoder
from .datachannel import PassiveListener, open_passive
from .protocol import (
    PAUSED,
    Authenticate,
    Close,
    Effect,
    Fetch,
    FtpSession,
    OpenPassive,
    Send,
    Transfer,
    TransferOutcome,
)
from .replies import FtpReply
from .types import Authenticator, BytesReply, ErrorReply, FileReply, FtpRequest, Handler, Reply

log = logging.getLogger("provhost.ftp")

CHUNK: Final = 64 * 1024
_TOO_BUSY: Final = FtpReply.of(421, "Too many connections, try again later").encode()


@dataclass(frozen=True)
class _Config:
    handler: Handler
    authenticate: Authenticator
    allow_anonymous: bool
    passive_host: str | None
    idle_timeout: float
    passive_timeout: float
    handler_timeout: float


async def serve_ftp(
    handler: Handler,
    *,
    authenticate: Authenticator,
    host: str = "127.0.0.1",
    port: int = 2121,
    allow_anonymous: bool = True,
    passive_host: str | None = None,
    idle_timeout: float = 60.0,
    max_sessions: int = 200,
    passive_timeout: float = 30.0,
    handler_timeout: float = 30.0,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve read-only FTP until cancelled; `task_status.started(port)` gives the bound port.

    `passive_host` is the IPv4 address announced in PASV replies (behind NAT); by default
    the control connection's local address is announced.
    """
    if passive_host is not None:
        ipaddress.IPv4Address(passive_host)  # ValueError names the bad value
    config = _Config(handler, authenticate, allow_anonymous, passive_host,
                     idle_timeout, passive_timeout, handler_timeout)
    listeners = await trio.open_tcp_listeners(port, host=host)
    bound_port: int = listeners[0].socket.getsockname()[1]
    active = 0

    async def on_connection(stream: trio.SocketStream) -> None:
        nonlocal active
        if active >= max_sessions:
            with trio.move_on_after(idle_timeout), suppress(trio.BrokenResourceError, OSError):
                await stream.send_all(_TOO_BUSY)
            return
        active += 1
        try:
            await _ControlConnection(stream, config).run()
        except Exception:
            log.exception("ftp: control connection failed")
        finally:
            active -= 1

    log.info("ftp: serving on %s port %d", host, bound_port)
    task_status.started(bound_port)
    await trio.serve_listeners(on_connection, listeners)


class _PeerGone(Exception):
    """The control connection broke or stopped reading."""


class _ControlConnection:
    def __init__(self, stream: trio.SocketStream, config: _Config) -> None:
        self.stream = stream
        self.config = config
        peer = stream.socket.getpeername()
        self.client: tuple[str, int] = (peer[0], peer[1])
        self.local_ip: str = stream.socket.getsockname()[0]
        ipv6 = stream.socket.family == socket.AF_INET6
        self.session = FtpSession(allow_anonymous=config.allow_anonymous, ipv6=ipv6)
        self.passive: PassiveListener | None = None

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            try:
                await self._converse(nursery)
            except (_PeerGone, trio.BrokenResourceError, trio.ClosedResourceError):
                pass
            finally:
                await self._drop_passive()
                nursery.cancel_scope.cancel()

    async def _converse(self, nursery: trio.Nursery) -> None:
        pending: deque[Effect] = deque(self.session.greeting())
        while True:
            while pending:
                effect = pending.popleft()
                if isinstance(effect, Close):
                    return
                pending.extend(await self._perform(effect, nursery))
            effects = self.session.next_effects()
            if effects is not PAUSED:
                pending.extend(effects)  # type: ignore[arg-type]
                continue
            data = None
            with trio.move_on_after(self.config.idle_timeout):
                data = await self.stream.receive_some(4096)
            if data is None:
                pending.extend(self.session.timed_out())
            elif not data:
                return  # the client hung up
            else:
                self.session.receive_data(data)

    async def _perform(self, effect: Effect, nursery: trio.Nursery) -> list[Effect]:
        session = self.session
        if isinstance(effect, Send):
            sent = False
            with trio.move_on_after(self.config.idle_timeout):
                await self.stream.send_all(effect.reply.encode())
                sent = True
            if not sent:
                raise _PeerGone
            return []
        if isinstance(effect, Authenticate):
            return session.authenticated(await self._authenticate(effect))
        if isinstance(effect, OpenPassive):
            await self._drop_passive()
            try:
                self.passive = await open_passive(
                    nursery, self.local_ip, self.client[0], self.config.passive_timeout)
            except OSError as exc:
                log.warning("ftp: cannot open a passive listener on %s: %s", self.local_ip, exc)
                return session.passive_failed()
            announced = self.config.passive_host or self.local_ip
            return session.passive_opened(announced, self.passive.port)
        if isinstance(effect, Fetch):
            reply = await self._fetch(FtpRequest(effect.path, self.client, effect.user,
                                                        self.local_ip))
            return session.fetched(reply)
        if isinstance(effect, Transfer):
            return session.transfer_finished(await self._transfer(effect))
        raise AssertionError(f"unknown effect {effect!r}")

    async def _drop_passive(self) -> None:
        if self.passive is not None:
            await self.passive.aclose()
            self.passive = None

    async def _authenticate(self, effect: Authenticate) -> bool:
        verdict = False
        with trio.move_on_after(self.config.handler_timeout):
            try:
                verdict = bool(await self.config.authenticate(
                    effect.user, effect.password, self.client[0]))
            except Exception:
                log.exception("ftp: authenticator failed for user %r", effect.user)
        log.info("ftp: login %s for %r from %s", "ok" if verdict else "refused",
                 effect.user, self.client[0])
        return verdict

    async def _fetch(self, request: FtpRequest) -> Reply:
        reply: object = ErrorReply(0, "Timed out looking up the file")
        with trio.move_on_after(self.config.handler_timeout):
            try:
                reply = await self.config.handler(request)
            except Exception:
                log.exception("ftp: handler failed for %s", request.path)
                reply = ErrorReply(0, "Internal error looking up the file")
        if not isinstance(reply, BytesReply | FileReply | ErrorReply):
            log.error("ftp: handler returned %r for %s", type(reply).__name__, request.path)
            reply = ErrorReply(0, "Internal error looking up the file")
        log.info("ftp: %s asked for %s: %s", request.client[0], request.path, type(reply).__name__)
        return reply

    async def _transfer(self, effect: Transfer) -> TransferOutcome:
        listener, self.passive = self.passive, None
        if listener is None:
            return TransferOutcome.NO_CONNECTION
        data = await listener.take()
        await listener.aclose()
        if data is None:
            return TransferOutcome.NO_CONNECTION
        async with data:
            try:
                return await self._stream_source(data, effect)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return TransferOutcome.ABORTED

    async def _stream_source(self, data: trio.SocketStream, effect: Transfer) -> TransferOutcome:
        source = effect.source
        if source is None:
            return TransferOutcome.COMPLETE
        encoder = AsciiEncoder() if effect.ascii else None
        size = source.size if isinstance(source, FileReply) else len(source.data)
        position = effect.offset
        while position < size:
            length = min(CHUNK, size - position)
            if isinstance(source, BytesReply):
                chunk = source.data[position : position + length]
            else:
                read = await self._read(source, position, length)
                if read is None:
                    return TransferOutcome.SOURCE_FAILED
                chunk = read
            position += len(chunk)
            wire = encoder.encode(chunk) if encoder else chunk
            sent = False
            with trio.move_on_after(self.config.idle_timeout):
                await data.send_all(wire)
                sent = True
            if not sent:
                log.warning("ftp: data client %s stalled; transfer aborted", self.client[0])
                return TransferOutcome.ABORTED
        return TransferOutcome.COMPLETE

    async def _read(self, source: FileReply, offset: int, length: int) -> bytes | None:
        """One bounded read; None if it failed, timed out, or broke the FileReply contract."""
        with trio.move_on_after(self.config.handler_timeout):
            try:
                chunk = await source.read(offset, length)
            except Exception:
                log.exception("ftp: reading at offset %d failed", offset)
                return None
            if isinstance(chunk, bytes | bytearray | memoryview) and 0 < len(chunk) <= length:
                return bytes(chunk)
            log.error("ftp: FileReply.read(%d, %d) returned %d bytes", offset, length,
                      len(chunk) if isinstance(chunk, bytes) else -1)
            return None
        log.error("ftp: FileReply.read(%d, %d) timed out", offset, length)
        return None
