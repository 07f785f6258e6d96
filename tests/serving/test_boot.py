"""Phones booting against the real server with real clients: the bundled modules end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Running, curl, tftp_get

# the store behind these servers: SQLite and PostgreSQL
pytestmark = pytest.mark.both_backends

MAC = "0004f2aabbcc"
# Yealink tests use a Yealink MAC: since yealink 1.2.0 a Polycom-prefixed MAC is never taken
# for a Yealink on a marker alone (Polycoms and Yealinks behind one NAT address)
YMAC = "001565aabbcc"


def _give_line(server: Running, mac: str, telnum: str, phone_type: str) -> str:
    server.svc.phone_add(mac, phone_type)
    line = server.svc.line_add(telnum, user="alice", phone=mac)
    return line["sip_username"]


async def test_spa_boot_over_tftp_with_redirect(server: Running, tmp_path: Path) -> None:
    sip_user = _give_line(server, MAC, "10", "spa504g")
    rc, msg = await tftp_get(server.ports.tftp, "/spa504G.cfg", str(tmp_path / "r.cfg"))
    assert rc == 0, msg
    assert "<Profile_Rule ua=\"na\">/Cisco/$PN/$MA.cfg</Profile_Rule>" in (tmp_path / "r.cfg").read_text()
    rc, msg = await tftp_get(server.ports.tftp, f"/Cisco/SPA504G/{MAC}.cfg", str(tmp_path / "c.cfg"))
    assert rc == 0, msg
    text = (tmp_path / "c.cfg").read_text()
    assert f"<User_ID_1_ ua=\"na\">{sip_user}</User_ID_1_>" in text
    assert "<Display_Name_1_ ua=\"na\">Alice Example</Display_Name_1_>" in text
    phone = server.svc.store.get_phone(MAC)
    assert phone is not None and phone.phone_type == "spa504g" and phone.last_ip == "127.0.0.1"
    assert phone.last_config is not None and phone.last_config["LINES"][0]["SIP_USERNAME"] == sip_user


async def test_linksys_redirect_boot_creates_the_phone(server: Running, tmp_path: Path) -> None:
    server.svc.setting_set("AUTO_EXTENSION", "1")
    rc, msg = await tftp_get(server.ports.tftp, "/spa941.cfg", str(tmp_path / "r.cfg"))
    assert rc == 0 and "$MA.cfg" in (tmp_path / "r.cfg").read_text(), msg
    rc, msg = await tftp_get(server.ports.tftp, f"/Cisco/SPA941/{MAC}.cfg", str(tmp_path / "c.cfg"))
    assert rc == 0, msg
    phone = server.svc.store.get_phone(MAC)
    assert phone is not None and phone.phone_type == "spa941"
    line = server.svc.store.list_lines(MAC)[0]  # created by automatic extension creation
    assert f">{line.sip_username}</User_ID_1_>" in (tmp_path / "c.cfg").read_text()


async def test_unknown_spa_model_falls_back_to_generic(server: Running) -> None:
    status, body = await curl(server.url(f"/Cisco/SPA999X/{MAC}.cfg"))
    assert status == 200 and b"Cisco SPA (other model)" in body
    assert server.svc.store.get_phone(MAC).phone_type == "spa_generic"


async def test_yealink_two_stage_boot(server: Running) -> None:
    sip_user = _give_line(server, YMAC, "11", "yealink_t32")
    ip = ["--interface", "127.0.0.2"]
    status, _ = await curl(*ip, server.url("/y000000000032.cfg"))
    assert status == 404  # the common file is only a signal
    status, body = await curl(*ip, server.url(f"/{YMAC}.cfg"))
    assert status == 200, body
    assert body.startswith(b"#!version:1.0.0.1\n")
    assert f"account.1.user_name = {sip_user}".encode() in body
    assert server.svc.store.get_phone(YMAC).phone_type == "yealink_t32"


async def test_yealink_t28_model_code_exception(server: Running) -> None:
    ip = ["--interface", "127.0.0.5"]
    await curl(*ip, server.url("/y000000000000.cfg"))
    status, _ = await curl(*ip, server.url(f"/{YMAC}.cfg"))
    assert status == 200
    assert server.svc.store.get_phone(YMAC).phone_type == "yealink_t28"


async def test_polycom_two_layer_boot(server: Running, tmp_path: Path) -> None:
    sip_user = _give_line(server, MAC, "12", "spip550")
    rc, msg = await tftp_get(server.ports.tftp, f"/{MAC}.cfg", str(tmp_path / "m.cfg"))
    assert rc == 0, msg
    # polycom 1.3.0: the per-MAC master names the MAC (firmware too old to substitute it
    # still asks for the right file); 000000000000.cfg keeps [PHONE_MAC_ADDRESS]
    assert f'CONFIG_FILES="polycom-[PHONE_MODEL]-{MAC}.cfg"' in (tmp_path / "m.cfg").read_text()
    rc, msg = await tftp_get(server.ports.tftp, f"/polycom-spip550-{MAC}.cfg", str(tmp_path / "c.cfg"))
    assert rc == 0, msg
    assert f'reg.1.auth.userId="{sip_user}"' in (tmp_path / "c.cfg").read_text()
    assert server.svc.store.get_phone(MAC).phone_type == "spip550"


async def test_yealink_and_polycom_behind_the_same_file_name(server: Running) -> None:
    yealink_mac, polycom_mac = "001565000001", "0004f2000002"
    status, _ = await curl("--interface", "127.0.0.3", server.url("/y000000000038.cfg"))
    assert status == 404
    y_status, y_body = await curl("--interface", "127.0.0.3", server.url(f"/{yealink_mac}.cfg"))
    p_status, p_body = await curl("--interface", "127.0.0.4", server.url(f"/{polycom_mac}.cfg"))
    assert y_status == 200 and y_body.startswith(b"#!version:1.0.0.1")
    assert p_status == 200 and b"<APPLICATION" in p_body
    assert server.svc.store.get_phone(yealink_mac).phone_type == "yealink_t38"
    assert server.svc.store.get_phone(polycom_mac) is None  # the master file names no type


async def test_yealink_recognised_by_user_agent_alone(server: Running) -> None:
    status, body = await curl("-A", "Yealink SIP-T46G 28.80.0.95 00:15:65:aa:bb:cc",
                              "--interface", "127.0.0.6", server.url("/001565aabbcc.cfg"))
    assert status == 200 and body.startswith(b"#!version")
    assert server.svc.store.get_phone("001565aabbcc").phone_type == "yealink_t46"


async def test_unknown_file_is_404_and_head_has_length(server: Running) -> None:
    status, _ = await curl(server.url("/no/such/file.cfg"))
    assert status == 404
    _give_line(server, MAC, "13", "spa502g")
    status, headers = await curl("-I", server.url(f"/Cisco/SPA502G/{MAC}.cfg"))
    assert status == 200
    head = headers.decode().lower()
    assert "content-length: " in head and "content-type: text/plain" in head
    status, body = await curl(server.url(f"/Cisco/SPA502G/{MAC}.cfg"))
    length = int(head.split("content-length: ")[1].split()[0])
    assert length == len(body)
