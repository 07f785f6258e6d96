"""The trio shell around the TFTP sessions: sockets, timers, handlers, limits.

Theory of operation: one socket listens on host:port and only ever *dispatches*.  Each
accepted request gets its own task and its own ephemeral UDP socket (a new TID, RFC
1350), so a slow handler or a lossy client never holds up anyone else.  Inside a
transfer task a pure `ReadSession`/`WriteSession` decides every packet; this file only
moves datagrams, arms one deadline per wait (`trio.move_on_at`) and calls handlers.
Datagrams from anyone but the transfer's peer get error 5 and are otherwise ignored.

Nothing a client sends can end the server: garbage is answered (except ERROR packets,
which are never answered, to avoid error ping-pong) and logged, and every transfer task
catches its own failures.
"""

from __future__ import annotations

import inspect
import logging
import socket
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from . import pktinfo
from .netascii import from_netascii
from .options import Negotiated, OptionRefused, negotiate
from .packets import (
    Error,
    ErrorCode,
    MalformedPacket,
    Opcode,
    Packet,
    Request,
    decode,
    encode,
)
from .session import ReadSession, WriteSession, WriteState
from .source import BlockSource, SourceError
from .types import BytesReply, ErrorReply, FileReply, Reply, TftpConfig, TftpRequest

log = logging.getLogger("provhost.tftp")

Handler = Callable[[TftpRequest], Awaitable[Reply]]
UploadHandler = Callable[[TftpRequest, bytes], Awaitable[ErrorReply | None] | ErrorReply | None]

MODES = ("octet", "netascii")
_RECV_SIZE = 65536 + 64  # a maximal UDP payload, so oversize datagrams are seen whole
_ERROR_OPCODE = Opcode.ERROR.to_bytes(2, "big")

Address = tuple[Any, ...]


async def serve_tftp(
    handler: Handler,
    *,
    host: str = "127.0.0.1",
    port: int = 6969,
    upload_handler: UploadHandler | None = None,
    max_upload: int = 1 << 20,
    config: TftpConfig | None = None,
    sock: socket.socket | None = None,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve TFTP on host:port until cancelled; reports the bound port via task_status.
    `sock`: a socket already bound there (`serve --processes`: one of a SO_REUSEPORT set)."""
    server = _Server(handler, host, upload_handler, max_upload, config or TftpConfig())
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    wildcard = pktinfo.is_wildcard(host)
    listening = (trio.socket.from_stdlib_socket(sock) if sock is not None
                 else trio.socket.socket(family, socket.SOCK_DGRAM))
    with listening as listener:
        if sock is None:
            await listener.bind((host, port))
        if wildcard:
            pktinfo.enable(listener, family)
        actual_port = listener.getsockname()[1]
        log.info("tftp listening on %s:%d", host, actual_port)
        async with trio.open_nursery() as nursery:
            server.nursery = nursery
            server.listener = listener
            task_status.started(actual_port)
            while True:
                try:
                    if wildcard:
                        datagram, ancdata, _, addr = await listener.recvmsg(
                            _RECV_SIZE, pktinfo.ANCILLARY_SIZE)
                        local = pktinfo.destination(ancdata)
                    else:
                        datagram, addr = await listener.recvfrom(_RECV_SIZE)
                        local = host
                except OSError as exc:  # e.g. ICMP-induced errors; keep listening
                    log.warning("tftp listener recvfrom failed: %s", exc)
                    continue
                await server.dispatch(datagram, addr, local)


class _Active:
    """One peer address's running transfer, as the listener needs to see it."""

    def __init__(self) -> None:
        self.done = trio.Event()
        self.session: ReadSession | WriteSession | None = None  # None while the handler runs

    @property
    def finishing(self) -> bool:
        """True once the peer has (or may have) everything it asked for."""
        session = self.session
        if isinstance(session, ReadSession):
            return session.last_block_sent
        return session is not None and session.state is not WriteState.AWAIT_DATA


class _Server:
    """State shared by the listener and the transfer tasks (active peers, limits)."""

    def __init__(
        self,
        handler: Handler,
        host: str,
        upload_handler: UploadHandler | None,
        max_upload: int,
        config: TftpConfig,
    ) -> None:
        self.handler = handler
        self.host = host
        self.upload_handler = upload_handler
        self.max_upload = max_upload
        self.config = config
        self.active: dict[Address, _Active] = {}  # peer address -> its running transfer
        self.per_ip: Counter[str] = Counter()
        self.nursery: trio.Nursery
        self.listener: trio.socket.SocketType

    async def _reply(self, addr: Address, code: int, message: str) -> None:
        try:
            await self.listener.sendto(encode(Error(code, message)), addr)
        except OSError as exc:
            log.warning("tftp could not send error to %s: %s", _peer(addr), exc)

    async def dispatch(self, datagram: bytes, addr: Address, local: str = "") -> None:
        """Handle one datagram on the listening port; never raises for client input."""
        try:
            packet = decode(datagram)
        except MalformedPacket as exc:
            log.warning("tftp malformed packet from %s: %s", _peer(addr), exc)
            if not datagram.startswith(_ERROR_OPCODE):
                await self._reply(addr, ErrorCode.ILLEGAL_OPERATION, str(exc))
            return
        if isinstance(packet, Error):
            log.info("tftp error packet on the server port from %s: %s %s",
                     _peer(addr), packet.code, packet.message)
            return
        if not isinstance(packet, Request):
            name = type(packet).__name__.upper()
            log.warning("tftp stray %s on the server port from %s", name, _peer(addr))
            await self._reply(
                addr, ErrorCode.ILLEGAL_OPERATION,
                f"expected RRQ or WRQ on the server port, got {name}",
            )
            return
        checked = self._check(packet, addr)
        if not isinstance(checked, Negotiated):
            code, message = checked
            log.warning("tftp %s %r from %s refused: %s",
                        packet.opcode.name, packet.filename, _peer(addr), message)
            await self._reply(addr, code, message)
            return
        previous = self.active.get(addr)
        if previous is None:
            self.active[addr] = _Active()
        elif not previous.finishing:
            # the client retransmitted its request while we prepare or send the answer
            log.debug("tftp repeated request from %s ignored", _peer(addr))
            return
        self.per_ip[addr[0]] += 1
        self.nursery.start_soon(self._transfer, packet, checked, addr, previous, local)

    def _check(self, request: Request, addr: Address) -> Negotiated | tuple[int, str]:
        """The negotiated options, or why this request cannot start (error code, message)."""
        if request.mode not in MODES:
            return ErrorCode.ILLEGAL_OPERATION, (
                f"unsupported transfer mode {request.mode!r}: use octet or netascii"
            )
        write = request.opcode is Opcode.WRQ
        if write and self.upload_handler is None:
            return ErrorCode.ACCESS_VIOLATION, "this server does not accept uploads (WRQ)"
        try:
            negotiated = negotiate(
                request.options,
                write=write,
                max_blksize=self.config.max_blksize,
                max_windowsize=self.config.max_windowsize,
            )
        except OptionRefused as exc:
            return ErrorCode.OPTION_REFUSED, str(exc)
        if write and (negotiated.client_tsize or 0) > self.max_upload:
            return ErrorCode.DISK_FULL, (
                f"upload of {negotiated.client_tsize} bytes exceeds the "
                f"{self.max_upload}-byte limit"
            )
        if self.per_ip[addr[0]] >= self.config.max_per_client:
            return ErrorCode.NOT_DEFINED, (
                f"too many concurrent transfers from {addr[0]} "
                f"(limit {self.config.max_per_client}); retry later"
            )
        if len(self.active) >= self.config.max_transfers:
            return ErrorCode.NOT_DEFINED, "server busy: too many concurrent transfers"
        return negotiated

    async def _transfer(
        self,
        packet: Request,
        negotiated: Negotiated,
        addr: Address,
        previous: _Active | None,
        local: str = "",
    ) -> None:
        """Run one transfer on a fresh socket; never raises.

        `previous` is set when this peer address still has a transfer that already sent
        its last block: the client's next request raced its own final ACK.  We let that
        transfer end first (it will, within one retransmission timeout at most).
        """
        active: _Active | None = None
        try:
            if previous is not None:
                with trio.move_on_after(self.config.timeout * (self.config.retries + 1)):
                    await previous.done.wait()
                if addr in self.active:
                    log.debug("tftp request from %s overlaps its previous one: ignored",
                              _peer(addr))
                    return
                self.active[addr] = _Active()
            active = self.active[addr]
            request = TftpRequest(packet.filename, (addr[0], addr[1]), packet.mode,
                                  dict(packet.options), local)
            with trio.socket.socket(self.listener.family, socket.SOCK_DGRAM) as sock:
                # answer from the address the phone asked (multi-homed hosts)
                await sock.bind((local or self.host, 0))
                link = _Link(sock, addr, active)
                if packet.opcode is Opcode.RRQ:
                    await self._read(link, request, negotiated)
                else:
                    await self._write(link, request, negotiated)
        except Exception:
            log.exception("tftp transfer %r for %s crashed", packet.filename, _peer(addr))
        finally:
            if active is not None:
                active.done.set()
                if self.active.get(addr) is active:
                    del self.active[addr]
            self.per_ip[addr[0]] -= 1
            if self.per_ip[addr[0]] <= 0:
                del self.per_ip[addr[0]]

    async def _call(self, what: str, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
        """Run a handler under the handler timeout; (False, message) on failure."""
        with trio.move_on_after(self.config.handler_timeout):
            try:
                result = fn(*args)
                if inspect.isawaitable(result):
                    result = await result
                return True, result
            except Exception:
                log.exception("tftp %s raised", what)
                return False, "internal server error"
        log.warning("tftp %s exceeded %.1f s", what, self.config.handler_timeout)
        return False, "server timed out preparing the reply"

    async def _read(self, link: _Link, request: TftpRequest, negotiated: Negotiated) -> None:
        ok, reply = await self._call("handler", self.handler, request)
        if ok and not isinstance(reply, BytesReply | FileReply | ErrorReply):
            log.error("tftp handler returned %r, not a reply", type(reply).__name__)
            ok, reply = False, "internal server error"
        if not ok:
            await link.send([Error(ErrorCode.NOT_DEFINED, reply)])
            return
        if isinstance(reply, ErrorReply):
            log.info("tftp RRQ %r from %s: error %d %s",
                     request.path, link.peer_name, reply.code, reply.message)
            await link.send([Error(reply.code, reply.message)])
            return
        try:
            await self._send_reply(link, request, negotiated, reply)
        finally:
            if isinstance(reply, FileReply) and reply.close is not None:
                reply.close()

    async def _send_reply(self, link: _Link, request: TftpRequest, negotiated: Negotiated,
                          reply: BytesReply | FileReply) -> None:
        try:
            source = BlockSource(reply, negotiated.blksize, netascii=request.mode == "netascii")
        except SourceError as exc:
            log.error("tftp bad reply for %r: %s", request.path, exc)
            await link.send([Error(ErrorCode.NOT_DEFINED, "internal server error")])
            return
        session = ReadSession(
            blksize=negotiated.blksize,
            windowsize=negotiated.windowsize,
            timeout=negotiated.timeout or self.config.timeout,
            retries=self.config.retries,
            oack=negotiated.oack(source.size),
        )
        try:
            await link.drive(session, session.start(), source)
        except SourceError as exc:
            log.error("tftp reading %r for %s failed: %s", request.path, link.peer_name, exc)
            await link.send([Error(ErrorCode.NOT_DEFINED, "server failed reading the file")])
            return
        if session.failure:
            log.warning("tftp RRQ %r from %s failed: %s",
                        request.path, link.peer_name, session.failure)
        else:
            log.info("tftp RRQ %r from %s: sent %s bytes in %d blocks",
                     request.path, link.peer_name, source.size, session.acked)

    async def _write(self, link: _Link, request: TftpRequest, negotiated: Negotiated) -> None:
        assert self.upload_handler is not None
        session = WriteSession(
            blksize=negotiated.blksize,
            windowsize=negotiated.windowsize,
            timeout=negotiated.timeout or self.config.timeout,
            retries=self.config.retries,
            max_size=self.max_upload,
            oack=negotiated.oack(negotiated.client_tsize),
        )
        await link.drive(session, session.start())
        if session.state is not WriteState.AWAIT_VERDICT:
            log.warning("tftp WRQ %r from %s failed: %s",
                        request.path, link.peer_name, session.failure)
            return
        data = session.data
        if request.mode == "netascii":
            data = from_netascii(data)
        ok, verdict = await self._call("upload handler", self.upload_handler, request, data)
        if not ok:
            out = session.reject(ErrorCode.NOT_DEFINED, verdict)
        elif isinstance(verdict, ErrorReply):
            out = session.reject(verdict.code, verdict.message)
        else:
            out = session.accept()
        await link.drive(session, out)
        log.info("tftp WRQ %r from %s: %s (%d bytes)", request.path, link.peer_name,
                 session.failure or "stored", len(data))


class _Link:
    """One transfer's socket and peer: sends packets, runs a session until it rests."""

    def __init__(self, sock: trio.socket.SocketType, peer: Address, active: _Active) -> None:
        self.sock = sock
        self.peer = peer
        self.peer_name = _peer(peer)
        self.active = active

    async def send(self, packets: list[Packet]) -> None:
        for packet in packets:
            await self.sock.sendto(encode(packet), self.peer)

    async def drive(
        self,
        session: ReadSession | WriteSession,
        outgoing: list[Packet],
        source: BlockSource | None = None,
    ) -> None:
        """Feed the session until it finishes or waits for an upload verdict."""
        self.active.session = session
        if source is not None:
            outgoing += await _fill(session, source)  # type: ignore[arg-type]
        await self.send(outgoing)
        deadline = trio.current_time() + session.timeout
        while not session.finished and session.state is not WriteState.AWAIT_VERDICT:
            received = None
            with trio.move_on_at(deadline):
                received = await self.sock.recvfrom(_RECV_SIZE)
            if received is None:
                outgoing = session.timed_out()
            else:
                datagram, addr = received
                if addr != self.peer:
                    await self._unknown_tid(datagram, addr)
                    continue
                try:
                    packet = decode(datagram)
                except MalformedPacket as exc:
                    outgoing = session.receive_malformed(str(exc))
                else:
                    outgoing = session.receive(packet)
            if source is not None:
                outgoing += await _fill(session, source)  # type: ignore[arg-type]
            if outgoing or received is None:
                await self.send(outgoing)
                deadline = trio.current_time() + session.timeout

    async def _unknown_tid(self, datagram: bytes, addr: Address) -> None:
        log.warning("tftp packet from unknown TID %s on the transfer for %s",
                    _peer(addr), self.peer_name)
        if datagram.startswith(_ERROR_OPCODE):
            return
        message = "unknown transfer ID: this port serves another client"
        try:
            await self.sock.sendto(encode(Error(ErrorCode.UNKNOWN_TID, message)), addr)
        except OSError as exc:
            log.warning("tftp could not send error to %s: %s", _peer(addr), exc)


async def _fill(session: ReadSession, source: BlockSource) -> list[Packet]:
    """Top up the session's window from the source."""
    out: list[Packet] = []
    while session.blocks_wanted:
        out.append(session.supply(await source.next_block()))
    return out


def _peer(addr: Address) -> str:
    return f"{addr[0]}:{addr[1]}"
