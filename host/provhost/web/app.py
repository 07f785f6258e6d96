"""The web administration's ASGI application: login, sessions, CSRF, routing, rendering.

The pages themselves are in `pages.py`; every operation they perform goes through the
service layer (and the engine, for what needs the running chain) exactly as the CLI and the
REST API do.  provhost.server.management puts the REST API (under /api/) and these pages on
the one management listener.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import trio

from provhost.chain.provisioner import Provisioner
from provhost.engine import Engine
from provhost.mac import pretty_mac
from provhost.service import Service, ServiceError
from provhost.web.auth import AdminPassword, Session, Sessions, csrf_ok
from provhost.web.http import (
    MAX_FORM,
    MAX_UPLOAD,
    Receive,
    Response,
    Scope,
    Send,
    TooLarge,
    WebRequest,
    read_body,
    redirect,
    send_response,
)
from provhost.web.throttle import LoginThrottle

log = logging.getLogger("provhost.web")
auth_log = logging.getLogger("provhost.web.auth")

HERE = Path(__file__).parent
COOKIE = "provhost_session"
STATIC = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}

Handler = Callable[["WebApp", WebRequest, Session, dict[str, str]], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    method: str
    regex: re.Pattern[str]
    handler: Handler
    upload: bool = False  # raw body (a file), not a form


def route(method: str, pattern: str, handler: Handler, *, upload: bool = False) -> Route:
    rx = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
    return Route(method, rx, handler, upload)


class WebApp:
    def __init__(self, svc: Service, engine: Engine, provisioner: Provisioner, *,
                 on_change: Callable[[], None] | None = None,
                 reload_spread: float = 2.0) -> None:
        from provhost.web import pages  # the route table refers back to this class

        self.svc, self.engine, self.provisioner = svc, engine, provisioner
        self.on_change = on_change or (lambda: None)
        self.reload_spread = reload_spread  # seconds between phones in "reload all stale"
        self.password = AdminPassword(svc.paths.data_dir)
        self.password.ensure()
        self.sessions = Sessions()
        self.throttle = LoginThrottle()
        self.routes = pages.ROUTES
        self.nursery: trio.Nursery | None = None  # background reloads, once run() started
        self.pending_reloads: set[str] = set()
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,  # every {{ }} is HTML-escaped, always
            undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True)
        self.env.filters["when"] = _when
        self.env.filters["size"] = _size
        self.env.filters["clip"] = _clip
        self.env.filters["pretty_mac"] = lambda mac: pretty_mac(mac) if mac else ""
        self._static = {name: (HERE / "static" / name).read_bytes() for name in STATIC}
        # in the static URLs, so a browser's cached copy never outlives an upgrade
        self.asset_version = hashlib.sha256(b"".join(self._static.values())).hexdigest()[:12]

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
                  ) -> None:
        """Own the nursery that spread-out reloads run in."""
        async with trio.open_nursery() as nursery:
            self.nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    # -- rendering --------------------------------------------------------------------
    def render(self, template: str, session: Session | None, status: int = 200,
               **context: Any) -> Response:
        page = self.env.get_template(template).render(
            session=session, csrf=session.csrf if session else "",
            flashes=session.take_flashes() if session else [],
            initial_password=self.password.is_initial, asset_version=self.asset_version,
            **context)
        return Response(status, page.encode())

    # -- ASGI ---------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is answered by the listener's dispatcher
            return
        req = WebRequest.from_scope(scope)
        try:
            resp = await self._handle(req, receive)
        except TooLarge as e:
            resp = Response(413, str(e).encode(), "text/plain; charset=utf-8")
        except Exception:
            log.exception("web administration: %s %s failed", req.method, req.path)
            resp = Response(500, b"internal error; see the server log",
                            "text/plain; charset=utf-8")
        await send_response(send, resp)

    async def _handle(self, req: WebRequest, receive: Receive) -> Response:
        if req.path == "/favicon.ico":
            return Response(204, b"", "image/x-icon")
        if req.path.startswith("/static/"):
            name = req.path[len("/static/"):]
            if name not in STATIC:
                return Response(404, b"not found", "text/plain")
            return Response(200, self._static[name], STATIC[name],  # same for a server's life
                            headers=[(b"cache-control", b"private, max-age=3600")])
        now = time.monotonic()
        session = self.sessions.get(req.cookie(COOKIE), now)
        if req.path == "/login":
            if req.method == "POST":
                req.body = await read_body(receive, 64 * 1024)
                return await self._login(req)
            if session is not None:
                return redirect("/phones")
            return self.render("login.html", None, error="")
        if session is None:
            if req.method == "GET":
                return redirect("/login")
            return self.render("error.html", None, 403, title="Not logged in",
                               message="Log in first (your session may have expired).")
        if req.method not in ("GET", "HEAD"):
            refused = self._cross_site(req)
            if refused:
                return self.render("error.html", session, 403, title="Refused",
                                   message=refused)
        for r in self.routes:
            m = r.regex.match(req.path)
            if m is None or r.method != req.method:
                continue
            if req.method == "POST":
                req.body = await read_body(receive, MAX_UPLOAD if r.upload else MAX_FORM)
                presented = req.headers.get("x-csrf-token") or req.form().get("csrf")
                if not csrf_ok(session, presented):
                    log.warning("web administration: %s %s from %s refused: no valid CSRF token",
                                req.method, req.path, req.client_ip)
                    return self.render("error.html", session, 403, title="Refused",
                                       message="The form's security token (CSRF) is missing or "
                                               "wrong. Reload the page and try again.")
            try:
                resp = await r.handler(self, req, session, m.groupdict())
            except ServiceError as e:
                if req.method == "POST" and not r.upload:
                    session.flash("error", str(e))
                    return redirect(back_to(req))
                return self.render("error.html", session, 400, title="Refused", message=str(e))
            if req.method == "POST" and resp.status < 400:
                log.info("web administration: %s from %s", req.path, req.client_ip)  # audit
                self.on_change()
            return resp
        return self.render("error.html", session, 404, title="Not found",
                           message=f"There is no page {req.path}.")

    @staticmethod
    def _cross_site(req: WebRequest) -> str:
        """Second layer beside the CSRF token: a browser's Origin must be this server."""
        origin = req.headers.get("origin")
        if not origin:
            return ""  # not sent by every browser for same-origin posts; the token decides
        host = req.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            return f"cross-site request refused (Origin {origin} is not {host})"
        return ""

    async def _login(self, req: WebRequest) -> Response:
        if self._cross_site(req):
            return self.render("login.html", None, 403, error="Cross-site login refused.")
        now = time.monotonic()
        wait = self.throttle.retry_after(req.client_ip, now)
        if wait:
            auth_log.warning("provhost: web login refused from %s: throttled for %d s more",
                             req.client_ip, wait)
            return self.render("login.html", None, 429,
                               error=f"Too many wrong passwords from your address. "
                                     f"Try again in {wait} seconds.")
        password = req.field("password")
        ok = await trio.to_thread.run_sync(self.password.check, password)
        if not ok:
            auth_log.warning("provhost: web login failed from %s", req.client_ip)
            line = self.throttle.failed(req.client_ip, time.monotonic())
            if line:
                auth_log.warning("%s", line)
            return self.render("login.html", None, 401, error="Wrong password.")
        self.throttle.succeeded(req.client_ip)
        session = self.sessions.create(time.monotonic())
        auth_log.info("web login from %s", req.client_ip)
        resp = redirect("/phones")
        resp.set_cookie(COOKIE, session.sid, secure=req.https)
        return resp


def back_to(req: WebRequest) -> str:
    """Where to go after a refused form: the page it was sent from, if it is ours."""
    ref = req.headers.get("referer", "")
    host = req.headers.get("host", "")
    for scheme in ("http://", "https://"):
        prefix = scheme + host
        if host and ref.startswith(prefix + "/"):
            return ref[len(prefix):]
    return "/" + req.path.strip("/").split("/", 1)[0]


def _when(ts: float | None) -> str:
    if not ts:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _clip(value: object, limit: int = 300) -> str:
    """Long text that peers control (User-Agents, paths, PHP warnings) cut for display."""
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("bytes", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)
