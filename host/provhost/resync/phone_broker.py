"""The capabilities of a resync script: connections to ONE phone, opened by the host.

A script never names an address: `urlopenPhone` and `connectPhone` always go to the phone's
own last-seen IP, so a hostile module cannot use a resync to reach anything else (the PBX,
the database, the internet).  Redirects are not followed (a phone could otherwise bounce
the request elsewhere).  Every connection is closed when the script ends.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import select
from typing import Any

import httpx
import trio

from provhost.moduleapi.capabilities import CapabilityBroker
from provhost.moduleapi.module_globals import set_module_var
from provhost.runtime.interface import BrokerError, ScriptKind
from provhost.store.sqlite import SqliteStore

log = logging.getLogger("provhost.resync")

MAX_RESPONSE = 1024 * 1024
MAX_CONNECTIONS = 4
IO_TIMEOUT = 10.0
_PATH = re.compile(r"^/[\x21-\x7e]*$")  # printable, no spaces: the phone's own URL space


def _check_path(path: str) -> str:
    if not _PATH.match(path) or "\\" in path:
        raise BrokerError(f"the path must start with '/' and be printable "
                          f"ASCII without spaces, got {path!r}")
    return path


def _auth_for(scheme: str, user: str, password: str) -> httpx.Auth:
    return httpx.DigestAuth(user, password) if scheme == "digest" else httpx.BasicAuth(user, password)


async def _fetch(client: httpx.AsyncClient, method: str, url: str, content: Any,
                 auth: httpx.Auth | None) -> tuple[int, bytes]:
    async with client.stream(method, url, content=content, auth=auth) as response:
        return response.status_code, await _capped(response)


async def _capped(response: httpx.Response) -> bytes:
    """The body up to MAX_RESPONSE bytes, read as it streams: a phone (or anything at its
    address) sending an endless or huge answer costs at most that much memory."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk[:MAX_RESPONSE - size])
        size += len(chunks[-1])
        if size >= MAX_RESPONSE:
            break
    return b"".join(chunks)


async def _first_readable(sock: Any, scope: trio.CancelScope) -> None:
    await trio.lowlevel.wait_readable(sock)
    scope.cancel()


class PhoneBroker:
    """The handler set of resync scripts (moduleapi/capabilities.py), bound to one phone
    address."""

    def __init__(self, phone_ip: str, *, module_id: str = "",
                 store: SqliteStore | None = None) -> None:
        ip = ipaddress.ip_address(phone_ip)  # raises on garbage: no host names, ever
        self.module_id, self.store = module_id, store
        self.host = f"[{ip}]" if ip.version == 6 else str(ip)
        self.ip = str(ip)
        self._conns: dict[int, trio.SocketStream | trio.socket.SocketType] = {}
        self._next_id = 1
        self.requests: list[str] = []  # what was done, for the trace and tests

    async def call(self, function: str, args: list[Any]) -> Any:
        """As a Broker: the capability manifest's resync functions, checked there."""
        return await CapabilityBroker(ScriptKind.RESYNC, self).call(function, args)

    async def urlopen(self, scheme: str, path: str, options: dict[str, Any] | None = None
                      ) -> bytes:
        options = options or {}
        if scheme not in ("http", "https"):
            raise BrokerError(f"scheme must be 'http' or 'https', got {scheme!r}")
        port = options.get("port")
        if port is not None and not (isinstance(port, int) and 0 < port < 65536):
            raise BrokerError("'port' must be an integer 1-65535")
        url = f"{scheme}://{self.host}{f':{port}' if port else ''}{_check_path(path)}"
        auth_kind = str(options.get("auth", "auto"))
        if auth_kind not in ("auto", "basic", "digest"):
            raise BrokerError(f"auth must be auto, basic or digest, got {auth_kind!r}")
        user, password = options.get("user"), options.get("password")
        if auth_kind != "auto" and (user is None or password is None):
            raise BrokerError("'auth' needs 'user' and 'password'")
        body = options.get("body")
        method = "POST" if body is not None else "GET"
        verify = bool(options.get("verifySslCert", True))
        self.requests.append(f"{method} {url}")
        try:
            async with httpx.AsyncClient(verify=verify, follow_redirects=False,
                                         timeout=IO_TIMEOUT, trust_env=False) as client:
                status, data = await self._send(client, method, url, body, auth_kind, user,
                                                password)
        except httpx.HTTPError as e:
            raise BrokerError(f"{method} {url} failed: {e}") from None
        log.info("resync %s %s -> %d", method, url, status)
        return data

    @staticmethod
    async def _send(client: httpx.AsyncClient, method: str, url: str, body: Any,
                    auth_kind: str, user: Any, password: Any) -> tuple[int, bytes]:
        content = body.encode() if isinstance(body, str) else body
        if auth_kind != "auto" or user is None:
            auth = _auth_for(auth_kind, str(user), str(password)) if user is not None else None
            return await _fetch(client, method, url, content, auth)
        # auto: ask without credentials, answer whichever challenge the phone sends
        async with client.stream(method, url, content=content) as first:
            challenge = first.headers.get("www-authenticate", "").split(" ", 1)[0].lower()
            if first.status_code != 401 or challenge not in ("basic", "digest"):
                return first.status_code, await _capped(first)
        auth = _auth_for(challenge, str(user), str(password))
        return await _fetch(client, method, url, content, auth)

    async def connect(self, proto: str, port: int) -> int:
        if proto not in ("tcp", "udp"):
            raise BrokerError(f"proto must be 'tcp' or 'udp', got {proto!r}")
        if not 0 < port < 65536:
            raise BrokerError(f"bad port {port}")
        if len(self._conns) >= MAX_CONNECTIONS:
            raise BrokerError(f"at most {MAX_CONNECTIONS} open connections")
        self.requests.append(f"{proto} {self.ip}:{port}")
        try:
            with trio.fail_after(IO_TIMEOUT):
                if proto == "tcp":
                    conn: Any = await trio.open_tcp_stream(self.ip, port)
                else:
                    family = trio.socket.AF_INET6 if ":" in self.ip else trio.socket.AF_INET
                    conn = trio.socket.socket(family, trio.socket.SOCK_DGRAM)
                    await conn.connect((self.ip, port))
        except (OSError, trio.TooSlowError) as e:
            raise BrokerError(f"{proto} {self.ip}:{port}: {e}") from None
        cid, self._next_id = self._next_id, self._next_id + 1
        self._conns[cid] = conn
        return cid

    def _conn(self, cid: int) -> Any:
        conn = self._conns.get(cid)
        if conn is None:
            raise BrokerError(f"no open phone connection {cid}")
        return conn

    async def read(self, cid: int, size: int) -> bytes:
        conn = self._conn(cid)
        size = max(1, min(size, 65536))
        with trio.move_on_after(IO_TIMEOUT):
            if isinstance(conn, trio.SocketStream):
                return await conn.receive_some(size)
            return await conn.recv(size)
        return b""  # nothing arrived in time: the script sees end of data

    async def write(self, cid: int, data: bytes | str) -> int:
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        conn = self._conn(cid)
        try:
            with trio.fail_after(IO_TIMEOUT):
                if isinstance(conn, trio.SocketStream):
                    await conn.send_all(data)
                    return len(data)
                return await conn.send(data)
        except (OSError, trio.TooSlowError, trio.BrokenResourceError) as e:
            raise BrokerError(f"phone connection {cid}: {e}") from None

    async def close(self, cid: int) -> None:
        conn = self._conns.pop(cid, None)
        if isinstance(conn, trio.SocketStream):
            await conn.aclose()
        elif conn is not None:
            conn.close()

    def info(self, cid: int) -> dict[str, list[Any]]:
        """Local and peer address of a connection (socket_getsockname/getpeername)."""
        conn = self._conn(cid)
        sock = conn.socket if isinstance(conn, trio.SocketStream) else conn
        local, peer = sock.getsockname(), sock.getpeername()
        return {"local": [local[0], local[1]], "peer": [peer[0], peer[1]]}

    async def poll(self, ids: list[Any], timeout: int | float) -> list[int]:
        """Which of the connections have data to read within `timeout` seconds
        (socket_select); at most IO_TIMEOUT."""
        socks = {}
        for cid in ids[:MAX_CONNECTIONS]:
            if not isinstance(cid, int):
                raise BrokerError("connPoll: connection ids must be integers")
            conn = self._conn(cid)
            socks[cid] = conn.socket if isinstance(conn, trio.SocketStream) else conn

        def ready_now() -> list[int]:
            readable, _, _ = select.select([s.fileno() for s in socks.values()], [], [], 0)
            return [cid for cid, s in socks.items() if s.fileno() in readable]

        ready = ready_now()
        wait = max(0.0, min(float(timeout), IO_TIMEOUT))
        if ready or wait == 0 or not socks:
            return ready
        with trio.move_on_after(wait):
            async with trio.open_nursery() as nursery:
                for sock in socks.values():
                    nursery.start_soon(_first_readable, sock, nursery.cancel_scope)
        return ready_now()

    def set_module_var(self, name: str, value: Any) -> None:
        if self.store is None:
            raise BrokerError("setModuleVar() is not available here")
        set_module_var(self.store, self.module_id, name, value)

    async def aclose(self) -> None:
        for cid in list(self._conns):
            await self.close(cid)
