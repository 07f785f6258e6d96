"""Pure helpers of the foundation: MACs, settings, paths, markers."""

from __future__ import annotations

import pytest
from provhost.chain.markers import MarkerError, MarkerTable
from provhost.chain.normalize import (
    MAX_PATH,
    NormalPath,
    PathRejected,
    normalize_path,
    resolve_path,
)
from provhost.mac import MacError, normalize_mac
from provhost.settings import SettingError, effective, validate


@pytest.mark.parametrize("text", ["11:22:33:44:55:66", "11-22-33-44-55-66", "1122.3344.5566",
                                  "112233445566", "  11:22:33:44:55:66 ", "11:22:33:44:55:66".upper()])
def test_mac_spellings(text):
    assert normalize_mac(text) == "112233445566"


@pytest.mark.parametrize("text", ["", "11223344556", "1122334455667", "11223344556g",
                                  "000000000000", "ffffffffffff"])
def test_bad_macs(text):
    with pytest.raises(MacError):
        normalize_mac(text)


def test_settings_validation_and_defaults():
    assert validate("DISPLAY_LOGO", "yes") == "1"
    assert validate("TIMEZONE_OFFSET", " 3600 ") == "3600"
    with pytest.raises(SettingError, match="AUTO_EXTENSION_RANGE: expected a number range"):
        validate("AUTO_EXTENSION_RANGE", "300-200")
    values = effective({"VOICEMAIL_EXT": "70"})
    assert values["VOICEMAIL_EXT"] == "70" and values["TIMEZONE_OFFSET"] == "auto"
    assert validate("TIMEZONE", "Europe/Prague") == "Europe/Prague"
    for bad in ("Mars/Olympus", "../../etc/passwd", "/etc/localtime"):
        with pytest.raises(SettingError, match="tz database name"):
            validate("TIMEZONE", bad)
    with pytest.raises(SettingError, match="between"):
        validate("TIMEZONE_OFFSET", "999999")


def test_timezone_offset_follows_daylight_saving_unless_pinned():
    from provhost.timezone import effective_offset

    winter, summer = 1_767_225_600.0, 1_782_864_000.0  # 2026-01-01, 2026-07-01 UTC
    prague = {"TIMEZONE": "Europe/Prague", "TIMEZONE_OFFSET": "auto"}
    assert effective_offset(prague, winter) == 3600
    assert effective_offset(prague, summer) == 7200
    assert effective_offset({**prague, "TIMEZONE_OFFSET": "-18000"}, summer) == -18000
    assert effective_offset({"TIMEZONE": "", "TIMEZONE_OFFSET": "auto"}, summer) == 0


def test_kerio_request_variables():
    from provhost.moduleapi.variables import request_vars

    v = request_vars(path="/x", proto="http", client_ip="10.0.0.9", method="GET",
                     headers={"user-agent": "Yealink", "accept": "*/*",
                              "x-odd.name": "1", "authorization": "Digest secret"},
                     markers={"HTTP_ACCEPT": "marker", "m": "1"}, module={},
                     server_ip="192.0.2.1", tftp_options={"blksize": "1428"},
                     settings={"OPERATOR_IP": "", "TIMEZONE": "Europe/Prague",
                               "TIMEZONE_OFFSET": "auto"}, now=1_782_864_000.0)
    assert v["PHONE_IP"] == v["CLIENT_IP"] == "10.0.0.9"
    assert v["HTTP_USER_AGENT"] == v["USER_AGENT"] == "Yealink"
    assert v["HTTP_ACCEPT"] == "*/*" and v["HTTP_X_ODD_NAME"] == "1"
    assert "HTTP_AUTHORIZATION" not in v  # a phone's credentials stay with the host
    assert v["OPT_blksize"] == "1428" and v["m"] == "1"
    assert v["OPERATOR_IP"] == "192.0.2.1" and v["TIMEZONE_OFFSET"] == 7200
    pinned = request_vars(path="/x", proto="tftp", client_ip="10.0.0.9", method="GET",
                          headers={}, markers={}, module={}, server_ip="192.0.2.1",
                          settings={"OPERATOR_IP": "198.51.100.7", "TIMEZONE_OFFSET": "0"})
    assert pinned["OPERATOR_IP"] == "198.51.100.7" and pinned["TIMEZONE_OFFSET"] == 0


@pytest.mark.parametrize(("raw", "expected"), [
    ("Cisco/SPA504G/112233445566.cfg", "/Cisco/SPA504G/112233445566.cfg"),
    ("\\Cisco\\spa.cfg", "/Cisco/spa.cfg"),
    ("//a///b", "/a/b"),
    ("/", "/"),
])
def test_path_normalisation(raw, expected):
    assert normalize_path(raw) == expected


@pytest.mark.parametrize(("raw", "expected", "climbed"), [
    ("/../etc/passwd", "/etc/passwd", True), ("a\\..\\b", "/b", False),
    ("/./x", "/x", False), ("/a/b/../../..", "/", True), ("/a/./b/../c", "/a/c", False),
])
def test_dot_segments_are_resolved_never_above_the_root(raw, expected, climbed):
    assert resolve_path(raw) == NormalPath(expected, climbed)


@pytest.mark.parametrize(("raw", "reason"), [
    ("/x\x00y", "control"), ("/x\ny", "control"), ("/" + "a" * MAX_PATH, "longer"),
])
def test_hostile_paths_are_rejected(raw, reason):
    with pytest.raises(PathRejected, match=reason):
        normalize_path(raw)


def test_markers_expire_and_are_per_ip():
    now = [1000.0]
    table = MarkerTable(60, clock=lambda: now[0])
    table.set("10.0.0.1", "yealink_model", "32")
    assert table.get("10.0.0.1") == {"yealink_model": "32"}
    assert table.get("10.0.0.2") == {}
    now[0] += 59.9
    assert table.get("10.0.0.1") == {"yealink_model": "32"}
    now[0] += 0.2
    assert table.get("10.0.0.1") == {}


@pytest.mark.parametrize(("name", "match"), [("PATH", "reserved"), ("1x", "identifier"),
                                             ("a-b", "identifier")])
def test_marker_names_cannot_shadow_provhost_variables(name, match):
    with pytest.raises(MarkerError, match=match):
        MarkerTable().set("10.0.0.1", name, "v")
