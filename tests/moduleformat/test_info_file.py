"""The info file and version ordering."""

from __future__ import annotations

import itertools

import pytest
from provhost.moduleformat.info import compare_versions, parse_info
from provhost.moduleformat.model import FormatError


def test_headerless_info() -> None:
    info = parse_info(
        "; comment\n# another\nid = spa_example\nname = Example SPA\nversion: 0.4.01\n"
        "Author = Someone\nurl = http://x/%(y)s\ndescription = first line\n  second line\n"
    )
    assert (info.id, info.name, info.version, info.sequence) == (
        "spa_example", "Example SPA", "0.4.01", "5")
    assert info.description == "first line\nsecond line"
    assert info.extra == {"author": "Someone", "url": "http://x/%(y)s"}


def test_module_section_and_sequence() -> None:
    info = parse_info("[module]\nid=yealink\nname=Yealink\nversion=1\nsequence=4\nruntime=wasm\n")
    assert info.sequence == "4" and info.extra == {"runtime": "wasm"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = X\nversion = 1\n", "info: the required key 'id' is missing or empty"),
        ("id =\nname = X\nversion = 1\n", "info:1: the required key 'id' is missing or empty"),
        ("id = Spa\nname = X\nversion = 1\n",
         "info:1: key 'id': expected lowercase letters, digits, '_', '.', '-', starting with a "
         "letter or digit, at most 64 characters; found 'Spa'"),
        ("id = a\nname = X\nversion = 1.x\n",
         "info:3: key 'version': expected dot-separated numbers like 1.2 or 0.4.01, found '1.x'"),
        ("id = a\nname = X\nversion = 1\nsequence = four\n",
         "info:4: key 'sequence': expected up to 8 digits, found 'four'"),
        ("id = a\nname = X\nversion = 1\nruntime = jvm\n",
         "info:4: key 'runtime': expected one of native, wasm, found 'jvm'"),
        ("id = a\nname = X\nversion = 1\nmin_provhost = new\n",
         "info:4: key 'min_provhost': expected a version like 0.1, found 'new'"),
        ("id = a\nID = b\n", "info:2: key 'id' is given twice (first on line 1)"),
        ("id = a\njust words\n", "info:2: expected 'key = value', found 'just words'"),
        ("[other]\nid = a\n",
         "info:1: unknown section [other]: expected [module] or no section at all"),
        ("id = a\n[module]\n", "info:2: [module] must appear once, before every key"),
    ],
)
def test_info_errors(text: str, message: str) -> None:
    with pytest.raises(FormatError) as info:
        parse_info(text)
    assert str(info.value) == message


def test_version_order() -> None:
    ordered = ["0.4", "0.4.01", "0.4.02", "0.5", "1.9", "1.10", "2"]
    for a, b in itertools.pairwise(ordered):
        assert compare_versions(a, b) == -1, (a, b)
        assert compare_versions(b, a) == 1, (a, b)
    assert compare_versions("0.4.1", "0.4.01") == 0
    assert compare_versions("1", "1.0.0") == 0
    assert sorted(reversed(ordered), key=lambda v: tuple(map(int, v.split(".")))) == ordered
    with pytest.raises(ValueError, match="not a version"):
        compare_versions("1.a", "1")
