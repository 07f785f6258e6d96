"""Measure why `serve --processes N` keeps a phone's address on one process: Yealink
two-stage detection (common file, then the MAC file on a NEW connection, as the phone does)
from many loopback addresses, with the cBPF address affinity on and off.  Not a test.

    .venv/bin/python bench/affinity.py [--phones 120] [--processes 2]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import trio

ROOT = Path(__file__).resolve().parent.parent
LEADER = re.compile(rb"provhost serving on \S+: HTTP (\d+)")


def start(data: str, n: int, affinity: bool) -> tuple[subprocess.Popen[bytes], int]:
    env = {**os.environ, "PROVHOST_LISTEN": "127.0.0.1", "PROVHOST_HTTP_PORT": "0",
           "PROVHOST_TFTP_PORT": "0", "PROVHOST_API_PORT": "0", "PROVHOST_FTP_PORT": "0",
           "PROVHOST_AFFINITY": "1" if affinity else "0"}
    proc = subprocess.Popen([str(ROOT / ".venv/bin/provhost"), "--data-dir", data, "serve",
                             "--processes", str(n)], env=env, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    seen = b""
    while not (m := LEADER.search(seen)):
        line = proc.stderr.readline()
        assert line, seen.decode()
        seen += line
    time.sleep(3)  # the other processes finish starting
    return proc, int(m[1])


async def storm(port: int, phones: int) -> int:
    ok = 0

    async def phone(i: int) -> None:
        nonlocal ok
        ip = f"127.0.3.{i + 1}"
        for path in ("/y000000000032.cfg", f"/0015650003{i:02x}.cfg"):
            transport = httpx.AsyncHTTPTransport(local_address=ip)
            async with httpx.AsyncClient(transport=transport, timeout=20) as c:
                r = await c.get(f"http://127.0.0.1:{port}{path}")
        if r.status_code == 200 and r.content.startswith(b"#!version:1.0.0.1"):
            ok += 1

    async with trio.open_nursery() as n:
        for i in range(phones):
            n.start_soon(phone, i)
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phones", type=int, default=120)
    ap.add_argument("--processes", type=int, default=2)
    a = ap.parse_args()
    print(f"{a.phones} Yealink phones, {a.processes} processes; shared 2-core machine")
    for affinity in (True, False):
        with tempfile.TemporaryDirectory() as data:
            proc, port = start(data, a.processes, affinity)
            try:
                ok = trio.run(storm, port, a.phones)
            finally:
                proc.terminate()
                proc.wait()
        print(f"affinity {'on ' if affinity else 'off'}: {ok}/{a.phones} MAC files from the "
              f"Yealink module ({100 * ok / a.phones:.0f}%)")
    sys.exit(0)


if __name__ == "__main__":
    main()
