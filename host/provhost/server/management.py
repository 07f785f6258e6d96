"""The management listener's one ASGI app: the REST API under /api/, the web
administration (provhost.web) for everything else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from provhost.server.lifespan import acknowledge_lifespan

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def management_app(api: App, web: App) -> App:
    """/api/... to the API (bearer token), the rest to the pages (session login)."""
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await acknowledge_lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"].startswith("/api/"):
            await api(scope, receive, send)
        elif scope["type"] == "http":
            await web(scope, receive, send)
    return app
