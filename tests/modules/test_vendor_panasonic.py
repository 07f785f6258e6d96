"""Panasonic KX-UT / KX-TGP / KX-HDV against a real server with real clients: the module's
documented boot sequences (tftp-hpa, curl with the firmware's User-Agent from the phone's
own address), the file as the phone parses it (exact first line, CRLF, final empty line,
XXX="yyy" lines), detection without a registered phone, provisioning credentials, and the
check-sync resync against SIPp."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import Running, curl, tftp_get
from .vendor_replay import replay, resync_with_sipp, sequences

FIRST_LINE = b"# Panasonic SIP Phone Standard Format File # DO NOT CHANGE THIS LINE!"
PARAM = re.compile(rb'^([A-Z][A-Z0-9_]{0,31})="([^"\r\n]*)"$')


def parse_panasonic(body: bytes) -> dict[str, str]:
    """The rules of the Administrator Guide, "Configuration File Specifications": the
    44-byte first line, CRLF after every line, a final empty line, XXX="yyy" without blanks
    around '=', at most 537 bytes a line; comments start with '#'."""
    assert body.startswith(b"# Panasonic SIP Phone Standard Format File #"), body[:60]
    assert body.endswith(b"\r\n\r\n"), body[-20:]
    assert b"\n" not in body.replace(b"\r\n", b""), "a bare LF or CR"
    params: dict[str, str] = {}
    for line in body[:-2].split(b"\r\n")[:-1]:
        assert len(line) + 2 <= 537, line
        if line.startswith(b"#"):
            continue
        m = PARAM.match(line)
        assert m, f"not a parameter line: {line!r}"
        params.setdefault(m[1].decode(), m[2].decode())  # the first one counts
    return params


async def test_documented_boot_sequences(server: Running, tmp_path: Path) -> None:
    seqs = sequences("panasonic")
    assert len(seqs) >= 3
    for n, (name, seq) in enumerate(seqs):
        await replay(server, name, seq, f"127.0.0.{40 + n}", tmp_path)


async def test_unregistered_phones_are_detected_and_configured(server: Running,
                                                               tmp_path: Path) -> None:
    """Phones nobody registered: the type comes from the requested name (TFTP) or the
    User-Agent (HTTP); every line slot, the time zone, the admin password."""
    svc = server.svc
    svc.setting_set("TIMEZONE_OFFSET", "32400")
    svc.setting_set("OPERATOR_IP", "127.0.0.1")
    # TFTP, the name carries model and MAC
    rc, msg = await tftp_get(server.ports.tftp, "/panasonic/KX-UT248/Config0080F0A00248.cfg",
                             str(tmp_path / "ut248"))
    assert rc == 0 and "Error" not in msg, msg
    params = parse_panasonic((tmp_path / "ut248").read_bytes())
    phone = svc.store.get_phone("0080f0a00248")
    assert phone is not None and (phone.module_id, phone.phone_type) == ("panasonic", "kx_ut248")
    assert params["TIME_ZONE"] == "540" and params["NTP_ADDR"] == "127.0.0.1"
    assert params["CFG_RESYNC_FROM_SIP"] == "check-sync"
    assert params["ADMIN_PASS"] == svc.phone_show("0080f0a00248")["admin_password"]
    assert {f"PHONE_NUMBER_{i}" for i in range(1, 7)} <= params.keys()
    assert "PHONE_NUMBER_7" not in params
    # HTTP, the guides' Config{MAC}.cfg name: the model from the User-Agent
    status, body = await curl("--interface", "127.0.0.50", "-A",
                              "Panasonic_KX-HDV330/01.000 (0080f0a00330)",
                              server.url("/Config0080F0A00330.cfg"))
    assert status == 200, body
    params = parse_panasonic(body)
    assert svc.store.get_phone("0080f0a00330").phone_type == "kx_hdv330"
    assert "PHONE_NUMBER_12" in params and "PHONE_NUMBER_13" not in params
    assert params["CFG_STANDARD_FILE_PATH"].startswith(f"http://127.0.0.1:{server.ports.http}/")
    # TFTP, the guides' name: the model announced by the {MODEL}.cfg request just before
    rc, msg = await tftp_get(server.ports.tftp, "/KX-HDV130.cfg", str(tmp_path / "pre"))
    assert rc == 0 and "Error" not in msg, msg
    rc, msg = await tftp_get(server.ports.tftp, "/Config0080F0A00131.cfg", str(tmp_path / "std"))
    assert rc == 0 and "Error" not in msg, msg
    assert "PHONE_NUMBER_2" in parse_panasonic((tmp_path / "std").read_bytes())
    assert svc.store.get_phone("0080f0a00131").phone_type == "kx_hdv130"
    # an unknown model still gets a working one-line file
    status, body = await curl("--interface", "127.0.0.51",
                              server.url("/panasonic/KX-NT999/Config0080F0A00999.cfg"))
    assert status == 200
    params = parse_panasonic(body)
    assert "PHONE_NUMBER_1" in params and "PHONE_NUMBER_2" not in params
    assert svc.store.get_phone("0080f0a00999").phone_type == "panasonic_generic"
    # names in our directory we do not serve: a quick not found
    for path in ("/panasonic/KX-UT136/Config0080F0A00136.txt", "/panasonic/firmware.fw"):
        assert (await curl(server.url(path)))[0] == 404


async def test_line_one_carries_the_stored_credentials(server: Running) -> None:
    svc = server.svc
    for n in ("10", "150", "20", "25", "99"):  # the seed's dialplan example
        svc.line_add(n)
    svc.prefix_add("9")
    svc.setting_set("VOICEMAIL_EXT", "25")  # one of the extensions: adds no group
    svc.phone_add("0080f0b00136", "kx_ut136")
    svc.user_add("zoe", 'Zoë "Z" Example')
    line = svc.line_add("33", user="zoe", phone="0080f0b00136")
    status, body = await curl("--interface", "127.0.0.52",
                              server.url("/panasonic/KX-UT136/Config0080F0B00136.cfg"))
    assert status == 200
    params = parse_panasonic(body)
    assert params["SIP_AUTHID_1"] == line["sip_username"]
    assert params["SIP_PASS_1"] == line["sip_password"]
    assert params["DISPLAY_NAME_1"] == "Zoë Z Example"  # quotes cannot be written
    assert params["SIP_RGSTR_ADDR_1"] == params["SIP_PRXY_ADDR_1"] == svc.settings()["OPERATOR_IP"]
    assert params["DIAL_PLAN_1"] == "1xx|2x|3x|9x.T"
    assert params["VM_NUMBER_1"] == "25"
    assert "DIAL_PLAN_2" not in params  # no second line on this phone


async def test_provisioning_credentials_go_into_the_standard_file_url(server: Running) -> None:
    """PROVISION_AUTH=new: the first file names the phone's own URL with user:password (the
    form the guides give), and from then on the file needs HTTP digest."""
    server.svc.setting_set("PROVISION_AUTH", "new")
    path = "/panasonic/KX-HDV130/Config0080F0C00130.cfg"
    status, body = await curl("--interface", "127.0.0.53", server.url(path))
    assert status == 200, body
    url = parse_panasonic(body)["CFG_STANDARD_FILE_PATH"]
    m = re.fullmatch(r"http://(\w+):(\w+)@127\.0\.0\.1:\d+/panasonic/\{MODEL\}/Config\{MAC\}\.cfg",
                     url)
    assert m is not None and m[1] == "0080f0c00130", url
    assert (await curl("--interface", "127.0.0.53", server.url(path)))[0] == 401
    status, again = await curl("--interface", "127.0.0.53", "--digest", "-u",
                               f"{m[1]}:{m[2]}", server.url(path))
    assert status == 200 and parse_panasonic(again)["CFG_STANDARD_FILE_PATH"] == url


async def test_resync_sends_check_sync(server: Running, tmp_path: Path) -> None:
    server.svc.phone_add("0080f0d00136", "kx_ut136")
    server.svc.line_add("44", phone="0080f0d00136")
    status, _ = await curl(server.url("/panasonic/KX-UT136/Config0080F0D00136.cfg"))
    assert status == 200
    detail = await resync_with_sipp(server, "0080f0d00136", "check-sync", tmp_path)
    assert "'ok': True" in detail and "SIPNOTIFY" in detail, detail


async def test_a_name_cannot_inject_parameters(server: Running) -> None:
    """A full name with CR/LF and quotes cannot end its line and add a parameter (the phone
    applies the first occurrence of a name: an injected ADMIN_PASS would win)."""
    svc = server.svc
    svc.phone_add("0080f0e00136", "kx_ut136")
    svc.user_add("mallory", 'M"\r\nADMIN_PASS="owned"\r\nX="')
    svc.line_add("66", user="mallory", phone="0080f0e00136")
    status, body = await curl(server.url("/panasonic/KX-UT136/Config0080F0E00136.cfg"))
    assert status == 200
    params = parse_panasonic(body)  # still one parameter a line, CRLF, quotes balanced
    assert params["ADMIN_PASS"] == svc.phone_show("0080f0e00136")["admin_password"]
    assert params["DISPLAY_NAME_1"] == "MADMIN_PASS=ownedX="


async def test_a_hostile_host_header_cannot_break_the_file(server: Running) -> None:
    """The Host header goes into CFG_STANDARD_FILE_PATH: quotes in it are dropped, so the
    line stays one well-formed parameter."""
    server.svc.phone_add("0080f0f00136", "kx_ut136")
    for path in ("/KX-UT136.cfg", "/panasonic/KX-UT136/Config0080F0F00136.cfg"):
        status, body = await curl("-H", 'Host: evil"\tADMIN_PASS="x', server.url(path))
        assert status == 200, body
        params = parse_panasonic(body)
        assert params["CFG_STANDARD_FILE_PATH"].startswith("http://evil")
        assert params.get("ADMIN_PASS") != "x"

