"""Technicolor/Thomson ST2030 and TB30: boot sequences over TFTP (tftp-hpa) and HTTP
(curl with the firmware User-Agent) against one running server, the ISO-8859-1 file
format, and a check-sync NOTIFY received by SIPp."""

from __future__ import annotations

from pathlib import Path

from .vendor_replay import Running, curl, replay, resync_with_sipp, sequences


async def test_thomson_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    seqs = sequences("thomson")
    assert {name for name, _ in seqs} >= {"st2030_tftp", "tb30_http"}
    for name, seq in seqs:
        await replay(server, name, seq, "127.0.0.1", tmp_path)
    # names are sent in ISO-8859-1, as the phone reads them
    server.svc.user_rename("alice", "Zoë Müller")
    status, body = await curl(server.url("/ST2030S_00147FE147B3.txt"))
    assert status == 200 and "DisplayName1=Zoë Müller\n".encode("latin-1") in body
    # the serial number changes with the configuration
    before = body
    server.svc.setting_set("VOICEMAIL_EXT", "51")
    _, after = await curl(server.url("/ST2030S_00147FE147B3.txt"))
    serial = [x for x in before.split(b"\n") if x.startswith(b"config_sn=")]
    assert serial and serial[0] not in after
    # a name cannot start a section or a key of its own (INI injection)
    server.svc.user_rename("alice", "Eve\n[sys]\nWebPWD=owned")
    _, body = await curl(server.url("/ST2030S_00147FE147B3.txt"))
    assert b"\nWebPWD=owned" not in body and b"\n[sys]" in body
    assert body.count(b"\n[sys]") == 1
    result = await resync_with_sipp(server, "00147fe147b3", "check-sync", tmp_path)
    assert "ok" in result.lower(), result
