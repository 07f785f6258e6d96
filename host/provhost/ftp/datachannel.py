"""One-shot passive data listeners (PASV/EPSV): the only way data connections open.

Why one-shot and guarded: a passive port is announced in clear text, so anyone could race
the client to it.  The listener binds an ephemeral port on the control connection's local
address, accepts exactly one connection *from the control connection's client IP*
(others are closed on arrival), and closes itself when that connection arrives, when it
is replaced or dropped, or when nobody suitable connected within the timeout.
"""

from __future__ import annotations

import logging
import socket

import trio

log = logging.getLogger("provhost.ftp")


class PassiveListener:
    """Use `open_passive`; then `await take()` the data stream (None: nobody came)."""

    def __init__(self, sock: trio.socket.SocketType, client_ip: str, timeout: float) -> None:
        self._sock = sock
        self._client_ip = client_ip
        self._scope = trio.CancelScope(deadline=trio.current_time() + timeout)
        self._done = trio.Event()
        self._stream: trio.SocketStream | None = None
        self.port: int = sock.getsockname()[1]

    async def _accept_one(self) -> None:
        try:
            with self._scope:
                while True:
                    conn, address = await self._sock.accept()
                    if address[0] == self._client_ip:
                        self._stream = trio.SocketStream(conn)
                        return
                    log.warning("ftp: closed data connection from %s to passive port %d "
                                "(expected %s)", address[0], self.port, self._client_ip)
                    conn.close()
        finally:
            self._sock.close()
            self._done.set()

    async def take(self) -> trio.SocketStream | None:
        """Wait for the client's data connection (or the listener's end) and hand it over."""
        await self._done.wait()
        stream, self._stream = self._stream, None
        return stream

    async def aclose(self) -> None:
        self._scope.cancel()
        self._sock.close()
        if self._stream is not None:
            await self._stream.aclose()
            self._stream = None


async def open_passive(
    nursery: trio.Nursery, local_ip: str, client_ip: str, timeout: float
) -> PassiveListener:
    """Bind and listen (raises OSError if that fails); the accept task runs in `nursery`."""
    family = socket.AF_INET6 if ":" in local_ip else socket.AF_INET
    sock = trio.socket.socket(family, socket.SOCK_STREAM)
    try:
        await sock.bind((local_ip, 0))
        sock.listen(1)
    except OSError:
        sock.close()
        raise
    listener = PassiveListener(sock, client_ip, timeout)
    nursery.start_soon(listener._accept_one)
    return listener
