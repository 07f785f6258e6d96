"""The MAC-scan guard wired into the server: a scanner is throttled (HTTP 429 with
Retry-After, TFTP error "too many requests"), one fail2ban-matchable log line is written,
and every other address keeps being served."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from .conftest import Running, curl, tftp_get

FAIL2BAN = re.compile(r"^.*provhost: mac-scan suspected from (?P<host>[0-9.]+):")


async def test_mac_scanner_is_throttled_and_logged(server: Running, tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    known = "0004f2000123"
    server.svc.phone_add(known, "spa504g")
    statuses = []
    with caplog.at_level(logging.WARNING, logger="provhost.scan"):
        for n in range(25):
            status, _ = await curl("--interface", "127.0.0.77",
                                   server.url(f"/Cisco/SPA504G/0004f2{n:06x}.cfg"))
            statuses.append(status)
    assert statuses[:20] == [200] * 20  # guesses answered until the threshold...
    assert set(statuses[20:]) == {429}  # ...then throttled
    lines = [r.getMessage() for r in caplog.records if "mac-scan" in r.getMessage()]
    assert len(lines) == 1
    m = FAIL2BAN.match(lines[0])
    assert m is not None and m["host"] == "127.0.0.77"
    head = await curl("-sI", "--interface", "127.0.0.77", server.url("/anything.cfg"))
    assert head[0] == 429
    rc, msg = await tftp_get(server.ports.tftp, "/spa504G.cfg", str(tmp_path / "x"))
    assert rc == 0, msg  # TFTP from another address (127.0.0.1) is still served
    status, _ = await curl(server.url(f"/Cisco/SPA504G/{known}.cfg"))
    assert status == 200
