"""Obihai OBi adapters: the module's boot sequences replayed with tftp-hpa and curl
(firmware User-Agent, own loopback addresses) against one server; markup is escaped;
resync is a NOTIFY "resync" received by SIPp."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .conftest import Running, curl
from .notify_check import reload_sends_event
from .replay_sequences import replay, sequences


def _values(body: bytes) -> dict[str, str]:
    """Object name + parameter name -> value, as the adapter reads the file."""
    out = {}
    for obj in ET.fromstring(body).iter("Object"):
        base = obj.findtext("Name")
        for p in obj.iter("ParameterValueStruct"):
            out[f"{base}{p.findtext('Name')}"] = p.findtext("Value") or ""
    return out


async def test_obihai_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    for n, file in enumerate(sequences("obihai")):
        problems = await replay(server, file, f"127.0.0.{60 + n}", tmp_path)
        assert problems == [], problems

    svc = server.svc
    svc.user_add("eve", 'Eve <"&"> Example')
    svc.phone_add("9cadef000504", "obihai_obi504")
    svc.line_add("50", user="eve", phone="9cadef000504")
    svc.setting_set("TIMEZONE_OFFSET", "-18000")
    status, body = await curl(server.url("/prov/obihai/OBi504/9cadef000504.xml"))
    assert status == 200, body
    v = _values(body)
    sp1 = "VoiceService.1.VoiceProfile.1.Line.1."
    assert v[f"{sp1}CallingFeatures.CallerIDName"] == 'Eve <"&"> Example'
    line = svc.line_list("9cadef000504")[0]
    assert v[f"{sp1}SIP.AuthUserName"] == line["sip_username"]
    assert v["VoiceService.1.VoiceProfile.1.SIP.ProxyServer"] == svc.setting_get("OPERATOR_IP")
    assert v["X_DeviceManagement.TimeService.LocalTimeZone"] == "GMT-05:00"
    assert v["VoiceService.1.VoiceProfile.9.Line.1.Enable"] == "false"
    assert "VoiceService.1.VoiceProfile.10.Line.1.Enable" not in v
    await reload_sends_event(server, "9cadef000504", "resync", tmp_path)
