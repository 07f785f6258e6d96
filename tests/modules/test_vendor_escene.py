"""Escene: the module's boot sequences replayed with curl (User-Agent, own loopback
addresses) and tftp-hpa against one server; markup is escaped; the time zone is the
phone's zone index; /<mac>.xml without Escene evidence is not taken; resync is a NOTIFY
"check-sync" received by SIPp."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .conftest import Running, curl
from .notify_check import reload_sends_event
from .replay_sequences import replay, sequences


async def test_escene_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    for n, file in enumerate(sequences("escene")):
        problems = await replay(server, file, f"127.0.0.{110 + n}", tmp_path)
        assert problems == [], problems

    svc = server.svc
    svc.user_add("eve", 'Eve "<&>" Example')
    svc.phone_add("00268b000620", "escene_es6xx")
    svc.line_add("60", user="eve", phone="00268b000620")
    svc.setting_set("TIMEZONE_OFFSET", "19800")  # UTC+05:30: India, index 26
    status, body = await curl("--interface", "127.0.0.1", "-A", "Escene ES620 V1.0",
                              server.url("/00268b000620.xml"))
    assert status == 200, body
    root = ET.fromstring(body)
    users = root.findall("./sipUsers/sipUser")
    assert [u.get("EnableAccount") for u in users] == ["1", "0", "0", "0", "0", "0"]
    assert users[0].get("UserName") == 'Eve "<&>" Example'
    assert root.find("./SysTimes/systime").get("TimeZoneType") == "26"
    admin = svc.phone_show("00268b000620")["admin_password"]
    assert root.find("./lcds/lcd").get("Password") == admin
    # a MAC file name outside the Escene block, without an Escene agent: not ours
    status, _ = await curl("--interface", "127.0.0.118", server.url("/0004f2000620.xml"))
    phone = svc.store.get_phone("0004f2000620")
    assert phone is None or phone.module_id != "escene"
    await reload_sends_event(server, "00268b000620", "check-sync", tmp_path)
