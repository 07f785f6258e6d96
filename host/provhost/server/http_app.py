"""The provisioning HTTP(S) server as a plain ASGI application (served by hypercorn/trio).

GET and HEAD of any path go to the chain.  A 404 means every module passed (or one said
sendNotFound).  Files from disk (firmware, logos) are streamed in chunks, never loaded
whole.  PUT and POST carry a phone's upload (Polycom logs): the body is read up to the
UPLOAD_MAX_SIZE setting (413 past it), then offered to the chain; 204 when a module
stored it, 403 with the reason otherwise.  Other methods get 405 with an Allow header.
A phone whose provisioning credentials are required (auth/digest.py) gets 401 with
Digest challenges (SHA-256, then MD5) and no body until its request authenticates.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from provhost.auth import digest as phone_auth
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
from provhost.server.file_adapter import OpenFile
from provhost.server.lifespan import acknowledge_lifespan
from provhost.server.ranges import Unsatisfiable, byte_range

log = logging.getLogger("provhost.http")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

CHUNK = 64 * 1024
_ALLOW = b"GET, HEAD, PUT, POST"


class _TooLarge(Exception):
    pass


class _Gone(Exception):
    """The client disconnected while sending its upload: nobody to answer."""


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The request body, refusing it as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Gone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge(f"upload larger than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def _plain(send: Send, status: int, text: str, extra: Sequence[tuple[bytes, bytes]] = (),
                 head: bool = False) -> None:
    body = (text + "\n").encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()), *extra]})
    await send({"type": "http.response.body", "body": b"" if head else body})


class ProvisioningApp:
    def __init__(self, provisioner: Provisioner, *, proto: str = "http",
                 deadline: float = 15.0) -> None:
        self.provisioner = provisioner
        self.proto = proto
        self.deadline = deadline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await acknowledge_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        method = scope["method"]
        head = method == "HEAD"
        if method not in ("GET", "HEAD", "PUT", "POST"):
            await _plain(send, 405, "provisioning serves GET and HEAD, and PUT/POST uploads",
                         [(b"allow", _ALLOW)])
            return
        client = (scope.get("client") or ("0.0.0.0", 0))[0]
        headers = _headers(scope)
        upload = None
        if method in ("PUT", "POST"):
            limit = int(self.provisioner.state.snapshot().settings["UPLOAD_MAX_SIZE"])
            declared = headers.get("content-length", "")
            try:
                if declared.isdigit() and int(declared) > limit:
                    raise _TooLarge(f"upload of {declared} bytes exceeds the {limit}-byte limit")
                upload = await _read_body(receive, limit)
            except _TooLarge as e:
                log.warning("%s %s %s refused: %s", client, method, scope["path"], e)
                await _plain(send, 413, f"payload too large: {e}")
                return
            except _Gone:
                log.info("%s %s %s: the client left during the upload", client, method,
                         scope["path"])
                return
        server_ip = str((scope.get("server") or ("", 0))[0] or "")
        req = ProvisioningRequest(proto=self.proto, path=scope["path"], client_ip=client,
                                  method=method, headers=headers, upload=upload,
                                  server_ip=server_ip)
        answer, trace = await provision_with_deadline(self.provisioner, req, self.deadline)
        log.info("%s %s %s -> %s%s", client, method, trace.path, answer.status,
                 f" by {answer.module}" if answer.module else "")
        await self._respond(send, client, answer, head, headers.get("range"))

    async def _challenge(self, send: Send, client: str, *, stale: bool) -> None:
        """401 with one Digest challenge per algorithm; no body, nothing else said."""
        key = self.provisioner.state.phone_auth().key
        values = phone_auth.challenges(key, client, time.time(),
                                       secrets.token_bytes(phone_auth.SALT_SIZE), stale=stale)
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-length", b"0"),
            *((b"www-authenticate", v.encode()) for v in values)]})
        await send({"type": "http.response.body", "body": b""})

    async def _respond(self, send: Send, client: str, answer: Answer, head: bool,
                       range_header: str | None = None) -> None:
        """The one place answers become HTTP responses."""
        match answer:
            case Served():
                await self._serve(send, answer, head, range_header)
            case Stored():
                await send({"type": "http.response.start", "status": 204, "headers": []})
                await send({"type": "http.response.body", "body": b""})
            case Unauthorized(stale=stale):
                await self._challenge(send, client, stale=stale)
            case NotFound():
                await _plain(send, 404, "not found", head=head)
            case Rejected(reason=reason):
                await _plain(send, 400, f"bad request: {reason}", head=head)
            case Refused(reason=reason):
                await _plain(send, 403, f"upload refused: {reason}", head=head)
            case Throttled(retry_after=retry):
                await _plain(send, 429, "too many requests",
                             [(b"retry-after", str(retry).encode())], head)
            case Busy(retry_after=retry):
                await _plain(send, 503, "busy, try again",
                             [(b"retry-after", str(retry).encode())], head)

    async def _serve(self, send: Send, answer: Served, head: bool,
                     range_header: str | None) -> None:
        opened = None
        if answer.file is not None and answer.body is None and not head:
            # opened at once, before any await (see file_adapter.OpenFile): an upload
            # replacing the slot's content cannot take this file away mid-response
            opened = OpenFile(answer.file)
        try:
            await self._send_served(send, answer, head, range_header, opened)
        finally:
            if opened is not None:
                opened.close()

    async def _send_served(self, send: Send, answer: Served, head: bool,
                           range_header: str | None, opened: OpenFile | None) -> None:
        total = opened.size if opened is not None else answer.size
        try:
            wanted = byte_range(range_header, total)
        except Unsatisfiable:
            await send({"type": "http.response.start", "status": 416, "headers": [
                (b"content-range", f"bytes */{total}".encode()), (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        start, size = (0, total) if wanted is None else (wanted.start, wanted.length)
        headers = [(b"content-type", answer.content_type.encode()),
                   (b"content-length", str(size).encode()), (b"accept-ranges", b"bytes")]
        if wanted is not None:
            headers.append((b"content-range", wanted.content_range(total).encode()))
        await send({"type": "http.response.start", "status": 200 if wanted is None else 206,
                    "headers": headers})
        if head:
            await send({"type": "http.response.body", "body": b""})
        elif answer.body is not None:
            await send({"type": "http.response.body", "body": answer.body[start:start + size]})
        else:
            assert opened is not None
            sent = 0
            while sent < size:
                chunk = await opened.read(start + sent, min(CHUNK, size - sent))
                if not chunk:
                    break
                sent += len(chunk)
                await send({"type": "http.response.body", "body": chunk,
                            "more_body": sent < size})
            if sent < size:  # the file shrank under us: end the response honestly
                log.error("file %s shorter than announced", answer.file)
