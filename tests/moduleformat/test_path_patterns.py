"""The `paths` key of info: parsing errors and which paths a declaration lets through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from provhost.moduleformat.info import parse_info
from provhost.moduleformat.model import FormatError
from provhost.moduleformat.path_patterns import MAX_PATTERNS, path_filter

BASE = "id = a\nname = X\nversion = 1\n"


def test_patterns_are_read_and_not_kept_as_extra() -> None:
    info = parse_info(BASE + "paths = /spa*.cfg\n  /Cisco/*\n")
    assert info.paths == ("/spa*.cfg", "/Cisco/*") and "paths" not in info.extra
    assert parse_info(BASE).paths == ()


@pytest.mark.parametrize(("value", "message"), [
    ("", "info:4: the required key"),  # placeholder replaced below
    ("spa.cfg", "info:4: key 'paths': pattern 'spa.cfg' must start with '/'"),
    ("/a " * (MAX_PATTERNS + 1), f"info:4: key 'paths': at most {MAX_PATTERNS} patterns"),
    ("/" + "x" * 300, "info:4: key 'paths': pattern '/xxxxxxx"),
])
def test_bad_declarations_name_the_line_and_the_pattern(value: str, message: str) -> None:
    if not value:
        message = "info:4: key 'paths': expected at least one pattern"
    with pytest.raises(FormatError) as e:
        parse_info(BASE + f"paths = {value}\n")
    assert str(e.value).startswith(message)


def test_matching_is_case_insensitive_and_whole_path() -> None:
    wants = path_filter(("/spa*.cfg", "/Cisco/*", "/????????????.cfg"))
    assert wants is not None
    assert wants("/spa504G.cfg") and wants("/SPA941.CFG") and wants("/cisco/SPA504G/x.cfg")
    assert wants("/0004f2000777.cfg")
    assert not wants("/y000000000028.cfg.bak") and not wants("/polycom-vvx-1.cfg")
    assert not wants("/x/spa504G.cfg")  # anchored at the start
    assert path_filter(()) is None


@given(st.text(min_size=1, max_size=40).map(lambda t: "/" + t.replace("\0", "")))
def test_a_literal_pattern_matches_exactly_its_own_path(path: str) -> None:
    literal = "".join(f"[{c}]" if c in "*?[]" else c for c in path)
    wants = path_filter((literal,))
    assert wants is not None and wants(path)
    assert not wants(path + "x")
