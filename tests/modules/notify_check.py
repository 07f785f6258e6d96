"""Resync check for the vendor tests: the server's SIP NOTIFY reaches SIPp (posing as the
phone on 127.0.0.1) with exactly the vendor's Event header, or the scenario fails."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.sip.sipp import free_udp_port, sipp_uas

from .conftest import Running

_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="vendor NOTIFY event">
  <recv request="NOTIFY">
    <action>
      <ereg regexp="^[[:space:]]*{event}[[:space:]]*$" search_in="hdr" header="Event:"
            check_it="true" assign_to="event"/>
      <log message="Event header: [$event]"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]sippuas[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""


async def reload_sends_event(server: Running, mac: str, event: str, tmp_path: Path) -> dict:
    """Ask the API to reload `mac` (last seen at 127.0.0.1) while SIPp listens; return the
    API's answer after asserting SIPp saw the NOTIFY with Event `event`."""
    scenario = tmp_path / "notify_event.xml"
    # POSIX ERE: escape what is special, keep the literal event text
    scenario.write_text(_SCENARIO.replace("{event}", re.sub(r"([.;+*?()\[\]|^$\\])", r"\\\1",
                                                             event)))
    port = free_udp_port()
    server.svc.setting_set("SIP_PORT", str(port))
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    async with (sipp_uas("", tmp_path / "sipp", scenario_file=scenario, port=port) as uas,
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                                  headers={"Authorization": f"Bearer {token}"},
                                  timeout=30) as api):
        r = await api.post(f"/phones/{mac}/reload")
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    body = r.json()
    assert body["method"] == "SIPNOTIFY" and body["ok"] is True, body
    return body
