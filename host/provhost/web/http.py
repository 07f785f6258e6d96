"""ASGI plumbing of the web administration: requests, responses, cookies, forms.

Every response carries headers that keep a page from being framed, sniffed or made to run
script from anywhere but our own static file (Content-Security-Policy without
'unsafe-inline'): escaping in the templates is the first layer, the CSP the second.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

MAX_FORM = 2 * 1024 * 1024  # a pasted CSV
MAX_UPLOAD = 64 * 1024 * 1024  # a module archive or a firmware image

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
     b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # not no-referrer: Chromium then sends Origin: null
    (b"cache-control", b"no-store"),
]


class TooLarge(Exception):
    pass


@dataclass
class WebRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    client_ip: str
    https: bool
    body: bytes = b""
    _form: dict[str, str] | None = field(default=None, repr=False)

    @classmethod
    def from_scope(cls, scope: Scope) -> WebRequest:
        headers: dict[str, str] = {}
        for k, v in scope.get("headers", []):
            headers[k.decode("latin-1").lower()] = v.decode("latin-1")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                               keep_blank_values=True))
        client = scope.get("client") or ("", 0)
        return cls(scope["method"], scope["path"], query, headers, str(client[0]),
                   scope.get("scheme") == "https")

    def cookie(self, name: str) -> str | None:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is simply no cookie
            return None
        morsel = jar.get(name)
        return morsel.value if morsel else None

    def form(self) -> dict[str, str]:
        """An urlencoded form body (the only form encoding our pages send)."""
        if self._form is None:
            ctype = self.headers.get("content-type", "")
            if ctype.startswith("application/x-www-form-urlencoded"):
                self._form = dict(parse_qsl(self.body.decode("utf-8", "replace"),
                                            keep_blank_values=True))
            else:
                self._form = {}
        return self._form

    def field(self, name: str, default: str = "") -> str:
        return self.form().get(name, default).strip()


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    def set_cookie(self, name: str, value: str, *, secure: bool, max_age: int | None = None
                   ) -> None:
        parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Strict"]
        if secure:
            parts.append("Secure")
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        self.headers.append((b"set-cookie", "; ".join(parts).encode()))


def redirect(location: str) -> Response:
    return Response(303, b"", headers=[(b"location", location.encode())])


def json_response(status: int, text: str) -> Response:
    return Response(status, text.encode(), "application/json")


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        msg = await receive()
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"request body larger than {limit} bytes")
        chunks.append(chunk)
        if not msg.get("more_body"):
            return b"".join(chunks)


async def send_response(send: Send, resp: Response) -> None:
    own = {name for name, _ in resp.headers}  # a response may replace a default (caching)
    headers = [(b"content-type", resp.content_type.encode()),
               (b"content-length", str(len(resp.body)).encode()),
               *(h for h in SECURITY_HEADERS if h[0] not in own), *resp.headers]
    await send({"type": "http.response.start", "status": resp.status, "headers": headers})
    await send({"type": "http.response.body", "body": resp.body})
