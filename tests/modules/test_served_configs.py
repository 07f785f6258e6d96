"""What phones get from a real server (HTTP and TFTP, real clients): the dialplans of the
Yealink and Polycom modules, their resync settings, and the SPA profile's logo and
firmware parameters while the slots are empty."""

from __future__ import annotations

import re

from .conftest import Running, curl

MAC = "0004f2000777"
# a Yealink MAC prefix: a Polycom-prefixed MAC is never taken for a Yealink on a marker alone
# (yealink 1.2.0, deliberate: Polycoms and Yealinks behind one NAT address)
YEALINK_MAC = "001565000777"


def _seed_numbering(server: Running) -> None:
    """The seed's dialplan table: extensions 10, 150, 20, 25, 99 and outbound prefix 9
    (the voicemail number is one of them, so it adds nothing)."""
    for n in ("10", "150", "20", "25", "99"):
        server.svc.line_add(n)
    server.svc.prefix_add("9")
    server.svc.setting_set("VOICEMAIL_EXT", "25")


async def test_yealink_profile_carries_its_digit_map(server: Running) -> None:
    _seed_numbering(server)
    server.svc.phone_add(YEALINK_MAC, "yealink_t46")
    ip = ["--interface", "127.0.0.21"]
    status, _ = await curl(*ip, server.url("/y000000000028.cfg"))
    assert status == 404
    status, body = await curl(*ip, server.url(f"/{YEALINK_MAC}.cfg"))
    assert status == 200, body
    text = body.decode()
    # 1.. -> 1xx, 2. -> 2x, 9.* -> 9x.T (RFC 3435 digit map, no enclosing brackets)
    assert "dialplan.digitmap.enable = 1\n" in text
    assert "dialplan.digitmap.string = 1xx|2x|9x.T\n" in text
    assert "sip.notify_reboot_enable = 0\n" in text
    server.svc.line_add("30")  # a change of numbering reaches the next fetch
    await curl(*ip, server.url("/y000000000028.cfg"))
    status, body = await curl(*ip, server.url(f"/{YEALINK_MAC}.cfg"))
    assert b"dialplan.digitmap.string = 1xx|2x|3x|9x.T\n" in body


async def test_polycom_profile_carries_its_digit_map_and_notify_validation(
        server: Running) -> None:
    _seed_numbering(server)
    server.svc.phone_add(MAC, "vvx500")
    status, body = await curl("--interface", "127.0.0.22",
                              server.url(f"/polycom-VVX500-{MAC}.cfg"))
    assert status == 200, body
    text = body.decode()
    assert '<dialplan dialplan.digitmap="1xx|2x|9xxx.T"/>' in text
    for attribute in ('voIpProt.SIP.specialEvent.checkSync.alwaysReboot="0"',
                      'voIpProt.SIP.requestValidation.1.method="digest"',
                      'voIpProt.SIP.requestValidation.1.request="NOTIFY"',
                      'voIpProt.SIP.requestValidation.1.request.1.event="check-sync"'):
        assert attribute in text


async def test_yealink_generic_review_path_is_answered_by_yealink(server: Running) -> None:
    """yealink_generic's REVIEW announces code 99: the MAC file then stays with Yealink."""
    ip = ["--interface", "127.0.0.23"]
    await curl(*ip, server.url("/y000000000099.cfg"))
    status, body = await curl(*ip, server.url(f"/{YEALINK_MAC}.cfg"))
    assert status == 200 and body.startswith(b"#!version:1.0.0.1")
    assert server.svc.store.get_phone(YEALINK_MAC).phone_type == "yealink_generic"


def _element(text: str, name: str) -> str | None:
    m = re.search(rf'<{name} ua="na">([^<]*)</{name}>', text)
    return m.group(1) if m else None


async def test_spa_profile_without_uploaded_logo_or_firmware(server: Running) -> None:
    for mac, ptype, model in (("0004f2000701", "spa504g", "SPA504G"),
                              ("0004f2000702", "spa525g", "SPA525G"),
                              ("0004f2000703", "spa501g", "SPA501G"),
                              ("0004f2000704", "spa941", "SPA941")):
        server.svc.phone_add(mac, ptype)
        status, body = await curl(server.url(f"/Cisco/{model}/{mac}.cfg"))
        assert status == 200, body
        text = body.decode()
        logo_slot = {"spa504g": "Picture_Download_URL",
                     "spa525g": "BMP_Picture_Download_URL"}.get(ptype)
        if logo_slot:  # a type with a logo slot resets the picture to the default
            assert _element(text, logo_slot) == ""
            assert _element(text, "Select_Logo") == "Default"
            assert _element(text, "Select_Background_Picture") == "None"
        else:
            assert "Picture" not in text and "Select_Logo" not in text
        if ptype in ("spa504g", "spa501g"):  # the 30x/50x firmware slot: an empty rule
            assert _element(text, "Upgrade_Rule") == ""
        else:
            assert "Upgrade_Rule" not in text
        assert _element(text, "Web_Server_Port") == "80"


async def test_empty_slots_are_not_found_under_every_name(server: Running) -> None:
    for path in ("/prov/cisco-spa/logo/logo_bw.bmp", "/prov/cisco-spa/logo/logo_bw/0123abcd.bmp",
                 "/prov/cisco-spa/firmware/fw_spa30x_50x.bin",
                 "/prov/cisco-spa/firmware/logo_bw.bin",  # a logo slot is not firmware
                 "/prov/cisco-spa/logo/nosuchslot.bmp"):
        status, _ = await curl(server.url(path))
        assert status == 404, path
