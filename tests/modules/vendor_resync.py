"""Resync a provisioned phone through the running server's API and check, with SIPp posing
as the phone on 127.0.0.1, that the NOTIFY carries exactly the vendor's Event header."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from ..sip.sipp import free_udp_port, sipp_uas
from .conftest import Running

SCENARIO = Path(__file__).parent / "scenarios" / "notify_event.xml"


async def resync_with_sipp(server: Running, mac: str, event: str, workdir: Path
                           ) -> tuple[dict[str, Any], int, str]:
    """(API result, SIPp exit code, SIPp diagnostics) of one resync of `mac`, whose last
    fetch must have come from 127.0.0.1 (where SIPp listens)."""
    port = free_udp_port()
    server.svc.setting_set("SIP_PORT", str(port))
    scenario = workdir / "notify_event.xml"
    pattern = r"^[[:space:]]*" + re.escape(event).replace("\\-", "-") + r"[[:space:]]*$"
    scenario.write_text(SCENARIO.read_text().replace("@EVENT@", pattern))
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    async with sipp_uas("", workdir / "sipp", scenario_file=scenario, port=port) as uas:
        async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
            result = (await api.post(f"/phones/{mac}/resync")).json()
        rc = await uas.finish()
        return result, rc, uas.diagnostics()
