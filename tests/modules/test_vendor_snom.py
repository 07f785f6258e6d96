"""The bundled Snom module against a real server: its documented boot sequences
(modules/snom/tests/*.json) replayed with curl (firmware User-Agent, own loopback address)
and tftp-hpa, the XML settings the phone parses, the dial plan in Snom's syntax, and the
check-sync;reboot=false resync received by sipp."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import trio
from provhost.moduleformat.loader import check_module
from provhost.paths import Paths

from tests.sip.sipp import free_udp_port, sipp_uas

from .conftest import BUNDLED, Chain, Running, curl
from .sequence_replay import load, reload_phone, replay, review_replay, start_server

UA = "Mozilla/4.0 (compatible; snomD765-SIP 10.1.54.13)"


@pytest.fixture
async def bare_server(paths: Paths, nursery: trio.Nursery) -> Running:
    return await start_server(paths, nursery)


def settings(body: bytes) -> dict[tuple[str, str | None], tuple[str, str | None]]:
    """(setting, idx) -> (value, perm) of a Snom XML settings file."""
    root = ET.fromstring(body)
    assert root.tag == "settings"
    (phone,) = root.findall("phone-settings")
    assert phone.get("e") == "2"
    return {(e.tag, e.get("idx")): (e.text or "", e.get("perm")) for e in phone}


async def test_module_is_clean_and_every_review_is_answered(chain: Chain) -> None:
    assert [str(p) for p in check_module(BUNDLED / "snom")] == []
    assert await review_replay(chain, "snom") >= 2 * 32


async def test_documented_boot_sequences(bare_server: Running, tmp_path: Path) -> None:
    svc = bare_server.svc
    svc.prefix_add("9")  # the dialplan: extension 10, voicemail 50, outside prefix 9
    sequences = load("snom")
    assert set(sequences) == {"d765_http.json", "m700_tftp.json"}
    results = {}
    for n, (name, seq) in enumerate(sequences.items()):
        results[name] = await replay(bare_server, seq, f"127.0.0.{70 + n}", tmp_path)
    s = settings(results["d765_http.json"][1].body)
    line = svc.store.list_lines("000413a1b2c3")[0]
    operator = svc.setting_get("OPERATOR_IP")
    assert s[("user_active", "1")] == ("on", "R")
    assert s[("user_name", "1")][0] == s[("user_pname", "1")][0] == line.sip_username
    assert s[("user_pass", "1")][0] == line.sip_password
    assert s[("user_host", "1")][0] == operator
    assert s[("user_realname", "1")][0] == "Alice Example"
    assert s[("admin_mode_password", None)][0] == svc.phone_show("000413a1b2c3")["admin_password"]
    assert s[("utc_offset", None)][0] == "0"
    # Snom dial plan: the extension dials when complete ("d"), the prefix waits
    assert s[("user_dp_str", "1")][0] == (
        r"!^(1[0-9]{1})$!sip:\1@\d!d !^(5[0-9]{1})$!sip:\1@\d!d !^(9[0-9]*)$!sip:\1@\d!")
    # every identity of the D765 is written; identities 2..12 are off
    assert [s[("user_active", str(i))][0] for i in range(2, 13)] == ["off"] * 11
    m700 = settings(results["m700_tftp.json"][1].body)
    assert sum(1 for (name, _idx) in m700 if name == "user_active") == 30


async def test_unknown_model_and_unrelated_names(bare_server: Running) -> None:
    svc = bare_server.svc
    # a model newer than the module: the User-Agent names it no better, so the generic type
    status, body = await curl("-A", "Mozilla/4.0 (compatible; snomD999-SIP 10.9.1.1)",
                              bare_server.url("/snomD999-000413C00001.htm"))
    assert status == 200 and svc.store.get_phone("000413c00001").phone_type == "snom_generic"
    assert ("user_active", "1") in settings(body)
    # the file name's own model wins; the User-Agent fills in an unknown variant
    status, _ = await curl("-A", UA, bare_server.url("/snomD765X-000413C00002.xml"))
    assert status == 200 and svc.store.get_phone("000413c00002").phone_type == "snom_d765"
    # a Snom-looking name that is not a settings file is a quick 404, nobody created
    status, _ = await curl(bare_server.url("/snom-firmware.htm"))
    assert status == 404
    # Snom's names never reach other modules, and theirs never reach Snom
    status, _ = await curl("-A", UA, bare_server.url("/000413c00003.cfg"))
    assert svc.store.get_phone("000413c00003") is None or \
        svc.store.get_phone("000413c00003").module_id != "snom"


async def test_provisioning_credentials_ride_in_the_setting_server_url(
        bare_server: Running) -> None:
    svc = bare_server.svc
    svc.setting_set("PROVISION_AUTH", "new")
    status, body = await curl("-A", UA, bare_server.url("/snomD765-000413C00004.htm"))
    assert status == 200
    phone = svc.store.get_phone("000413c00004")
    server = settings(body)[("setting_server", None)][0]
    assert server == (f"http://{phone.provision_user}:{phone.provision_password}"
                      f"@127.0.0.1:{bare_server.ports.http}/")
    # from now on the phone must authenticate: without credentials it gets a 401
    status, _ = await curl("-A", UA, bare_server.url("/snomD765-000413C00004.htm"))
    assert status == 401
    status, body = await curl("-A", UA, "--digest", "-u",
                              f"{phone.provision_user}:{phone.provision_password}",
                              bare_server.url("/snomD765-000413C00004.htm"))
    assert status == 200 and b"<user_active" in body


async def test_check_sync_without_reboot_reaches_the_phone(bare_server: Running,
                                                           tmp_path: Path) -> None:
    svc = bare_server.svc
    svc.phone_add("000413c00077", "snom_d735")
    svc.line_add("77", phone="000413c00077")
    status, _ = await curl("--interface", "127.0.0.1", "-A", UA,
                           bare_server.url("/snomD735-000413C00077.htm"))
    assert status == 200
    port = free_udp_port()
    svc.setting_set("SIP_PORT", str(port))
    async with sipp_uas("notify_check_sync_noreboot.xml", tmp_path / "sipp", port=port) as uas:
        result = await reload_phone(bare_server, "000413c00077")
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    assert result["method"] == "SIPNOTIFY" and result["ok"] is True, result
