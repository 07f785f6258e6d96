"""Fanvil X- and V-series against a real server with real clients: the module's boot
sequences (tftp-hpa and curl with the firmware's User-Agent), the XML as the phone reads it,
the shared /<mac>.cfg name with Fanvil, Yealink and Polycom phones from different and from
the same address, and the check-sync resync against SIPp."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .conftest import Running, curl, tftp_get
from .vendor_replay import replay, resync_with_sipp, sequences


def sysconf_lines(body: bytes) -> dict[int, dict[str, str]]:
    root = ET.fromstring(body)
    assert root.tag == "sysConf" and root.findtext("Version") == "2.0002"
    return {int(line.get("index")): {child.tag: child.text or "" for child in line}
            for line in root.find("sip").findall("line")}


async def test_documented_boot_sequences(server: Running, tmp_path: Path) -> None:
    seqs = sequences("fanvil")
    assert len(seqs) >= 2
    for n, (name, seq) in enumerate(seqs):
        await replay(server, name, seq, f"127.0.0.{80 + n}", tmp_path)


async def test_models_from_common_files_and_agents(server: Running, tmp_path: Path) -> None:
    """Each documented common-file spelling announces its model; the User-Agent names it
    over HTTP; lines, registrar, time zone (quarter hours) and the digit-map table."""
    svc = server.svc
    svc.setting_set("TIMEZONE_OFFSET", "-18000")
    for n in ("10", "150", "20", "25", "99"):
        svc.line_add(n)
    svc.prefix_add("9")
    svc.setting_set("VOICEMAIL_EXT", "25")
    cases = [("/f0X3shw1.100.cfg", "fanvil_x3s"), ("/F0V00X600000.cfg", "fanvil_x6"),
             ("/F0000X600000.cfg", "fanvil_x6"), ("/F0V0V6500000.cfg", "fanvil_v65"),
             ("/fanvil_v62_hwv1_0.txt", "fanvil_v62"), ("/f0X210hw1.100.cfg", "fanvil_x210")]
    for n, (common, ptype) in enumerate(cases):
        ip, mac = f"127.0.0.{90 + n}", f"0c383ef000{n:02x}"
        status, _ = await curl("--interface", ip, server.url(common))
        assert status == 404, common
        status, body = await curl("--interface", ip, "-A", "", server.url(f"/{mac}.cfg"))
        assert status == 200, (common, body)
        phone = svc.store.get_phone(mac)
        assert (phone.module_id, phone.phone_type) == ("fanvil", ptype), common
    svc.phone_add("0c383ef00100", "fanvil_x4u")
    line = svc.line_add("33", phone="0c383ef00100")
    status, body = await curl("--interface", "127.0.0.99", "-A",
                              "Fanvil X4U-Pro 2.12.16.17 0c383ef00100",
                              server.url("/0c383ef00100.cfg"))
    assert status == 200
    lines = sysconf_lines(body)
    assert sorted(lines) == list(range(1, 13))
    assert lines[1]["RegisterUser"] == line["sip_username"]
    assert lines[1]["RegisterPswd"] == line["sip_password"]
    assert lines[1]["RegisterAddr"] == lines[1]["ProxyAddr"] == svc.settings()["OPERATOR_IP"]
    assert lines[1]["MWINum"] == "25" and lines[2] == {"EnableReg": "0"}
    root = ET.fromstring(body)
    assert root.findtext("phone/date/TimeZone") == "-20"
    assert root.findtext("web/account/Password") == svc.phone_show("0c383ef00100")[
        "admin_password"]
    assert [r.findtext("DigitMap") for r in root.find("dialplan")] == [
        "1xx", "2x", "3x", "9x.T4"]


async def test_shared_mac_file_from_different_addresses(server: Running, tmp_path: Path) -> None:
    """Fanvil, Yealink and Polycom each ask for /<mac>.cfg from their own address: each
    vendor's module answers its own phone (markers and User-Agents, nothing else)."""
    svc = server.svc
    status, _ = await curl("--interface", "127.0.1.1", server.url("/f0X4Uhw1.100.cfg"))
    assert status == 404
    status, _ = await curl("--interface", "127.0.1.2", server.url("/y000000000028.cfg"))
    assert status == 404
    for ip, mac, agent, module in (
            ("127.0.1.1", "0c383ef00201", "", "fanvil"),
            ("127.0.1.2", "001565f00202", "", "yealink"),
            ("127.0.1.3", "0004f2f00203", "FileTransport PolycomVVX-VVX_400-UA/5.9.0", "polycom"),
            ("127.0.1.4", "0c383ef00204", "Fanvil X7C 2.12.16.17 0c383ef00204", "fanvil")):
        status, body = await curl("--interface", ip, "-A", agent, server.url(f"/{mac}.cfg"))
        assert status == 200, (module, body)
        if module == "polycom":
            assert b"CONFIG_FILES" in body  # the Polycom master file, not ours
        else:
            assert svc.store.get_phone(mac).module_id == module
    assert svc.store.get_phone("0c383ef00204").phone_type == "fanvil_x7c"
    # over TFTP (no User-Agent) an unannounced /<mac>.cfg is not ours either: it goes on to
    # the Polycom catch-all
    rc, msg = await tftp_get(server.ports.tftp, "/0c383ef00205.cfg", str(tmp_path / "t"))
    assert rc == 0 and b"CONFIG_FILES" in (tmp_path / "t").read_bytes(), msg
    assert svc.store.get_phone("0c383ef00205") is None


async def test_shared_mac_file_from_the_same_address(server: Running) -> None:
    """One address, three phones in turn (an address reused by DHCP): the Fanvil marker left
    by the first does not capture the others, whose User-Agents name their vendor."""
    ip = ["--interface", "127.0.1.10"]
    status, _ = await curl(*ip, "-A", "Fanvil X5U 2.12.16.17 0c383ef00301",
                           server.url("/f0X5Uhw1.100.cfg"))
    assert status == 404
    status, _ = await curl(*ip, "-A", "Fanvil X5U 2.12.16.17 0c383ef00301",
                           server.url("/0c383ef00301.cfg"))
    assert status == 200
    assert server.svc.store.get_phone("0c383ef00301").phone_type == "fanvil_x5u"
    status, body = await curl(*ip, "-A", "FileTransport PolycomVVX-VVX_500-UA/5.9.0",
                              server.url("/0004f2f00302.cfg"))
    assert status == 200 and b"CONFIG_FILES" in body
    await curl(*ip, "-A", "Yealink SIP-T46G 28.83.0.50 00:15:65:f0:03:03",
               server.url("/y000000000028.cfg"))
    status, body = await curl(*ip, "-A", "Yealink SIP-T46G 28.83.0.50 00:15:65:f0:03:03",
                              server.url("/001565f00303.cfg"))
    assert status == 200 and body.startswith(b"#!version:1.0.0.1")
    assert server.svc.store.get_phone("001565f00303").module_id == "yealink"


async def test_our_directory_and_resync(server: Running, tmp_path: Path) -> None:
    svc = server.svc
    svc.phone_add("0c383ef00401", "fanvil_x6u")
    svc.line_add("501", phone="0c383ef00401")
    # where the profile points the phone's own provisioning: known without marker or agent
    status, body = await curl(server.url("/fanvil/x6u/0c383ef00401.cfg"))
    assert status == 200
    assert b"<FlashFileName>fanvil/x6u/$mac.cfg</FlashFileName>" in body
    assert svc.store.get_phone("0c383ef00401").phone_type == "fanvil_x6u"
    assert (await curl(server.url("/fanvil/firmware.z")))[0] == 404
    detail = await resync_with_sipp(server, "0c383ef00401", "check-sync;reboot=false", tmp_path)
    assert "'ok': True" in detail and "SIPNOTIFY" in detail, detail


async def test_names_stay_inside_their_element(server: Running) -> None:
    svc = server.svc
    svc.user_add("mallory", """</DisplayName><RegisterAddr>evil</RegisterAddr> & 'x'""")
    svc.phone_add("0c383ef00501", "fanvil_x3u")
    svc.line_add("601", user="mallory", phone="0c383ef00501")
    status, body = await curl(server.url("/fanvil/x3u/0c383ef00501.cfg"))
    assert status == 200
    line = sysconf_lines(body)[1]
    assert line["DisplayName"] == "</DisplayName><RegisterAddr>evil</RegisterAddr> & 'x'"
    assert line["RegisterAddr"] == svc.settings()["OPERATOR_IP"]

