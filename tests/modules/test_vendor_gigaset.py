"""Gigaset N510 IP PRO, N720 DM PRO, N670/N870 IP PRO against a real server with curl (the
bases provision over HTTP only): the module's boot sequences, both XML formats as the base
reads them (MAC_ADDRESS check, one account per handset), the shared /<MAC>.xml name only
with a Gigaset User-Agent, and the check-sync resync against SIPp."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx

from .conftest import Running, curl
from .vendor_replay import replay, resync_with_sipp, sequences

N870_UA = "Gigaset N870 IP PRO/2.48.1+build.4b0c4a8;7C2F80E00870"


def frame_items(body: bytes, mac: str) -> dict[str, str]:
    """A ProviderFrame as the base applies it: for its own MAC only; SYMB_ITEM values,
    strings unquoted."""
    assert body.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    root = ET.fromstring(body)
    assert root.tag == "ProviderFrame"
    provider = root.find("Provider")
    assert provider is not None
    assert provider.find("MAC_ADDRESS").get("value") == mac.upper()
    items = {}
    for item in provider.iter("SYMB_ITEM"):
        assert item.get("class") == "symb_item"
        value = item.get("value")
        items[item.get("ID")] = value[1:-1] if value.startswith('"') else value
    return items


def nvm_params(body: bytes) -> tuple[dict[str, str], list[str]]:
    root = ET.fromstring(body)
    assert (root.tag, root.get("version"), root.get("productID")) == ("provisioning", "1.1", "e2")
    params = {p.get("name"): p.get("value") for p in root.find("nvm").findall("param")}
    handsets = [o.get("value") for o in root.find("nvm").findall("oper")
                if o.get("name") == "add_hs"]
    return params, handsets


async def test_documented_boot_sequences(server: Running, tmp_path: Path) -> None:
    seqs = sequences("gigaset")
    assert len(seqs) >= 2
    for n, (name, seq) in enumerate(seqs):
        await replay(server, name, seq, f"127.0.0.{60 + n}", tmp_path)


async def test_every_handset_gets_its_account(server: Running) -> None:
    svc = server.svc
    svc.setting_set("TIMEZONE_OFFSET", "3600")
    svc.phone_add("7c2f80e00510", "gigaset_n510")
    svc.phone_add("7c2f80e00870", "gigaset_n870")
    lines = {mac: [svc.line_add(str(n), phone=mac) for n in numbers]
             for mac, numbers in (("7c2f80e00510", (101, 102, 103, 104, 105, 106, 107)),
                                  ("7c2f80e00870", (201, 202, 203)))}
    # N510: six handsets at most (the seventh line is not on the base)
    status, body = await curl("--interface", "127.0.0.70", "-A",
                              "Gigaset N510 IP PRO/42.250.00.000.000",
                              server.url("/gigaset/n510/7C2F80E00510.xml"))
    assert status == 200, body
    items = frame_items(body, "7c2f80e00510")
    first = lines["7c2f80e00510"][0]
    assert items["BS_IP_Data3.aucS_SIP_LOGIN_ID"] == first["sip_username"]
    assert items["BS_IP_Data1.aucS_SIP_PASSWORD"] == first["sip_password"]
    assert items["BS_IP_Data1.aucS_SIP_REGISTRAR"] == svc.settings()["OPERATOR_IP"]
    sixth = lines["7c2f80e00510"][5]
    assert items["BS_IP_Data3.aucS_SIP_LOGIN_ID_6"] == sixth["sip_username"]
    assert "BS_IP_Data1.ucB_SIP_ACCOUNT_IS_ACTIVE_7" not in items
    assert items["BS_IP_Data1.uiI_TIME_TIMEZONE"] == "0x1b"  # GMT+1
    assert re.fullmatch(r"0x\d\d,0x\d\d", items["BS_CUSTOM.aucKdsPin[0]"])
    # N870 at the root of the server: known by its User-Agent
    status, body = await curl("--interface", "127.0.0.71", "-A", N870_UA,
                              server.url("/7C2F80E00870.xml"))
    assert status == 200, body
    params, handsets = nvm_params(body)
    assert handsets == ["00001", "00002", "00003"]
    for n, line in enumerate(lines["7c2f80e00870"], start=1):
        assert params[f"SipAccount.{n:05d}.AuthName"] == line["sip_username"]
        assert params[f"SipAccount.{n:05d}.AuthPassword"] == line["sip_password"]
    assert params["SipProvider.0.RegServerAddress"] == svc.settings()["OPERATOR_IP"]
    assert params["DmGlobal.0.TimeZone"] == "Etc/GMT-1"
    assert params["Provisioning.global.ProvisioningServer"] == (
        f"http://127.0.0.1:{server.ports.http}/gigaset/n870/")
    assert svc.store.get_phone("7c2f80e00870").phone_type == "gigaset_n870"


async def test_unknown_model_and_unknown_base(server: Running) -> None:
    """A Gigaset base of a model we do not know gets the generic type; the N720 keeps its
    own numbering of the first account (suffix _1)."""
    status, body = await curl("--interface", "127.0.0.72", "-A", "Gigaset N610 IP PRO/2.40",
                              server.url("/7C2F80E00610.xml"))
    assert status == 200
    nvm_params(body)
    assert server.svc.store.get_phone("7c2f80e00610").phone_type == "gigaset_generic"
    server.svc.phone_add("7c2f80e00720", "gigaset_n720")
    line = server.svc.line_add("301", phone="7c2f80e00720")
    status, body = await curl("--interface", "127.0.0.73",
                              server.url("/gigaset/n720/7C2F80E00720.xml"))
    items = frame_items(body, "7c2f80e00720")
    assert items["BS_IP_Data3.aucS_SIP_LOGIN_ID_1"] == line["sip_username"]


async def test_shared_name_needs_a_gigaset_agent(server: Running) -> None:
    """/<MAC>.xml is not ours without the User-Agent, from another address or from the very
    address a Gigaset just used (nothing is remembered for it)."""
    for ip in ("127.0.0.74", "127.0.0.75"):
        if ip == "127.0.0.74":
            status, _ = await curl("--interface", ip, "-A", N870_UA,
                                   server.url("/7C2F80E00871.xml"))
            assert status == 200
        for agent in ("", "Wget/1.21", "Yealink SIP-T46G 28.83.0.50 00:15:65:00:00:01"):
            status, _ = await curl("--interface", ip, "-A", agent,
                                   server.url("/7C2F80E00872.xml"))
            assert status == 404, (ip, agent)
    assert server.svc.store.get_phone("7c2f80e00872") is None


async def test_resync_sends_check_sync(server: Running, tmp_path: Path) -> None:
    server.svc.phone_add("7c2f80e00511", "gigaset_n510")
    server.svc.line_add("401", phone="7c2f80e00511")
    status, _ = await curl(server.url("/gigaset/n510/7C2F80E00511.xml"))
    assert status == 200
    detail = await resync_with_sipp(server, "7c2f80e00511", "check-sync", tmp_path)
    assert "'ok': True" in detail and "SIPNOTIFY" in detail, detail


async def test_names_stay_inside_their_attribute(server: Running) -> None:
    """Markup in a user's name ends neither the attribute nor the element, in both formats."""
    svc = server.svc
    svc.user_add("mallory", """<x a='1'> & "q" </Provider>""")
    for mac, ptype, path in (("7c2f80e00512", "gigaset_n510", "/gigaset/n510/7C2F80E00512.xml"),
                             ("7c2f80e00873", "gigaset_n870", "/gigaset/n870/7C2F80E00873.xml")):
        svc.phone_add(mac, ptype)
        svc.line_add(f"9{mac[-3:]}", user="mallory", phone=mac)
        status, body = await curl(server.url(path))
        assert status == 200
        if ptype == "gigaset_n510":
            items = frame_items(body, mac)  # parses; one Provider, our MAC
            assert items["BS_IP_Data1.aucS_SIP_DISPLAYNAME"] == "<x a='1'> & q </Provider>"  # quotes dropped
        else:
            params, _ = nvm_params(body)
            assert params["SipAccount.00001.DisplayName"] == """<x a='1'> & "q" </Provider>"""


async def test_n870_firmware_slot(server: Running) -> None:
    """An uploaded N870 image is offered in the base's provisioning file with the version
    from Gigaset's file name, under a per-upload URL that serves it; an image without a
    version in its name is refused with the reason; other models are not offered it."""
    svc = server.svc
    svc.phone_add("7c2f80e00874", "gigaset_n870")
    svc.phone_add("7c2f80e00674", "gigaset_n670")
    token = (svc.paths.data_dir / "api-token").read_text().strip()
    image = bytes(range(256)) * 64
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                                 headers={"Authorization": f"Bearer {token}"},
                                 timeout=60) as api:
        r = await api.put("/firmware/gigaset/fw_n870", params={"filename": "n870.bin"},
                          content=image)
        assert r.status_code >= 400 and "no version in the file name" in r.text, r.text
        r = await api.put("/firmware/gigaset/fw_n870",
                          params={"filename": "einstein-albert-V2.48.1+build.4b0c4a8.update.bin"},
                          content=image)
        assert r.status_code == 200, r.text
        content_id = r.json()["content_id"]
    status, body = await curl(server.url("/gigaset/n870/7C2F80E00874.xml"))
    assert status == 200
    files = ET.fromstring(body).findall("firmware/file")
    assert [f.get("version") for f in files] == ["2.48.1"]
    url = files[0].get("url")
    assert url == f"http://127.0.0.1:{server.ports.http}/gigaset/firmware/fw_n870/{content_id}.bin"
    assert await curl(url) == (200, image)
    assert await curl(server.url("/gigaset/firmware/fw_n870.bin")) == (200, image)
    status, body = await curl(server.url("/gigaset/n670/7C2F80E00674.xml"))
    assert status == 200 and b"<firmware>" not in body
    assert (await curl(server.url("/gigaset/firmware/nosuchslot.bin")))[0] == 404

