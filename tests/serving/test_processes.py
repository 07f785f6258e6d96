"""`provhost serve --processes N`: several real server processes sharing the HTTP and TFTP
ports, each phone address kept on one process (SO_REUSEPORT + a cBPF program), run and
stopped as one service."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import trio
from provhost.paths import SOURCE_ROOT
from provhost.server.processes import affinity_program

from .conftest import curl

PROVHOST = str(SOURCE_ROOT / ".venv" / "bin" / "provhost")
LEADER = re.compile(r"provhost serving on \S+: HTTP (\d+), TFTP (\d+), FTP \S+; API [^:]+:(\d+)")
CHILD = re.compile(r"\[p(\d+)/(\d+) pid (\d+)\]")


@dataclass
class ServerSet:
    proc: trio.Process
    http: int
    tftp: int
    api: int
    token: str
    pids: dict[int, int] = field(default_factory=dict)  # process index -> pid
    log: list[str] = field(default_factory=list)


@asynccontextmanager
async def serve_set(data: Path, database_url: str, n: int, nursery: trio.Nursery
                    ) -> AsyncIterator[ServerSet]:
    env = {**os.environ, "PROVHOST_LISTEN": "127.0.0.1", "PROVHOST_HTTP_PORT": "0",
           "PROVHOST_TFTP_PORT": "0", "PROVHOST_API_PORT": "0", "PROVHOST_FTP_PORT": "0",
           "PROVHOST_DATABASE": database_url}

    async def run(task_status: trio.TaskStatus[trio.Process] = trio.TASK_STATUS_IGNORED
                  ) -> None:
        await trio.run_process([PROVHOST, "--data-dir", str(data), "serve", "--processes",
                                str(n)], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               check=False, task_status=task_status)

    proc: trio.Process = await nursery.start(run)
    lines: list[str] = []
    ready: trio.Event = trio.Event()
    found: dict[str, object] = {}

    async def read() -> None:
        assert proc.stderr is not None
        buf = b""
        while chunk := await proc.stderr.receive_some(65536):
            buf += chunk
            *done, buf = buf.split(b"\n")
            for raw in done:
                line = raw.decode(errors="replace")
                lines.append(line)
                if m := CHILD.search(line):
                    pids = found.setdefault("pids", {})
                    assert isinstance(pids, dict)
                    pids[int(m[1])] = int(m[3])
                if m := LEADER.search(line):
                    found["ports"] = (int(m[1]), int(m[2]), int(m[3]))
                if "ports" in found and all(any(f"provhost process {i}/{n} serving" in x
                                                    for x in lines) for i in range(1, n)):
                    ready.set()

    nursery.start_soon(read)
    try:
        with trio.fail_after(60):
            await ready.wait()
        http, tftp, api = found["ports"]  # type: ignore[misc]
        token = (data / "api-token").read_text().strip()
        yield ServerSet(proc, http, tftp, api, token, found["pids"], lines)  # type: ignore[arg-type]
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


def _process_of(ip: str, n: int) -> int:
    """Where the affinity program sends an address: (IPv4 address) mod n."""
    return int(ipaddress.IPv4Address(ip)) % n


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def test_affinity_program_is_three_instructions() -> None:
    prog = affinity_program(4)
    assert len(prog) == 24  # ld [net+12]; mod #4; ret a


@pytest.mark.both_backends
async def test_two_stage_detection_from_many_addresses_across_processes(
        paths, database_url: str, nursery: trio.Nursery, tmp_path: Path) -> None:
    """24 Yealink phones, each on its own loopback address, stage one and stage two over
    different protocols and connections: every MAC file goes to the Yealink module, and
    the requests were spread over every process (the leader traced exactly its share)."""
    n = 3
    async with serve_set(paths.data_dir, database_url, n, nursery) as s:
        addresses = [f"127.0.2.{i}" for i in range(1, 25)]
        assert {_process_of(ip, n) for ip in addresses} == set(range(n))

        async def phone(i: int, ip: str) -> None:
            mac = f"0015650002{i:02x}"
            local = str(tmp_path / f"{i}.cfg")
            if i % 2:  # stage one over TFTP, stage two over HTTP (a new connection)
                rc, _ = await _tftp_from(ip, s.tftp, "/y000000000032.cfg", local)
                assert rc == 1  # the common file is only a signal: an error packet
                status, body = await curl("--interface", ip,
                                          f"http://127.0.0.1:{s.http}/{mac}.cfg")
                assert status == 200 and body.startswith(b"#!version:1.0.0.1"), (ip, body[:80])
            else:  # stage one over HTTP, stage two over TFTP
                status, _ = await curl("--interface", ip,
                                       f"http://127.0.0.1:{s.http}/y000000000032.cfg")
                assert status == 404
                rc, msg = await _tftp_from(ip, s.tftp, f"/{mac}.cfg", local)
                assert rc == 0, msg
                assert Path(local).read_text().startswith("#!version:1.0.0.1"), ip

        async with trio.open_nursery() as phones:
            for i, ip in enumerate(addresses):
                phones.start_soon(phone, i, ip)

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{s.api}/api/v1",
                                     headers={"Authorization": f"Bearer {s.token}"}) as api:
            traces = (await api.get("/traces", params={"limit": 500})).json()
        traced = {t["client"] for t in traces if t["client"].startswith("127.0.2.")}
        assert traced == {ip for ip in addresses if _process_of(ip, n) == 0}

        # one service: SIGTERM stops every process, exit code 0
        s.proc.send_signal(signal.SIGTERM)
        with trio.fail_after(30):
            assert await s.proc.wait() == 0
        assert all(_gone(pid) for pid in s.pids.values())
        assert any("stopping 3 processes" in x for x in s.log)


async def test_a_dying_process_stops_the_set(paths, nursery: trio.Nursery) -> None:
    async with serve_set(paths.data_dir, "", 2, nursery) as s:
        os.kill(s.pids[1], signal.SIGKILL)
        with trio.fail_after(30):
            assert await s.proc.wait() == 1  # the service manager restarts the set
        assert all(_gone(pid) for pid in s.pids.values())
        assert any("server process 1" in x and "exited with -9" in x for x in s.log)


async def _tftp_from(ip: str, port: int, remote: str, local: str) -> tuple[int, str]:
    """A minimal TFTP read (RFC 1350, octet) from source address `ip` (tftp-hpa cannot
    choose its source address): (0, "") or (1, the error message)."""
    import socket as stdsocket

    sock = trio.socket.socket(stdsocket.AF_INET, stdsocket.SOCK_DGRAM)
    with sock:
        await sock.bind((ip, 0))
        await sock.sendto(b"\x00\x01" + remote.encode() + b"\x00octet\x00", ("127.0.0.1", port))
        data = b""
        with trio.move_on_after(10) as timeout:
            while True:
                packet, peer = await sock.recvfrom(65536)
                if packet[:2] == b"\x00\x05":
                    return 1, packet[4:].decode(errors="replace")
                block = packet[2:4]
                data += packet[4:]
                await sock.sendto(b"\x00\x04" + block, peer)
                if len(packet) - 4 < 512:
                    break
        if timeout.cancelled_caught:
            return 1, "timeout"
    Path(local).write_bytes(data)
    return 0, ""
