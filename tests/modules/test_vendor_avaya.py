"""Avaya: the J100/96x1 (46xxsettings.txt) and 1200 series SIP boot sequences replayed
with curl and tftp-hpa against one running server; <MAC>.txt and SIP<MAC>.cfg are not
taken without an Avaya announcement; check-sync NOTIFYs received by SIPp."""

from __future__ import annotations

from pathlib import Path

from .vendor_replay import Running, curl, replay, resync_with_sipp, sequences


async def test_avaya_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    for n, (name, seq) in enumerate(sequences("avaya") + sequences("avaya-1200")):
        tftp = any(s.get("proto", "tftp") == "tftp" for s in seq["steps"])
        await replay(server, name, seq, "127.0.0.1" if tftp else f"127.0.0.{60 + n}", tmp_path)
    # lines are never longer than the 1200 series reads (80 characters)
    _, body = await curl(server.url("/SIP0024000A1230.cfg"))
    assert body and all(len(x) < 80 for x in body.split(b"\n"))
    # no announcement, no Avaya User-Agent: the shared-looking names are passed on
    for path in ("/001122334455.txt", "/SIP001122334455.cfg"):
        status, _ = await curl("--interface", "127.0.0.69", server.url(path))
        assert status == 404, path
    assert server.svc.store.get_phone("001122334455") is None
    # a name cannot close its quotes and set another parameter
    server.svc.user_rename("alice", 'Eve"\nSET FORCE_WEB_ADMIN_PASSWORD "owned')
    _, body = await curl("-A", "AVAYA/J179-4.1.5.0.6", server.url("/c81feaaabb79.txt"))
    assert not [x for x in body.split(b"\n") if x.startswith(b'SET FORCE_WEB_ADMIN_PASSWORD "owned')]
    assert len([x for x in body.split(b"\n") if x.startswith(b"SET FORCE_WEB_ADMIN")]) == 1
    for mac, path, ua in (("c81feaaabb79", "/c81feaaabb79.txt",
                           "Mozilla/4.0 (compatible; MSIE 6.0) AVAYA/J179-4.1.5.0.6 (MAC:c81feaaabb79)"),
                          ("0024000a1230", "/SIP0024000A1230.cfg", "AVAYA/SIP12x0/04.01.13.00")):
        status, _ = await curl("--interface", "127.0.0.1", "-A", ua, server.url(path))
        assert status == 200
        result = await resync_with_sipp(server, mac, "check-sync", tmp_path / mac)
        assert "ok" in result.lower(), result
