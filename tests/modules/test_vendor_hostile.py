"""Hostile data in the Grandstream, Snom and Aastra files: a user's name is whatever the
administrator (or an import) typed, and must stay a value: no XML element, no extra
"key: value" line, no changed admin password."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import trio
from provhost.paths import Paths

from .conftest import Running, curl
from .sequence_replay import start_server

EVIL = 'Eve</P3><P2>0000</P2>"\'&\nadmin password: 0000\r\nsip line2 user name: x<!--'
AS_XML_READS_IT = EVIL.replace("\r\n", "\n")  # XML end-of-line handling (XML 1.0, 2.11)


@pytest.fixture
async def bare_server(paths: Paths, nursery: trio.Nursery) -> Running:
    return await start_server(paths, nursery)


async def test_a_hostile_user_name_stays_one_value(bare_server: Running) -> None:
    svc = bare_server.svc
    svc.store.add_user("eve", EVIL)
    phones = {"000b82ee0001": "gs_gxp2140", "000413ee0001": "snom_d735",
              "00085dee0001": "aastra_6867i"}
    for n, (mac, ptype) in enumerate(phones.items()):
        svc.phone_add(mac, ptype)
        svc.line_add(f"4{n}", user="eve", phone=mac)
    admin = {mac: svc.phone_show(mac)["admin_password"] for mac in phones}

    status, body = await curl("-A", "Grandstream Model HW GXP2140 SW 1.0.11.3",
                              bare_server.url("/cfg000b82ee0001.xml"))
    assert status == 200
    p = {e.tag: e.text for e in ET.fromstring(body).find("config")}
    assert p["P3"] == AS_XML_READS_IT and p["P2"] == admin["000b82ee0001"]

    status, body = await curl(bare_server.url("/snomD735-000413EE0001.htm"))
    assert status == 200
    s = {(e.tag, e.get("idx")): e.text for e in ET.fromstring(body).find("phone-settings")}
    assert s[("user_realname", "1")] == AS_XML_READS_IT
    assert s[("admin_mode_password", None)] == admin["000413ee0001"]

    ip = ["--interface", "127.0.0.99", "-A", ""]
    for path in ("/aastra.cfg", "/6867i.cfg"):
        assert (await curl(*ip, bare_server.url(path)))[0] == 200
    status, body = await curl(*ip, bare_server.url("/00085DEE0001.cfg"))
    assert status == 200
    lines = body.decode().split("\n")
    assert [x for x in lines if x.startswith("admin password:")] == [
        f"admin password: {admin['00085dee0001']}"]
    assert [x for x in lines if x.startswith("sip line2 user name:")] == ["sip line2 user name:"]
    assert "\r" not in body.decode()
