"""The Polycom module against one running server: its boot sequences
(modules/polycom/tests/*.json) replayed with curl and tftp-hpa (uploads before the first
configuration, overrides and contacts served back, the default master), and resync by SIP
NOTIFY check-sync with digest answered by sipp posing as the phone."""

from __future__ import annotations

from pathlib import Path

from .boot_replay import api_client, load_sequences, replay, resync_with_sipp
from .conftest import BUNDLED, Running, curl

MODULE = BUNDLED / "polycom"


async def test_polycom_boot_sequences_uploads_and_resync(server: Running,
                                                         tmp_path: Path) -> None:
    sequences = load_sequences(MODULE)
    assert len(sequences) >= 4
    async with api_client(server) as api:
        for n, (name, seq) in enumerate(sequences, 40):
            scratch = tmp_path / name
            scratch.mkdir()
            await replay(server, api, name, seq, f"127.0.0.{n}", scratch)

        # the boot log before the first configuration created the phone, with its model
        phone = server.svc.store.get_phone("0004f2b00001")
        assert phone is not None and phone.phone_type == "vvx410"
        names = [u["name"] for u in server.svc.phone_uploads("0004f2b00001")]
        assert "0004f2b00001-boot.log" in names and "0004f2b00001-directory.xml" in names

        # another phone's uploads are never served, even to a Polycom naming that MAC from
        # another address without credentials check: it is its own file or not found
        status, body = await curl("--interface", "127.0.0.60", "-A",
                                  "FileTransport PolycomVVX-VVX_410-UA/5.9.5.0614",
                                  server.url("/0004f2b00099-directory.xml"))
        assert status == 404 and b"Bob" not in body

        # a phone whose provisioning credentials are required: its contacts only with them
        ua = ["-A", "FileTransport PolycomVVX-VVX_410-UA/5.9.5.0614"]
        server.svc.phone_auth_on("0004f2b00001")
        creds = server.svc.phone_auth_show("0004f2b00001", reveal=True)
        status, body = await curl("--interface", "127.0.0.43", *ua,
                                  server.url("/polycom-VVX410-0004f2b00001.cfg"))
        assert status == 200 and creds["password"].encode() in body  # delivered
        status, body = await curl("--interface", "127.0.0.43", *ua,
                                  server.url("/0004f2b00001-directory.xml"))
        assert status == 401 and b"Bob" not in body
        status, body = await curl("--interface", "127.0.0.43", *ua, "--digest", "-u",
                                  f"{creds['user']}:{creds['password']}",
                                  server.url("/0004f2b00001-directory.xml"))
        assert status == 200 and b"<ct>220</ct>" in body

        # a log upload from a client with no Polycom evidence for an unknown phone: refused
        status, body = await curl("--interface", "127.0.0.61", "-X", "PUT",
                                  "--data-binary", "x", server.url("/0004f2b0ffff-app.log"))
        assert status == 403 and b"no phone with MAC" in body

        # the gmtOffset expansion (the compiler fix) is a number of seconds
        server.svc.setting_set("TIMEZONE_OFFSET", "-18000")
        status, body = await curl("--interface", "127.0.0.62",
                                  server.url("/polycom-SPIP650-0004f2b00002.cfg"))
        assert status == 200 and b'tcpIpApp.sntp.gmtOffset="-18000"' in body

        # resync: the SoundPoint IP 650 (line 221) last fetched over TFTP from 127.0.0.1
        await tftp_refetch(server, tmp_path)
        event = await resync_with_sipp(server, api, "0004f2b00002", "check-sync",
                                       tmp_path / "sipp")
        assert event == "check-sync"


async def tftp_refetch(server: Running, tmp_path: Path) -> None:
    """Fetch the SPIP650's configuration again over TFTP (127.0.0.1, where sipp listens)."""
    from .conftest import tftp_get

    rc, msg = await tftp_get(server.ports.tftp, "/polycom-SPIP650-0004f2b00002.cfg",
                             str(tmp_path / "again.cfg"))
    assert rc == 0 and "Error" not in msg, msg
