"""The Cisco modules against one running server: the SPA/ATA/multiplatform boot sequences
(modules/cisco-spa/tests/*.json) and the 79xx/ATA190 SIP ones (modules/cisco-sip/tests/)
replayed with curl and tftp-hpa, and resync by SIP NOTIFY check-sync answered by sipp
posing as the phone."""

from __future__ import annotations

from pathlib import Path

from .boot_replay import api_client, load_sequences, replay, resync_with_sipp
from .conftest import BUNDLED, Running


async def test_cisco_boot_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    sequences = load_sequences(BUNDLED / "cisco-spa") + load_sequences(BUNDLED / "cisco-sip")
    assert len(sequences) >= 8
    async with api_client(server) as api:
        for n, (name, seq) in enumerate(sequences, 70):
            scratch = tmp_path / name
            scratch.mkdir()
            await replay(server, api, name, seq, f"127.0.0.{n}", scratch)

        # resync: the 8841 (3PCC, digest-challenged NOTIFY) and the 7960 (SIP firmware)
        # last fetched over TFTP from 127.0.0.1
        for mac in ("00562b5c0004", "0017955c0011"):
            event = await resync_with_sipp(server, api, mac, "check-sync", tmp_path / mac)
            assert event == "check-sync"
