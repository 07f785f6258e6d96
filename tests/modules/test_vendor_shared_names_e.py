"""The shared file names /<mac>.cfg and /<mac>.xml with phones of every vendor that uses
them, first each from its own address, then all from one address one after the other:
the modules of this batch claim on evidence only (User-Agent, MAC block) and set no
markers, so nothing an earlier phone asked for makes them take a later one.  (tftp-hpa
always speaks from 127.0.0.1; the Yealink phones come last because a Yealink
announcement marks its address as a Yealink's for a minute, as the seed intends.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Running, curl, tftp_get

# (vendor's module, announcement requests before the MAC file, MAC, User-Agent or None
# for TFTP, path template)
PHONES = [
    ("audiocodes", [], "00908f00aa01", "AUDC-IPPhone/2.2.16.704 (440HD-Rev1; 00908F00AA01)",
     "/{mac}.cfg"),
    ("patton", [], "00a0ba00aa02",
     "SmartNode (Model:SN4112/JS/EUI; Serial:00A0BA00AA02; Software Version:R6.2; "
     "Hardware Version:4.4)", "/{mac}.cfg"),
    ("akuvox", [], "0c110500aa03", None, "/{mac}.cfg"),
    ("flyingvoice", [], "0021f200aa04", "Flyingvoice FIP13G V0.6.24 00:21:F2:00:AA:04",
     "/{mac}.cfg"),
    ("polycom", [], "0004f200aa06", None, "/{mac}.cfg"),
    ("escene", [], "00268b00aa07", None, "/{mac}.xml"),
    ("yealink", ["/y000000000028.cfg"], "00156500aa05", None, "/{mac}.cfg"),
    ("yealink", ["/y000000000028.cfg"], "00156500aa08", "Yealink SIP-T46G 28.83.0.50",
     "/{mac}.cfg"),
]


async def _fetch(server: Running, path: str, agent: str | None, address: str,
                 scratch: Path) -> tuple[bool, bytes]:
    if agent is None:
        rc, msg = await tftp_get(server.ports.tftp, path, str(scratch / "f"))
        ok = rc == 0 and "Error" not in msg
        return ok, (scratch / "f").read_bytes() if ok else b""
    status, body = await curl("--interface", address, "-A", agent, server.url(path))
    return status == 200, body


@pytest.mark.parametrize("same_address", [False, True])
async def test_each_phone_reaches_its_own_module(server: Running, tmp_path: Path,
                                                 same_address: bool) -> None:
    for n, (module, announce, mac, agent, path) in enumerate(PHONES):
        address = "127.0.0.1" if same_address or agent is None else f"127.0.0.{130 + n}"
        for first in announce:
            await _fetch(server, first, agent, address, tmp_path)
        ok, body = await _fetch(server, path.format(mac=mac), agent, address, tmp_path)
        assert ok, (module, mac)
        if module == "polycom":
            # the catch-all master file creates no phone; it must still be Polycom's
            assert b"CONFIG_FILES" in body
            assert server.svc.store.get_phone(mac) is None
            continue
        phone = server.svc.store.get_phone(mac)
        assert phone is not None and phone.module_id == module, (module, mac, phone)
