"""Dialplans: $DIALPLAN_DATA built from the PBX data, module scripts run in the sandbox,
results in $DIALPLAN_<name> and (per DIALPLAN_TYPE) $DIALPLAN, regenerated on change."""

from __future__ import annotations

from provhost.moduleapi.dialplan_data import build_dialplan_data

from .conftest import Running, curl

MAC = "0004f2000123"


def test_dialplan_data_as_the_contract_shows() -> None:
    assert build_dialplan_data(["11", "10", "50"], ["0"]) == [
        ["10", 0], ["11", 0], ["50", 0], ["0", -1]]
    assert build_dialplan_data(["100", "20", "*97", "20"], ["9", "20"]) == [
        ["20", 0], ["100", 0], ["*97", 0], ["9", -1]]


async def test_spa_config_carries_the_generated_dialplan_and_follows_changes(
        server: Running) -> None:
    server.svc.phone_add(MAC, "spa504g")
    for n in ("10", "150", "20", "25", "99"):
        server.svc.line_add(n)
    server.svc.prefix_add("9")
    server.svc.setting_set("VOICEMAIL_EXT", "25")
    status, body = await curl(server.url(f"/Cisco/SPA504G/{MAC}.cfg"))
    assert status == 200
    # the seed's table: 10,150,20,25,99 + prefix 9 -> 1.., 2., 9.* (SPA syntax: x per digit)
    assert b"<Dial_Plan_1_ ua=\"na\">(1xx|2x|9x.)</Dial_Plan_1_>" in body
    server.svc.line_add("30")
    status, body = await curl(server.url(f"/Cisco/SPA504G/{MAC}.cfg"))
    assert b"(1xx|2x|3x|9x.)" in body


async def test_yealink_digit_map(server: Running) -> None:
    server.svc.phone_add(MAC, "yealink_t46")
    server.svc.line_add("10")
    server.svc.prefix_add("0")
    status, body = await curl("-A", "Yealink SIP-T46G 28.80.0.95", "--interface", "127.0.0.9",
                              server.url(f"/{MAC}.cfg"))
    assert status == 200
    assert b"dialplan.digitmap.string = 1x|5x|0x.T" in body
