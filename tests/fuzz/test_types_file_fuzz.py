"""Fuzzing the phone_types / firmware_types parsers: any text gives records or a FormatError
that names a real line; collecting mode (`problems=[]`) never raises and agrees with the
strict mode; the bundled modules' files, damaged, behave the same way."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st
from provhost.moduleformat.model import FirmwareType, FormatError, PhoneType
from provhost.moduleformat.types_file import parse_firmware_types, parse_phone_types
from provhost.paths import SOURCE_ROOT

from .conftest import FUZZ

BUNDLED = sorted((SOURCE_ROOT / "modules").glob("*/phone_types"))
FIRMWARE_SAMPLE = (
    '@set SCRIPT=check.sh\n'
    'fw_main "Main firmware" firmware LONGDESC="The {$IDENT} image"\n'
    'logo   "Boot logo" logo\n'
    '@unset *\n'
    'extra  other_word other \\\n    X=1\n'
)

_token = st.sampled_from([
    "@set ", "@unset ", "@frob ", "spa504g ", "4 ", "0 ", "1001 ", "99999999999999999999 ",
    '"Cisco SPA504G" ', '"open ', '\\"', "\\\n", "\\", "# comment", "#", "\n", " ", "\t",
    "A=", "A=1 ", 'B="x y" ', "=", "{$IDENT}", "{strtoupper($IDENT)}", "{$", "}", "*", "?",
    "[a-z]", "RESYNC=SIPNOTIFY ", "SIPNOTIFY_auth=bogus ", "FW=", "firmware ", "logo ",
    "other ", "\r", "\x00", "\u00e9", "\u2028", "\x0b", "\x0c", "\x1c", "\x85", "٣ ",
])
typesish = st.lists(st.one_of(_token, st.text(max_size=5)), max_size=60).map("".join)


def _lines(text: str) -> int:
    return len(text.split("\n"))


def _both_modes(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    problems: list[FormatError] = []
    collected = parse(text, "fuzzed", problems)  # collecting mode: never raises
    assert all(isinstance(p, FormatError) for p in problems)
    try:
        strict = parse(text, "fuzzed")
    except FormatError as exc:
        assert exc.file == "fuzzed" and exc.message
        assert exc.line is None or 1 <= exc.line <= _lines(text), (exc.line, text)
        assert problems, "strict mode failed where collecting mode saw no problem"
        assert str(problems[0]) == str(exc)
        return
    assert not problems
    assert collected == strict
    for rec in strict:
        assert isinstance(rec, PhoneType | FirmwareType)
        assert 1 <= rec.line <= _lines(text)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in rec.options.items())


@FUZZ
@given(typesish)
@example("a 1 x\n\x85b 1 y")  # NEL: a line break for str.splitlines, not for the format
@example("a 1 x \\\n")  # continuation at the end of the file
def test_phone_types_any_text(text: str) -> None:
    _both_modes(parse_phone_types, text)


@FUZZ
@given(typesish)
def test_firmware_types_any_text(text: str) -> None:
    _both_modes(parse_firmware_types, text)


@FUZZ
@given(st.sampled_from(BUNDLED), st.data())
def test_damaged_bundled_phone_types(path: Path, data: st.DataObject) -> None:
    """Real files with one splice of junk (a deleted span, an inserted token) at a random
    place: still records or a FormatError on a real line."""
    text = path.read_text()
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 40)))
    junk = data.draw(st.one_of(_token, st.text(max_size=6)))
    damaged = text[:start] + junk + text[end:]
    _both_modes(parse_phone_types, damaged)


@FUZZ
@given(st.data())
def test_damaged_firmware_types(data: st.DataObject) -> None:
    text = FIRMWARE_SAMPLE
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 20)))
    _both_modes(parse_firmware_types, text[:start] + data.draw(_token) + text[end:])


def test_bundled_files_parse_cleanly() -> None:
    """The fuzz seeds themselves are valid (else the damage tests prove little)."""
    assert BUNDLED
    for path in BUNDLED:
        assert parse_phone_types(path.read_text(), str(path))
    assert len(parse_firmware_types(FIRMWARE_SAMPLE)) == 3
