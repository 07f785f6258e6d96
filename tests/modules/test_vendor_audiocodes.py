"""AudioCodes 400HD: the module's boot sequences replayed with curl (firmware
User-Agents, own loopback addresses) and tftp-hpa against one server; the shared name
/<MAC>.cfg stays with other vendors without AudioCodes evidence; resync is a NOTIFY
"check-sync" received by SIPp."""

from __future__ import annotations

import re
from pathlib import Path

import trio

from .conftest import Running, curl, tftp_get
from .notify_check import reload_sends_event
from .replay_sequences import replay, sequences


async def test_audiocodes_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    for n, file in enumerate(sequences("audiocodes")):
        problems = await replay(server, file, f"127.0.0.{40 + n}", tmp_path)
        assert problems == [], problems

    svc = server.svc
    # a Polycom asking for its MAC file (Polycom MAC block, no User-Agent) is not ours
    rc, msg = await tftp_get(server.ports.tftp, "/0004f2400001.cfg", str(tmp_path / "p.cfg"))
    assert rc == 0, msg
    assert "CONFIG_FILES" in (tmp_path / "p.cfg").read_text()
    assert svc.store.get_phone("0004f2400001") is None  # the master file creates no phone
    # nor is an unknown phone over HTTP whose User-Agent is not AudioCodes'
    status, body = await curl("--interface", "127.0.0.48", "-A", "Yealink SIP-T46G 28.83.0.50",
                              server.url("/001565400002.cfg"))
    assert status == 200 and body.startswith(b"#!version:1.0.0.1")
    assert svc.store.get_phone("001565400002").module_id == "yealink"

    # the profile's own path carries the type, so a later fetch keeps a 440HD a 440HD
    svc.phone_add("00908f000440", "audiocodes_440hd")
    svc.line_add("40", phone="00908f000440")
    status, body = await curl("--interface", "127.0.0.1",
                              server.url("/prov/audiocodes/audiocodes_440hd/00908F000440.cfg"))
    assert status == 200, body
    text = body.decode()
    assert "voip/line/0/extension_display=40\n" in text and "voip/line/11/enabled=0\n" in text
    assert "voip/line/12/" not in text
    assert "voip/signalling/sip/digit_map=" in text
    # the admin password MD5-crypted, as the phone exports it: check it with openssl
    admin = svc.phone_show("00908f000440")["admin_password"]
    hashed = re.search(r"^system/password=(\$1\$([^$]+)\$\S+)$", text, re.M)
    assert hashed, text
    done = await trio.run_process(["openssl", "passwd", "-1", "-salt", hashed.group(2), admin],
                                  capture_stdout=True)
    assert done.stdout.decode().strip() == hashed.group(1)
    svc.setting_set("TIMEZONE_OFFSET", "-12600")  # UTC-03:30
    status, body = await curl(server.url("/prov/audiocodes/audiocodes_440hd/00908F000440.cfg"))
    assert "system/ntp/gmt_offset=-03:30\n" in body.decode()
    # a name cannot add a key of its own (one parameter per line)
    svc.user_add("mallory", "Eve\nsystem/password=owned")
    svc.line_add("41", user="mallory", phone="00908f000440")
    status, body = await curl(server.url("/prov/audiocodes/audiocodes_440hd/00908F000440.cfg"))
    assert status == 200 and b"\nsystem/password=owned" not in body
    assert b"voip/line/1/description=Eve system/password=owned\n" in body
    # resync: NOTIFY with Event: check-sync to where the phone was last seen
    await reload_sends_event(server, "00908f000440", "check-sync", tmp_path)
