"""Run SIPp (Debian sip-tester) as a UAS posing as the phone, for one call, on loopback.

The process is owned by an async context manager: whatever happens in the test body, it is
killed and reaped on the way out.  SIPp's own verdict is its exit code (0: the call went
through the scenario; 1: a check failed or a message was missing).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import trio

SCENARIOS = Path(__file__).parent / "scenarios"
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
START_TIMEOUT = 5.0  # until SIPp's UDP socket is bound
FINISH_TIMEOUT = 10.0  # after our side is done, until SIPp exits


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _udp_bound(port: int) -> bool:
    """Whether some socket is bound to UDP port `port` (read from /proc, so that checking
    never steals the port from SIPp)."""
    wanted = f":{port:04X}"
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) > 1 and fields[1].endswith(wanted):
            return True
    return False


@dataclass
class SippUas:
    port: int
    workdir: Path
    process: trio.Process

    async def finish(self) -> int:
        """SIPp's exit code, once it ends on its own (the -m 1 call is over)."""
        with trio.fail_after(FINISH_TIMEOUT):
            return await self.process.wait()

    def counts(self) -> dict[str, int]:
        """SIPp's final message counters (-trace_counts), e.g. {'0_NOTIFY_Retrans': 2}."""
        (path,) = self.workdir.glob("*_counts.csv")
        header, *rows = [line.rstrip(";").split(";") for line in path.read_text().splitlines()]
        return {name: int(value) for name, value in zip(header[2:], rows[-1][2:], strict=True)}

    def diagnostics(self) -> str:
        """SIPp's error and log files, for an assertion message."""
        parts = []
        for path in sorted(self.workdir.glob("*.log")) + sorted(self.workdir.glob("*.txt")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)


@asynccontextmanager
async def sipp_uas(scenario: str, workdir: Path, keys: dict[str, str] | None = None,
                   scenario_file: Path | None = None, port: int | None = None
                   ) -> AsyncIterator[SippUas]:
    port = port or free_udp_port()
    cmd = [SIPP, "-sf", str(scenario_file or SCENARIOS / scenario), "-i", "127.0.0.1",
           "-p", str(port), "-m", "1", "-nostdin", "-timeout", "15s", "-timeout_error",
           "-trace_err", "-trace_logs", "-trace_msg", "-trace_counts"]
    for name, value in (keys or {}).items():
        cmd += ["-key", name, value]
    workdir.mkdir(parents=True, exist_ok=True)
    with open(workdir / "sipp-screen.txt", "wb") as screen:
        process = await trio.lowlevel.open_process(cmd, cwd=workdir, stdin=subprocess.DEVNULL,
                                                   stdout=screen, stderr=screen)
    uas = SippUas(port, workdir, process)
    try:
        with trio.fail_after(START_TIMEOUT):
            while not _udp_bound(port):
                if process.poll() is not None:
                    raise RuntimeError(f"sipp exited with {process.returncode} before binding "
                                       f"UDP {port}\n{uas.diagnostics()}")
                await trio.sleep(0.01)
        yield uas
    finally:
        if process.returncode is None:
            process.kill()
        with trio.CancelScope(shield=True):
            await process.wait()
