"""Pure helpers of the foundation: MACs, settings, paths, markers."""

from __future__ import annotations

import pytest
from provhost.chain.markers import MarkerError, MarkerTable
from provhost.chain.normalize import MAX_PATH, PathRejected, normalize_path
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
    assert values["VOICEMAIL_EXT"] == "70" and values["TIMEZONE_OFFSET"] == "0"


@pytest.mark.parametrize(("raw", "expected"), [
    ("Cisco/SPA504G/112233445566.cfg", "/Cisco/SPA504G/112233445566.cfg"),
    ("\\Cisco\\spa.cfg", "/Cisco/spa.cfg"),
    ("//a///b", "/a/b"),
    ("/", "/"),
])
def test_path_normalisation(raw, expected):
    assert normalize_path(raw) == expected


@pytest.mark.parametrize(("raw", "reason"), [
    ("/../etc/passwd", "'..'"), ("a\\..\\b", "'..'"), ("/x\x00y", "control"),
    ("/x\ny", "control"), ("/" + "a" * MAX_PATH, "longer"), ("/./x", "'.'"),
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
