"""A real provhost server (HTTP + TFTP, sandboxed bundled modules) on loopback, per test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import trio
from provhost.paths import Paths
from provhost.server.main import BoundPorts, ServerConfig, serve_all
from provhost.service import Service


@dataclass
class Running:
    svc: Service
    ports: BoundPorts

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.ports.http}{path}"


@pytest.fixture
async def server(paths: Paths, nursery: trio.Nursery) -> Running:
    svc = Service(paths)
    svc.store.add_user("alice", "Alice Example")
    cfg = ServerConfig(listen="127.0.0.1", http_port=0, tftp_port=0, api_port=0, ftp_port=0,
                       http_read_timeout=1.0)
    ports = await nursery.start(serve_all, svc, cfg)
    return Running(svc, ports)


async def curl(*args: str) -> tuple[int, bytes]:
    """Real curl: returns (HTTP status, body)."""
    proc = await trio.run_process(
        ["curl", "-s", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}", *args],
        capture_stdout=True, check=False)
    body, _, status = proc.stdout.rpartition(b"\n")
    return int(status or 0), body


async def tftp_get(port: int, remote: str, local: str) -> tuple[int, str]:
    """Debian's tftp-hpa client: returns (exit code, its messages)."""
    proc = await trio.run_process(
        ["tftp", "-m", "octet", "127.0.0.1", str(port), "-c", "get", remote, local],
        capture_stdout=True, capture_stderr=True, check=False)
    return proc.returncode, (proc.stdout + proc.stderr).decode()
