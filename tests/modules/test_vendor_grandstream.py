"""The bundled Grandstream module against a real server: its documented boot sequences
(modules/grandstream/tests/*.json) replayed with curl (firmware User-Agent, own loopback
address) and tftp-hpa, what the device parses, the shared names it must leave to others,
and the check-sync resync received by sipp."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import trio
from provhost.moduleformat.loader import check_module
from provhost.paths import Paths

from tests.sip.sipp import free_udp_port, sipp_uas

from .conftest import BUNDLED, Chain, Running, curl, tftp_get
from .sequence_replay import load, reload_phone, replay, review_replay, start_server

UA = "Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82aa0001"


@pytest.fixture
async def bare_server(paths: Paths, nursery: trio.Nursery) -> Running:
    return await start_server(paths, nursery)


async def test_module_is_clean_and_every_review_is_answered(chain: Chain) -> None:
    assert [str(p) for p in check_module(BUNDLED / "grandstream")] == []
    assert await review_replay(chain, "grandstream") >= 3 * 34


async def test_documented_boot_sequences(bare_server: Running, tmp_path: Path) -> None:
    sequences = load("grandstream")
    assert set(sequences) == {"gxp2170_http.json", "ht802_tftp.json", "gxp1100_xml_first.json"}
    results = {}
    for n, (name, seq) in enumerate(sequences.items()):
        results[name] = await replay(bare_server, seq, f"127.0.0.{40 + n}", tmp_path)
    # what the GXP2170 reads: a gs_provision document for its MAC, account 1 complete
    body = results["gxp2170_http.json"][1].body
    root = ET.fromstring(body)
    assert root.tag == "gs_provision" and root.get("version") == "1"
    assert root.findtext("mac") == "000b82aa0001"
    config = root.find("config")
    assert config is not None and config.get("version") == "1"
    p = {e.tag: (e.text or "") for e in config}
    line = bare_server.svc.store.list_lines("000b82aa0001")[0]
    operator = bare_server.svc.setting_get("OPERATOR_IP")
    assert (p["P271"], p["P47"], p["P35"], p["P36"], p["P34"]) == (
        "1", operator, line.sip_username, line.sip_username, line.sip_password)
    assert p["P3"] == "Alice Example" and p["P270"] == "10"
    assert p["P2"] == bare_server.svc.phone_show("000b82aa0001")["admin_password"]
    # accounts 2..6 of the GXP2170 are switched off, nothing beyond its 6 accounts
    assert [p[f"P{n}01"] for n in range(4, 9)] == ["0"] * 5 and "P901" not in p
    assert p["P64"] == "customize" and p["P246"] == "PROV+0:00"
    # the HT802's second provisioning carries both FXS ports
    ht = {e.tag: e.text for e in ET.fromstring(results["ht802_tftp.json"][4].body).find("config")}
    lines = bare_server.svc.store.list_lines("c074ad000002")
    assert (ht["P35"], ht["P34"]) == (lines[0].sip_username, lines[0].sip_password)
    assert (ht["P404"], ht["P406"]) == (lines[1].sip_username, lines[1].sip_password)


async def test_shared_names_stay_with_their_vendor(bare_server: Running, tmp_path: Path) -> None:
    svc = bare_server.svc
    # a cfg<mac>.xml of another vendor's MAC, no User-Agent: not ours, nobody is created
    status, _ = await curl("--interface", "127.0.0.60", "-A", "",
                           bare_server.url("/cfg0004f2000001.xml"))
    assert status == 404 and svc.store.get_phone("0004f2000001") is None
    # another vendor's User-Agent with a Grandstream-looking request: not ours either
    status, _ = await curl("--interface", "127.0.0.61", "-A", "Yealink SIP-T46G 28.83.0.50",
                           bare_server.url("/cfg000b82000009.xml"))
    assert status == 404 and svc.store.get_phone("000b82000009") is None
    # one address where an Aastra and a Grandstream both announced themselves: the model
    # marker alone no longer decides; the MAC prefix still does
    ip = ["--interface", "127.0.0.62", "-A", ""]  # -A "": no User-Agent, as over TFTP
    assert (await curl(*ip, bare_server.url("/cfggxp2170.xml")))[0] == 404
    assert (await curl(*ip, bare_server.url("/aastra.cfg")))[0] == 200
    assert (await curl(*ip, bare_server.url("/cfg020000000009.xml")))[0] == 404
    assert svc.store.get_phone("020000000009") is None
    status, body = await curl(*ip, bare_server.url("/cfgec74d7000009.xml"))
    assert status == 200 and b"<mac>ec74d7000009</mac>" in body
    assert svc.store.get_phone("ec74d7000009").phone_type == "gs_gxp2170"
    # the same MAC from an address with only the Grandstream announcement is ours
    ip = ["--interface", "127.0.0.63", "-A", ""]
    await curl(*ip, bare_server.url("/cfgdp750.xml"))
    status, _ = await curl(*ip, bare_server.url("/cfg020000000009.xml"))
    assert status == 200 and svc.store.get_phone("020000000009").phone_type == "gs_dp750"
    # the binary cfg<mac> of a Grandstream is a quick "not found" over TFTP too
    _, msg = await tftp_get(bare_server.ports.tftp, "/cfgec74d7000009", str(tmp_path / "b"))
    assert "file not found" in msg.lower()


async def test_check_sync_resync_reaches_the_device(bare_server: Running, tmp_path: Path) -> None:
    svc = bare_server.svc
    svc.phone_add("000b82aa0077", "gs_gxp2140")
    svc.line_add("77", phone="000b82aa0077")
    status, _ = await curl("--interface", "127.0.0.1", "-A", UA.replace("aa0001", "aa0077"),
                           bare_server.url("/cfg000b82aa0077.xml"))
    assert status == 200
    port = free_udp_port()
    svc.setting_set("SIP_PORT", str(port))
    async with sipp_uas("notify_check_sync.xml", tmp_path / "sipp", port=port) as uas:
        result = await reload_phone(bare_server, "000b82aa0077")
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    assert result["method"] == "SIPNOTIFY" and result["ok"] is True, result
