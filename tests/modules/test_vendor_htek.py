"""Htek UC9xx: the module's boot sequences replayed with curl (firmware User-Agent, own
loopback address) against one running server; Grandstream's shared names are left
alone without an Htek announcement; resync is a check-sync NOTIFY received by SIPp."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .vendor_replay import Running, curl, replay, resync_with_sipp, sequences


async def test_htek_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    seqs = sequences("htek")
    assert len(seqs) >= 2
    for n, (name, seq) in enumerate(seqs):
        await replay(server, name, seq, f"127.0.0.{30 + n}", tmp_path)
    # a Grandstream asking for the shared names is not answered by the Htek module (the
    # bundled Grandstream module, which runs first, gives it its own file)
    for path in ("/cfg000b82aabbcc", "/cfg000b82aabbcc.xml"):
        status, body = await curl("--interface", "127.0.0.39", "-A",
                                  "Grandstream Model HW GXP2170 SW 1.0.11.3", server.url(path))
        assert status == (200 if path.endswith(".xml") else 404), path
        assert b"<gs_provision" in body or status == 404, path
    phone = server.svc.store.get_phone("000b82aabbcc")
    assert phone is not None and phone.module_id == "grandstream"
    # a Polycom asking for its <mac>.cfg still gets the Polycom answer
    server.svc.phone_add("0004f2000912", "vvx500")
    status, body = await curl("--interface", "127.0.0.38", "-A",
                              "FileTransport PolycomVVX-VVX_500-UA/5.9.0.9373",
                              server.url("/0004f2000912.cfg"))
    assert status == 200 and b"hl_provision" not in body
    # an announcement from one address does not make another address's request Htek's
    await curl("--interface", "127.0.0.40", server.url("/cfg0012.xml"))
    status, _ = await curl("--interface", "127.0.0.41", server.url("/cfg001fc1000924.xml"))
    assert status == 404
    status, _ = await curl("--interface", "127.0.0.40", server.url("/cfg001fc1000924.xml"))
    assert status == 200 and server.svc.store.get_phone("001fc1000924").phone_type == "htek_uc924"
    # markup in a name stays text: the file still parses and the name comes back whole
    hostile = 'Eve</P3><P2 para="AdminPassword">owned</P2>&'
    server.svc.user_rename("alice", hostile)
    status, body = await curl("-A", "Htek UC912 2.0.4.2 x", server.url("/cfg001fc1000912.xml"))
    root = ET.fromstring(body)
    assert root.find("config/P3").text == hostile
    assert [p.text for p in root.iter("P2")] != ["owned"]
    # resync: the phone booted from 127.0.0.1, where SIPp listens
    status, _ = await curl("--interface", "127.0.0.1", "-A", "Htek UC912 2.0.4.2 x",
                           server.url("/cfg001fc1000912.xml"))
    assert status == 200
    result = await resync_with_sipp(server, "001fc1000912", "check-sync", tmp_path)
    assert "ok" in result.lower(), result
