"""Patton SmartNode: the module's boot sequences replayed with curl (SmartNode
User-Agents, own loopback addresses) and tftp-hpa against one server; /<mac>.cfg of
other vendors is left alone; the dial plan becomes routes; resync is a NOTIFY
"check-sync" received by SIPp."""

from __future__ import annotations

from pathlib import Path

from .conftest import Running, curl
from .notify_check import reload_sends_event
from .replay_sequences import replay, sequences

UA = ("SmartNode (Model:SN4112/JS/EUI; Serial:00A0BA004112; Software Version:R6.2 "
      "2012-09-11 H323 SIP FXS FXO; Hardware Version:4.4)")


async def test_patton_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    for n, file in enumerate(sequences("patton")):
        problems = await replay(server, file, f"127.0.0.{70 + n}", tmp_path)
        assert problems == [], problems

    svc = server.svc
    for n in ("150", "20"):
        svc.line_add(n)
    svc.prefix_add("0")
    svc.phone_add("00a0ba004112", "patton_sn4112")
    svc.line_add("21", phone="00a0ba004112", sip_username="gw21")
    svc.setting_set("TIMEZONE_OFFSET", "19800")  # UTC+05:30
    status, body = await curl("--interface", "127.0.0.1", "-A", UA,
                              server.url("/00a0ba004112.cfg"))
    assert status == 200, body
    text = body.decode()
    assert "clock local default-offset +05:30\n" in text
    for route in ("1..", "2.", "0.%T"):  # 150 -> 1.., 20/21 -> 2., prefix 0 -> 0.%T
        assert f"    route {route} dest-interface IF_SIP_PBX MAP_CALLER_0\n" in text
    admin = svc.phone_show("00a0ba004112")["admin_password"]
    assert f"administrator admin password {admin}\n" in text
    # another vendor's MAC file over TFTP, or a non-SmartNode agent: not Patton's
    status, body = await curl("--interface", "127.0.0.78", "-A", "Wget/1.21",
                              server.url("/00a0ba00ffff.cfg"))
    assert svc.store.get_phone("00a0ba00ffff") is None or \
        svc.store.get_phone("00a0ba00ffff").module_id != "patton"
    # a credential cannot add CLI words or commands of its own
    svc.line_add("22", phone="00a0ba004112", sip_username="gw22",
                 sip_password="pw\nadministrator admin password owned")
    status, body = await curl("--interface", "127.0.0.1", "-A", UA,
                              server.url("/00a0ba004112.cfg"))
    assert status == 200 and b"\nadministrator admin password owned" not in body
    assert b"  username gw22 password pw_administrator_admin_password_owned\n" in body
    await reload_sends_event(server, "00a0ba004112", "check-sync", tmp_path)
