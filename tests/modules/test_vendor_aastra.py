"""The bundled Aastra/Mitel module against a real server: its documented boot sequences
(modules/aastra/tests/*.json) replayed with curl (firmware User-Agent, own loopback
address) and tftp-hpa, the "key: value" file the phone parses, the shared /<MAC>.cfg name
against Polycom and Yealink phones from the same and from other addresses, and the
check-sync resync received by sipp."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
import trio
from provhost.moduleformat.loader import check_module
from provhost.paths import Paths

from tests.sip.sipp import free_udp_port, sipp_uas

from .conftest import BUNDLED, Chain, Running, curl, tftp_get
from .sequence_replay import api_client, load, reload_phone, replay, review_replay, start_server

UA = "Aastra6731i MAC:00-08-5D-0A-0B-77 V:3.3.1.4322-SIP"
KEY_VALUE = re.compile(r"^[a-z0-9 ]+:( .*)?$")


@pytest.fixture
async def bare_server(paths: Paths, nursery: trio.Nursery) -> Running:
    return await start_server(paths, nursery)


def parse(body: bytes) -> dict[str, str]:
    """An Aastra configuration file as the phone reads it: '#' comments, 'key: value'."""
    values = {}
    for line in body.decode("utf-8").split("\n"):
        if not line or line.startswith("#"):
            continue
        assert KEY_VALUE.match(line), line
        key, _, value = line.partition(":")
        values[key] = value.strip()
    return values


async def test_module_is_clean_and_every_review_is_answered(chain: Chain) -> None:
    assert [str(p) for p in check_module(BUNDLED / "aastra")] == []
    assert await review_replay(chain, "aastra") >= 3 * 19 + 2 * 2


async def test_documented_boot_sequences(bare_server: Running, tmp_path: Path) -> None:
    svc = bare_server.svc
    svc.setting_set("TIMEZONE_OFFSET", "3600")  # UTC+1: 60 minutes *east*, written -60
    svc.prefix_add("9")
    sequences = load("aastra")
    assert set(sequences) == {"6731i_tftp.json", "6867i_http.json", "mivoice5340_tftp.json"}
    results = {}
    for n, (name, seq) in enumerate(sequences.items()):
        results[name] = await replay(bare_server, seq, f"127.0.0.{80 + n}", tmp_path)
    cfg = parse(results["6731i_tftp.json"][2].body)
    line = svc.store.list_lines("00085d0a0b0c")[0]
    operator = svc.setting_get("OPERATOR_IP")
    assert (cfg["sip line1 user name"], cfg["sip line1 auth name"],
            cfg["sip line1 password"]) == (line.sip_username, line.sip_username,
                                            line.sip_password)
    assert cfg["sip line1 proxy ip"] == cfg["sip line1 registrar ip"] == operator
    assert cfg["sip line1 screen name"] == "Alice Example"
    assert cfg["admin password"] == svc.phone_show("00085d0a0b0c")["admin_password"]
    assert cfg["sip dial plan"] == '"1X|5X|9X+"'
    assert cfg["time zone name"] == "Custom"
    assert cfg["time zone minutes"] == "-60"
    # the common files carry nothing secret
    for body in (results["6731i_tftp.json"][0].body, results["6731i_tftp.json"][1].body):
        assert "password" not in parse(body) and "sip line1 user name" not in parse(body)
    http = parse(results["6867i_http.json"][2].body)
    assert (http["download protocol"], http["http port"]) == ("HTTP", str(bare_server.ports.http))


async def test_mac_file_goes_to_the_right_vendor(bare_server: Running) -> None:
    """/<MAC>.cfg is Polycom's catch-all name too, and Yealink's after its announcement."""
    svc = bare_server.svc
    no_ua = ["-A", ""]  # TFTP-like: no User-Agent

    async def get(ip: str, path: str, *extra: str) -> int:
        return (await curl("--interface", ip, *extra, bare_server.url(path)))[0]

    # a Polycom from a fresh address: Polycom's master file, the Aastra module keeps out
    assert await get("127.0.0.90", "/0004f2000090.cfg", *no_ua) == 200
    assert svc.store.get_phone("0004f2000090") is None  # the master file names nobody
    # an Aastra after its aastra.cfg/model file; a Polycom MAC from that same address
    # right after is still Polycom's (its vendor prefix), a non-Aastra MAC with a Yealink
    # announcement from the same address goes to Yealink
    assert await get("127.0.0.91", "/aastra.cfg", *no_ua) == 200
    assert await get("127.0.0.91", "/6757i.cfg", *no_ua) == 200
    assert await get("127.0.0.91", "/00085D000091.cfg", *no_ua) == 200
    assert svc.store.get_phone("00085d000091").phone_type == "aastra_6757i"
    status, body = await curl("--interface", "127.0.0.91", *no_ua,
                              bare_server.url("/0004f2000091.cfg"))
    assert status == 200 and body.startswith(b"<?xml") and b"APPLICATION" in body
    assert await get("127.0.0.91", "/y000000000028.cfg", *no_ua) == 404
    status, body = await curl("--interface", "127.0.0.91", *no_ua,
                              bare_server.url("/001565000091.cfg"))
    assert status == 200 and body.startswith(b"#!version:1.0.0.1")
    assert svc.store.get_phone("001565000091").module_id == "yealink"
    # the same Aastra MAC file from an address that announced nothing: not Aastra's
    assert await get("127.0.0.92", "/00085D000092.cfg", *no_ua) == 200
    assert svc.store.get_phone("00085d000092") is None  # Polycom's master file
    # ... unless the User-Agent says Aastra/Mitel
    status, body = await curl("--interface", "127.0.0.93", "-A", UA,
                              bare_server.url("/00085D0A0B77.cfg"))
    assert status == 200 and svc.store.get_phone("00085d0a0b77").phone_type == "aastra_6731i"
    assert parse(body)["download protocol"] == "HTTP"
    # another HTTP client (curl's own User-Agent) after aastra.cfg: not an Aastra
    assert await get("127.0.0.94", "/aastra.cfg") == 200
    assert await get("127.0.0.94", "/00085D000094.cfg") == 200
    assert svc.store.get_phone("00085d000094") is None


async def test_check_sync_resync_reaches_the_phone(bare_server: Running, tmp_path: Path) -> None:
    svc = bare_server.svc
    svc.phone_add("00085d0a0b78", "aastra_6731i")
    svc.line_add("78", phone="00085d0a0b78")
    status, _ = await curl("--interface", "127.0.0.1", "-A", UA.replace("77", "78"),
                           bare_server.url("/00085D0A0B78.cfg"))
    assert status == 200
    port = free_udp_port()
    svc.setting_set("SIP_PORT", str(port))
    async with sipp_uas("notify_check_sync.xml", tmp_path / "sipp", port=port) as uas:
        result = await reload_phone(bare_server, "00085d0a0b78")
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    assert result["method"] == "SIPNOTIFY" and result["ok"] is True, result


async def test_uploaded_firmware_is_the_models_st_file(bare_server: Running,
                                                      tmp_path: Path) -> None:
    """A Mitel .zip holds the images of several models: the 6731i slot keeps 6731i.st,
    which the phone then fetches by its documented name; other models' slots stay empty."""
    image = b"\x7fAST" + bytes(range(256)) * 4096  # 1 MiB and a bit, binary
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("fw/6731i.st", image)
        z.writestr("fw/6867i.st", b"\x7fOTHER" + bytes(600_000))
    async with api_client(bare_server) as api:
        r = await api.put("/firmware/aastra/fw_6731i", content=archive.getvalue())
        assert r.status_code == 200, r.text
        wrong = await api.put("/firmware/aastra/fw_6863i", content=archive.getvalue())
        assert wrong.status_code >= 400 and "6863i.st" in wrong.text
        text = await api.put("/firmware/aastra/fw_6930", content=b"firmware " * 100_000)
        assert text.status_code >= 400 and "text file" in text.text
    rc, msg = await tftp_get(bare_server.ports.tftp, "/6731i.st", str(tmp_path / "fw.st"))
    assert rc == 0 and "Error" not in msg, msg
    assert (tmp_path / "fw.st").read_bytes() == image
    status, body = await curl(bare_server.url("/6731i.st"))
    assert status == 200 and body == image
    for empty in ("/6867i.st", "/6863i.st", "/6930.st"):
        assert (await curl(bare_server.url(empty)))[0] == 404, empty
