"""Flyingvoice FIP: the module's boot sequences replayed with curl (firmware User-Agent,
own loopback addresses) and tftp-hpa against one server; the Yealink file names it shares
stay with Yealink phones; resync is a NOTIFY "check-sync;reboot=true" received by SIPp."""

from __future__ import annotations

from pathlib import Path

from .conftest import Running, curl
from .notify_check import reload_sends_event
from .replay_sequences import replay, sequences


async def test_flyingvoice_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    for n, file in enumerate(sequences("flyingvoice")):
        problems = await replay(server, file, f"127.0.0.{90 + n}", tmp_path)
        assert problems == [], problems

    svc = server.svc
    # a Yealink announcing itself and asking for its MAC file is still the Yealink's
    yealink = ["--interface", "127.0.0.98", "-A", "Yealink SIP-T46G 28.83.0.50 00:15:65:90:00:01"]
    status, _ = await curl(*yealink, server.url("/y000000000028.cfg"))
    assert status == 404
    status, body = await curl(*yealink, server.url("/001565900001.cfg"))
    assert status == 200 and b"sip.notify_reboot_enable" in body
    assert svc.store.get_phone("001565900001").module_id == "yealink"

    # numbering and time zone reach the profile
    svc.line_add("150")
    svc.prefix_add("0")
    svc.setting_set("TIMEZONE_OFFSET", "-16200")  # UTC-4:30
    svc.phone_add("0021f2000010", "flyingvoice_fip10")
    svc.line_add("12", phone="0021f2000010")
    status, body = await curl("--interface", "127.0.0.1", "-A",
                              "Flyingvoice FIP10 V0.6.24 00:21:F2:00:00:10",
                              server.url("/0021f2000010.cfg"))
    assert status == 200, body
    text = body.decode()
    assert "local_time.time_zone = -4.5\n" in text
    assert "account.1.dialplan.digitmap.string = 1xx|2x|5x|0x.T\n" in text  # 10-12, 150, 20, vm 50, 0
    # a name cannot add a setting of its own
    svc.user_add("mallory", "Eve\nstatic.security.user_password = admin:owned")
    svc.line_add("13", user="mallory", phone="0021f2000010")
    status, body = await curl("--interface", "127.0.0.1", "-A",
                              "Flyingvoice FIP10 V0.6.24 00:21:F2:00:00:10",
                              server.url("/0021f2000010.cfg"))
    assert status == 200 and b"\nstatic.security.user_password = admin:owned" not in body
    await reload_sends_event(server, "0021f2000010", "check-sync;reboot=true", tmp_path)
