"""Shared fixtures: a real trio TFTP server on an ephemeral loopback port."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio
from provhost.tftp import serve_tftp

Starter = Callable[..., Awaitable[int]]


@pytest.fixture
def start_server(nursery: trio.Nursery) -> Starter:
    """`await start_server(handler, **serve_tftp_kwargs)` -> the bound port."""

    async def start(handler: Any, **kwargs: Any) -> int:
        return await nursery.start(lambda task_status: serve_tftp(
            handler, port=0, task_status=task_status, **kwargs))

    return start
