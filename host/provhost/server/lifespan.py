"""ASGI lifespan: our apps hold no startup state (the engine is started by `serve_all`),
so they only acknowledge the protocol."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


async def acknowledge_lifespan(receive: Callable[[], Awaitable[dict[str, Any]]],
                               send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
