"""Fault-injection fixtures: a real server, test modules installed through the API, and
/proc views of the processes the server owns (workers, descriptors, memory).

Faults are injected from outside, the way they happen in production: SIGKILL of a worker
(the OOM killer), SIGKILL of the server (a power cut of the process), a provider that
sleeps, a provider that crashes.  Nothing inside provhost is patched.
"""

from __future__ import annotations

import contextlib
import io
import os
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import trio
from provhost.paths import Paths
from provhost.server.main import BoundPorts, ServerConfig, serve_all
from provhost.service import Service

from tests.proctree import descendants, parent_map

T = TypeVar("T")
SPA_MAC = "0004f2000777"  # a phone the bundled cisco-spa module answers


def module_zip(module_id: str, provider_php: str, *, sequence: str,
               extra: dict[str, str] | None = None) -> bytes:
    """A minimal add-on module: one phone type and one provider script (plus `extra`
    files: templates, included scripts, data, by path inside the module)."""
    files = {
        "info": (f"id = {module_id}\nname = Fault test {module_id}\nversion = 1.0\n"
                 f"sequence = {sequence}\n"),
        "phone_types": 't1 1 "Nothing"\n',
        "providers/p.php": provider_php,
        **(extra or {}),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"{module_id}/{name}", text)
    return buf.getvalue()


@dataclass
class Running:
    svc: Service
    ports: BoundPorts
    api: httpx.AsyncClient

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.ports.http}{path}"

    async def install(self, module_id: str, provider_php: str, *, sequence: str,
                      extra: dict[str, str] | None = None, runtime: str | None = None) -> None:
        """Install an add-on through the API; `runtime` pins it (`module runtime`)."""
        r = await self.api.post("/modules", params={"allow_unsigned": "1"},
                                content=module_zip(module_id, provider_php, sequence=sequence,
                                                   extra=extra))
        assert r.status_code == 201, r.text
        if runtime is not None:
            r = await self.api.put(f"/modules/{module_id}/runtime", json={"runtime": runtime})
            assert r.status_code == 200 and r.json()["runtime"] == runtime, r.text

    async def start_pools(self) -> None:
        """One request through the whole chain: modules' worker pools start on their first
        request (lazily), so a test that watches workers makes one first."""
        async with httpx.AsyncClient(timeout=30) as client:
            await client.get(self.url("/provhost-start-pools.txt"))

    async def last_trace(self) -> dict[str, Any]:
        r = await self.api.get("/traces", params={"limit": 1})
        return r.json()[0]


@pytest.fixture(params=["native", "wasm"])
def addon_runtime(request: pytest.FixtureRequest) -> str:
    """The runtime test modules (add-ons) run on: every fault is tried on both."""
    return str(request.param)


@pytest.fixture
async def server(paths: Paths, addon_runtime: str) -> AsyncIterator[Running]:
    """A server with one SPA phone (and a user) registered before it starts."""
    svc = Service(paths)
    try:
        svc.store.add_user("alice", "Alice Example")
        svc.phone_add(SPA_MAC, "spa504g")
    finally:
        svc.close()
    async with serving(paths, addon_runtime) as running:
        yield running


@contextlib.asynccontextmanager
async def serving(paths: Paths, addon_runtime: str) -> AsyncIterator[Running]:
    """The `server` fixture's server, stopped (and its service closed) when the block ends
    rather than at teardown, so a test can look at /proc once the server is gone."""
    svc = Service(paths)
    try:
        svc.setting_set("ADDON_RUNTIME", addon_runtime)
        cfg = ServerConfig(listen="127.0.0.1", http_port=0, tftp_port=0, api_port=0,
                           ftp_port=None, http_read_timeout=2.0)
        async with trio.open_nursery() as nursery:
            ports = await nursery.start(serve_all, svc, cfg)
            token = (paths.data_dir / "api-token").read_text().strip()
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports.api}/api/v1",
                                         headers={"Authorization": f"Bearer {token}"},
                                         timeout=30) as api:
                yield Running(svc, ports, api)
            nursery.cancel_scope.cancel()
    finally:
        svc.close()


# ----- /proc views ---------------------------------------------------------------------

def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def sandbox_workers(module_id: str, root: int | None = None) -> dict[int, int]:
    """For one module's pool: the interpreter's pid -> the host-side bwrap pid (the pool's
    worker).  A worker is bwrap (a child of the server) -> bwrap (pid 1 of the sandbox) ->
    the interpreter (phpworker natively, python running php.wasm for wasm); the outer
    bwrap's argv binds the module's firmware directory, named after the module."""
    needle = f"/firmware/{module_id}".encode()
    found: dict[int, int] = {}
    for pid in parent_map().get(root or os.getpid(), []):
        argv = _cmdline(pid).split(b"\0")
        if not argv[0].endswith(b"bwrap") or not any(a.endswith(needle) for a in argv):
            continue
        for inner in descendants(pid):
            if not _cmdline(inner).startswith(b"/usr/bin/bwrap"):
                found[inner] = pid
    return found


def wchan(pid: int) -> str:
    """Where the process sleeps in the kernel (hrtimer_nanosleep: in PHP's sleep())."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return ""


async def wait_for(predicate: Callable[[], T], what: str, seconds: float = 10.0) -> T:
    """Poll `predicate` until it returns something truthy (bounded: fails with `what`)."""
    with trio.move_on_after(seconds):
        while True:
            value = predicate()
            if value:
                return value
            await trio.sleep(0.02)
    raise AssertionError(f"gave up after {seconds} s waiting for {what}")
