"""Digium D-series and Sangoma P-series: boot sequences replayed with curl (firmware
User-Agent, own loopback address) against one running server; /<mac>.cfg stays the
Polycom module's without a Digium/Sangoma User-Agent, from the same address too; a
check-sync NOTIFY received by SIPp."""

from __future__ import annotations

from pathlib import Path

from .vendor_replay import Running, curl, replay, resync_with_sipp, sequences


async def test_digium_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    for n, (name, seq) in enumerate(sequences("digium")):
        await replay(server, name, seq, f"127.0.0.{70 + n}", tmp_path)
    # a Polycom at the same address as a Sangoma still gets the Polycom answer
    server.svc.phone_add("0004f2000777", "vvx500")
    status, body = await curl("--interface", "127.0.0.71", "-A",
                              "FileTransport PolycomVVX-VVX_500-UA/5.9.0.9373",
                              server.url("/0004f2000777.cfg"))
    assert status == 200 and b"<hl_provision" not in body and b"<config>" not in body
    assert server.svc.store.get_phone("0004f2000777").phone_type == "vvx500"
    status, _ = await curl("--interface", "127.0.0.1", "-A", "Digium D65 2_9_7_0_78542",
                           server.url("/digium/000fd3000065.cfg"))
    assert status == 200
    result = await resync_with_sipp(server, "000fd3000065", "check-sync", tmp_path)
    assert "ok" in result.lower(), result
