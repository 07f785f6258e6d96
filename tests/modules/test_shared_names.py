"""File names several vendors ask for (/<mac>.cfg, /<mac>.xml, /<mac>-<name>): each phone
gets its own vendor's answer, whether the phones share one address (NAT) or not, with the
evidence each firmware really gives (announcement files, markers, User-Agent)."""

from __future__ import annotations

from pathlib import Path

from .boot_replay import api_client
from .conftest import Running, curl

YEALINK_UA = "Yealink SIP-T46S 66.84.0.15 00:15:65:d0:00:01"
POLYCOM_UA = "FileTransport PolycomVVX-VVX_410-UA/5.9.5.0614"
CISCO_UA = "Cisco-CP-8841-3PCC/11.3.7 (00562bd00003)"


async def _who(server: Running, api, source: str, ua: str, path: str,
               *extra: str) -> tuple[int, str | None, bytes]:
    args = ["--interface", source, "-A", ua, *extra]
    status, body = await curl(*args, server.url(path))
    trace = (await api.get("/traces", params={"limit": 1})).json()[0]
    assert trace["path"] == path
    return status, trace["answered_by"], body


async def test_shared_names_from_same_and_different_addresses(server: Running,
                                                              tmp_path: Path) -> None:
    async with api_client(server) as api:
        for same in (True, False):
            ip = (lambda n: "127.0.0.90") if same else (lambda n: f"127.0.0.{91 + n}")
            sfx = "1" if same else "2"
            ymac, pmac, cmac = f"001565d0000{sfx}", f"0004f2d0000{sfx}", f"00562bd0000{sfx}"
            # a Yealink announces itself over HTTP (common file), then its MAC file
            status, who, _ = await _who(server, api, ip(0), YEALINK_UA, "/y000000000066.cfg")
            assert (status, who) == (404, "yealink")
            status, who, body = await _who(server, api, ip(0), YEALINK_UA, f"/{ymac}.cfg")
            assert (status, who) == (200, "yealink") and body.startswith(b"#!version")
            # a Polycom right after, /<mac>.cfg from the same (or another) address
            status, who, body = await _who(server, api, ip(1), POLYCOM_UA, f"/{pmac}.cfg")
            assert (status, who) == (200, "polycom") and b"<APPLICATION" in body
            # even with a Yealink-looking MAC prefix, a Polycom User-Agent is Polycom's
            status, who, body = await _who(server, api, ip(1), POLYCOM_UA,
                                           f"/001565d1000{sfx}.cfg")
            assert (status, who) == (200, "polycom")
            # the Cisco 3PCC's root /<mac>.xml; a Polycom or plain client gets nothing
            status, who, body = await _who(server, api, ip(2), CISCO_UA, f"/{cmac}.xml")
            assert (status, who) == (200, "cisco-spa") and b"<flat-profile>" in body
            status, who, _ = await _who(server, api, ip(1), POLYCOM_UA, f"/{pmac}.xml")
            assert (status, who) == (404, None)
            # uploads named after the MAC: each vendor keeps its own names
            status, who, _ = await _who(server, api, ip(0), YEALINK_UA, f"/{ymac}-local.cfg",
                                        "-X", "PUT", "--data-binary", "#!version:1.0.0.1\n")
            assert (status, who) == (204, "yealink")
            status, who, _ = await _who(server, api, ip(1), POLYCOM_UA, f"/{pmac}-app.log",
                                        "-X", "PUT", "--data-binary", "log\n")
            assert (status, who) == (204, "polycom")
            status, who, _ = await _who(server, api, ip(1), POLYCOM_UA, f"/{pmac}-local.cfg",
                                        "-X", "PUT", "--data-binary", "x")
            assert status == 403
        # the Yealink and the Cisco were created by their configuration, the Polycom by its
        # log upload (with the model from its User-Agent); a master file creates nobody
        phones = {m: server.svc.store.get_phone(m).phone_type
                  for m in ("001565d00001", "0004f2d00001", "00562bd00001")}
        assert phones == {"001565d00001": "yealink_t46s", "0004f2d00001": "vvx410",
                          "00562bd00001": "cp8841"}
        assert server.svc.store.get_phone("001565d10001") is None
