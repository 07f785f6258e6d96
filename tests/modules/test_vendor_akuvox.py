"""Akuvox: the module's boot sequences replayed with tftp-hpa and curl against one
server; /<mac>.cfg without Akuvox evidence stays with other vendors; resync is a NOTIFY
"check-sync" received by SIPp."""

from __future__ import annotations

from pathlib import Path

from .conftest import Running, curl, tftp_get
from .notify_check import reload_sends_event
from .replay_sequences import replay, sequences


async def test_akuvox_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    for n, file in enumerate(sequences("akuvox")):
        problems = await replay(server, file, f"127.0.0.{100 + n}", tmp_path)
        assert problems == [], problems

    svc = server.svc
    # Polycom's MAC file over TFTP (Polycom block, no User-Agent) is not Akuvox's
    rc, msg = await tftp_get(server.ports.tftp, "/0004f2100001.cfg", str(tmp_path / "p.cfg"))
    assert rc == 0 and "CONFIG_FILES" in (tmp_path / "p.cfg").read_text(), msg
    # nor is an Akuvox-block MAC asked for with another vendor's User-Agent
    status, _ = await curl("--interface", "127.0.0.108", "-A", "Yealink SIP-T46G 28.83.0.50",
                           server.url("/0c1105000099.cfg"))
    phone = svc.store.get_phone("0c1105000099")
    assert phone is None or phone.module_id != "akuvox"

    svc.phone_add("0c1105000020", "akuvox_r20")
    svc.line_add("73", phone="0c1105000020")
    svc.setting_set("TIMEZONE_OFFSET", "3600")
    status, body = await curl("--interface", "127.0.0.1", "-A", "Akuvox R20B",
                              server.url("/0c1105000020.cfg"))
    assert status == 200, body
    text = body.decode()
    assert "Config.Settings.SNTP.TimeZone = +01:00\n" in text
    assert "Config.Account2.GENERAL.Enable = 0\n" in text  # R20: two accounts, one used
    admin = svc.phone_show("0c1105000020")["admin_password"]
    assert f"Config.Settings.Web_Login.Password = {admin}\n" in text
    assert svc.store.get_phone("0c1105000020").phone_type == "akuvox_r20"
    # a name cannot add a setting of its own
    svc.user_add("mallory", "Eve\nConfig.Settings.Web_Login.Password = owned")
    svc.line_add("74", user="mallory", phone="0c1105000020")
    status, body = await curl("--interface", "127.0.0.1", "-A", "Akuvox R20B",
                              server.url("/0c1105000020.cfg"))
    assert status == 200 and b"\nConfig.Settings.Web_Login.Password = owned" not in body
    await reload_sends_event(server, "0c1105000020", "check-sync", tmp_path)
