"""The Yealink module against one running server: its documented boot sequences
(modules/yealink/tests/*.json) replayed with curl and tftp-hpa, the shared /<mac>.cfg
decided right next to Polycoms (same and other addresses), and resync by SIP NOTIFY
check-sync answered by sipp posing as the phone."""

from __future__ import annotations

from pathlib import Path

from .boot_replay import api_client, load_sequences, replay, resync_with_sipp
from .conftest import BUNDLED, Running, curl, tftp_get

MODULE = BUNDLED / "yealink"


async def test_yealink_boot_sequences_shared_names_and_resync(server: Running,
                                                             tmp_path: Path) -> None:
    sequences = load_sequences(MODULE)
    assert len(sequences) >= 4
    async with api_client(server) as api:
        for n, (name, seq) in enumerate(sequences, 10):
            scratch = tmp_path / name
            scratch.mkdir()
            await replay(server, api, name, seq, f"127.0.0.{n}", scratch)

        # old firmware (T28P, "2.60") and a CP920 over HTTP: the User-Agent names the model
        for mac, ua, ptype in (
                ("001565a00011", "yealink SIP-T28P 2.60.0.110 00:15:65:a0:00:11", "yealink_t28"),
                ("001565a00012", "Yealink CP920 78.84.0.15 00:15:65:a0:00:12", "yealink_cp920"),
                ("001565a00013", "Yealink SIP VP59 91.85.0.5 00:15:65:a0:00:13", "yealink_vp59"),
                ("001565a00014", "Yealink SIP-T99X 199.86.0.1 00:15:65:a0:00:14",
                 "yealink_generic")):
            status, body = await curl("--interface", "127.0.0.30", "-A", ua,
                                      server.url(f"/{mac}.cfg"))
            assert status == 200 and body.startswith(b"#!version:1.0.0.1\n"), body
            assert server.svc.store.get_phone(mac).phone_type == ptype

        # /<mac>.cfg without any Yealink evidence (curl's own User-Agent, fresh address):
        # the Polycom module's master file, as before
        status, body = await curl("--interface", "127.0.0.31", server.url("/001565a00099.cfg"))
        assert status == 200 and b"<APPLICATION" in body

        # a Polycom asking /<mac>.cfg over TFTP from the address a Yealink just announced
        # itself from (one NAT): its Polycom MAC prefix keeps it with Polycom
        rc, msg = await tftp_get(server.ports.tftp, "/y000000000066.cfg", str(tmp_path / "x"))
        assert "Error code 1" in msg
        rc, msg = await tftp_get(server.ports.tftp, "/0004f2a00099.cfg", str(tmp_path / "p"))
        assert rc == 0, msg
        assert b"<APPLICATION" in (tmp_path / "p").read_bytes()
        # ... while a Yealink MAC from the same address right after is Yealink's
        rc, msg = await tftp_get(server.ports.tftp, "/001565a00098.cfg", str(tmp_path / "y"))
        assert rc == 0 and (tmp_path / "y").read_bytes().startswith(b"#!version:1.0.0.1")
        assert server.svc.store.get_phone("001565a00098").phone_type == "yealink_t46s"

        # a Yealink upload from a client that is not a Yealink goes on to Polycom's rules
        status, _ = await curl("--interface", "127.0.0.32", "-X", "PUT", "--data-binary", "x",
                               server.url("/001565a00001-local.cfg"))
        assert status == 403

        # resync: the W60B (line 1 = 212) last fetched over TFTP from 127.0.0.1
        event = await resync_with_sipp(server, api, "805ec0a00003", "check-sync",
                                       tmp_path / "sipp")
        assert event == "check-sync"

        # local_time.time_zone takes hours, with ':30'/':45' for the half-hour zones
        for offset, want in (("19800", "+5:30"), ("-12600", "-3:30"), ("3600", "+1"),
                             ("0", "+0")):
            server.svc.setting_set("TIMEZONE_OFFSET", offset)
            status, body = await curl("--interface", "127.0.0.33", "-A",
                                      "Yealink SIP-T46S 66.84.0.15 00:15:65:a0:00:01",
                                      server.url("/001565a00001.cfg"))
            assert f"\nlocal_time.time_zone = {want}\n".encode() in body, body

        # firmware: no image, no firmware.url; an uploaded image is named and served
        assert b"firmware.url" not in body
        r = await api.put("/firmware/yealink/fw_t4xs", content=b"<html>not firmware</html>")
        assert r.status_code >= 400 and "HTML" in r.text
        image = b"\x00\x01ROM" + bytes(range(256)) * 8192
        r = await api.put("/firmware/yealink/fw_t4xs", content=image, timeout=60)
        assert r.status_code == 200, r.text
        path = f"/prov/yealink/firmware/fw_t4xs/{r.json()['content_id']}.rom"
        status, body = await curl("--interface", "127.0.0.33", "-A",
                                  "Yealink SIP-T46S 66.84.0.15 00:15:65:a0:00:01",
                                  server.url("/001565a00001.cfg"))
        assert f"\nstatic.firmware.url = tftp://127.0.0.1{path}\n".encode() in body, body
        rc, msg = await tftp_get(server.ports.tftp, path, str(tmp_path / "fw.rom"))
        assert "Error" not in msg and (tmp_path / "fw.rom").read_bytes() == image
        # a T54W (other slot, empty) is not offered the T4xS image
        status, body = await curl("--interface", "127.0.0.34", "-A",
                                  "Yealink SIP-T54W 96.85.0.5 00:15:65:a0:00:02",
                                  server.url("/001565a00002.cfg"))
        assert status == 200 and b"firmware.url" not in body
