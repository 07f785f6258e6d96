"""Is the server up and is it the version we installed?  HTTP, TFTP and the API answer.

HTTP: any HTTP response to a GET (a 404 is a healthy answer).  TFTP: any packet back for a
read request (an error packet is a healthy answer).  API: `GET /api/v1/version` with the
token returns the expected version.  Retried until every one passes or the bound expires.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import trio


@dataclass(frozen=True)
class Target:
    host: str
    http_port: int
    tftp_port: int
    api_host: str
    api_port: int
    token: str


async def http_ok(t: Target) -> str | None:
    """None when healthy, else what is wrong."""
    try:
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as c:
            await c.get(f"http://{t.host}:{t.http_port}/provhost-health-check")
    except httpx.HTTPError as e:
        return f"HTTP {t.host}:{t.http_port}: {type(e).__name__}"
    return None


async def tftp_ok(t: Target) -> str | None:
    sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
    with sock:
        rrq = struct.pack("!H", 1) + b"provhost-health-check\0octet\0"
        try:
            await sock.sendto(rrq, (t.host, t.tftp_port))
            with trio.move_on_after(1.0):
                data, _ = await sock.recvfrom(1024)
                return None if len(data) >= 4 else f"TFTP {t.tftp_port}: short answer"
        except OSError as e:
            return f"TFTP {t.host}:{t.tftp_port}: {e}"
    return f"TFTP {t.host}:{t.tftp_port}: no answer"


async def api_version(t: Target) -> tuple[str | None, str]:
    """(version, problem): the running version when the API answers."""
    try:
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as c:
            r = await c.get(f"http://{t.api_host}:{t.api_port}/api/v1/version",
                            headers={"authorization": f"Bearer {t.token}"})
    except httpx.HTTPError as e:
        return None, f"API {t.api_host}:{t.api_port}: {type(e).__name__}"
    if r.status_code != 200:
        return None, f"API /version: HTTP {r.status_code}"
    try:
        return str(r.json()["version"]), ""
    except (ValueError, KeyError, TypeError):
        return None, "API /version: not the expected JSON"


async def check_once(t: Target, expected_version: str) -> str | None:
    """None when every service answers and the API reports `expected_version`."""
    for probe in (http_ok, tftp_ok):
        problem = await probe(t)
        if problem:
            return problem
    version, problem = await api_version(t)
    if version is None:
        return problem
    if version != expected_version:
        return f"the server reports version {version}, expected {expected_version}"
    return None


async def wait_healthy(t: Target, expected_version: str, timeout: float, *,
                       alive: Callable[[], bool] | None = None) -> str | None:
    """Poll until healthy (None) or the bound expires (the last problem).  `alive` says
    whether the server process still exists: one that died will not become healthy."""
    problem: str | None = "not checked"
    with trio.move_on_after(timeout):
        while True:
            problem = await check_once(t, expected_version)
            if problem is None:
                return None
            if alive is not None and not alive():
                return f"the server process exited ({problem})"
            await trio.sleep(0.25)
    return f"not healthy within {timeout:.0f} s: {problem}"
