"""phone_types / firmware_types: the seed's examples and exact error messages."""

from __future__ import annotations

import pytest
from provhost.moduleformat.model import FormatError
from provhost.moduleformat.templates import expand_options
from provhost.moduleformat.types_file import parse_firmware_types, parse_phone_types

SPA_SET = """\
@set RESYNC=SIPNOTIFY SIPNOTIFY_auth=digest

spa501g 8 "Cisco SPA501G"
spa502g 1 "Cisco SPA502G"
spa504g 4 "Cisco SPA504G"
# ...

@unset RESYNC SIPNOTIFY_auth
spa_generic 4 "Generic SPA"
"""

YEALINK = """\
@set model="{substr($IDENT, 9)}"
@set REVIEW="!tftp:/y0000000000{$model}.cfg tftp:/{$MAC}.cfg"

# Exception: T-28 uses "00" instead of "28" in the filename.
yealink_t28 6 "Yealink SIP-T28P" model=00
yealink_t32 3 "Yealink SIP-T32G"
yealink_t38 6 "Yealink SIP-T38G"
# ...
"""

SLOTS = """\
@set SCRIPT=logo
logo_bw     "Example SPA b/w logo"   logo               \\
            LONGDESC="Monochromatic 128x48 logo image"
logo_color  "Example SPA color logo" logo               \\
            LONGDESC="Color 320x240 logo image"
"""


def test_simple_record() -> None:
    [t] = parse_phone_types('spa3xx   3   "Example SPA 3xx"   RESYNC=SIPNOTIFY\n')
    assert (t.ident, t.max_lines, t.name, t.options, t.line) == (
        "spa3xx", 3, "Example SPA 3xx", {"RESYNC": "SIPNOTIFY"}, 1)


def test_set_and_unset_block() -> None:
    types = parse_phone_types(SPA_SET)
    assert [t.ident for t in types] == ["spa501g", "spa502g", "spa504g", "spa_generic"]
    for t in types[:3]:
        assert t.options == {"RESYNC": "SIPNOTIFY", "SIPNOTIFY_auth": "digest"}
    assert types[3].options == {}
    assert [t.line for t in types] == [3, 4, 5, 9]
    assert types[1].max_lines == 1 and types[0].name == "Cisco SPA501G"


def test_unset_wildcards_are_case_sensitive_fnmatch() -> None:
    text = (
        "@set RESYNC=SIPNOTIFY SIPNOTIFY_auth=digest SIPNOTIFY_event=x sipnotify_own=1 a=1\n"
        "@unset RESYNC SIPNOTIFY_*\n"
        "one 1 \"One\"\n"
        "@unset *\n"
        "two 1 \"Two\"\n"
    )
    one, two = parse_phone_types(text)
    assert one.options == {"sipnotify_own": "1", "a": "1"}
    assert two.options == {}


def test_yealink_late_expansion_raw_values() -> None:
    t28, t32, t38 = parse_phone_types(YEALINK)
    review = "!tftp:/y0000000000{$model}.cfg tftp:/{$MAC}.cfg"
    assert t28.options == {"model": "00", "REVIEW": review}
    assert t32.options == {"model": "{substr($IDENT, 9)}", "REVIEW": review}
    assert t38.options == t32.options
    assert t28.custom_options() == {"model": "00"}


def test_yealink_review_expands_for_t32_with_plain_model() -> None:
    _, t32, _ = parse_phone_types(YEALINK)
    options = {**t32.options, "model": "32"}  # the plain value the sandbox would compute
    expanded = expand_options(options, {"IDENT": t32.ident, "MAC": "112233445566"})
    assert expanded["REVIEW"] == "!tftp:/y000000000032.cfg tftp:/112233445566.cfg"


def test_record_options_override_set() -> None:
    [t] = parse_phone_types('@set a=1 b=2\nx 1 "X" b=3 c=4\n')
    assert t.options == {"a": "1", "b": "3", "c": "4"}


def test_firmware_slots_with_continuations() -> None:
    bw, color = parse_firmware_types(SLOTS)
    assert (bw.ident, bw.name, bw.kind, bw.line) == ("logo_bw", "Example SPA b/w logo", "logo", 2)
    assert bw.options == {"SCRIPT": "logo", "LONGDESC": "Monochromatic 128x48 logo image"}
    assert color.options == {"SCRIPT": "logo", "LONGDESC": "Color 320x240 logo image"}
    assert color.line == 4 and bw.script == "logo"


def test_firmware_script_defaults_to_ident() -> None:
    [fw] = parse_firmware_types('spa_fw "SPA firmware" firmware\n')
    assert fw.script == "spa_fw" and fw.kind == "firmware"


def test_quoting_escapes_comments_and_continuations() -> None:
    text = (
        "# leading comment\n"
        "   \n"
        'a 2 "Say \\"hi\\" \\\\ c:\\path #x" note="x # y" \\\n'
        "   url=http://h/a#b   # trailing comment\n"
        "b 1 Single empty= \\\n"
        "\\\n"
        "   last=1\n"
    )
    a, b = parse_phone_types(text)
    assert a.name == 'Say "hi" \\ c:\\path #x'
    assert a.options == {"note": "x # y", "url": "http://h/a#b"}
    assert (b.name, b.options, b.line) == ("Single", {"empty": "", "last": "1"}, 5)


def test_crlf_line_endings() -> None:
    [t] = parse_phone_types('x 1 "X" a=1\r\n')
    assert t.options == {"a": "1"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('spa501g 8 "A"\n\n\n\n\n\nspa502g x "Cisco SPA502G"\n',
         "phone_types:7: expected the maximum number of lines (a positive integer up to 1000) "
         "after 'spa502g', found 'x'"),
        ('spa502g 0 "A"\n',
         "phone_types:1: expected the maximum number of lines (a positive integer up to 1000) "
         "after 'spa502g', found '0'"),
        ("spa502g\n",
         "phone_types:1: expected the maximum number of lines (a positive integer up to 1000) "
         "after 'spa502g', found the end of the record"),
        ("spa502g 1\n",
         "phone_types:1: expected the name (in quotes) after 'spa502g 1', found the end of the "
         "record"),
        ('SPA502G 1 "A"\n',
         "phone_types:1: expected an identifier (lowercase letters, digits, '_', '.', '-', "
         "starting with a letter or digit, at most 64 characters) at the start of the record, "
         "found 'SPA502G'"),
        ('a 1 "A"\n   REVIEW="x"\n',
         "phone_types:2: expected an identifier (lowercase letters, digits, '_', '.', '-', "
         "starting with a letter or digit, at most 64 characters) at the start of the record, "
         "found 'REVIEW=\"x\"'; to continue the previous record, end its line with '\\'"),
        ('a 1 "A"\na 2 "B"\n',
         "phone_types:2: duplicate identifier 'a' (first declared on line 1)"),
        ('a 1 "A" stray\n',
         "phone_types:1: expected an option NAME=value after the name, found 'stray'"),
        ('a 1 "A\n',
         "phone_types:1: unterminated quoted string '\"A': expected a closing '\"' on the "
         "same line"),
        ('a 1 "A"b\n',
         "phone_types:1: expected whitespace after the closing quote of \"A\", found 'b'"),
        ('a 1 "A" x=a"b"\n',
         "phone_types:1: unexpected '\"' inside the unquoted value of 'x': quote the whole value"),
        ('a 1 "A" 9x=1\n',
         "phone_types:1: invalid option name '9x' in '9x=1': expected letters, digits and '_', "
         "not starting with a digit"),
        ('a 1 "A" x=1 x=2\n', "phone_types:1: option 'x' is given twice"),
        ('a 1 "A" SIPNOTIFY_auth=md5\n',
         "phone_types:1: expected SIPNOTIFY_auth to be one of none, basic, digest, auto, "
         "found 'md5'"),
        ('a 1 "A" RESYNC=../x\n',
         "phone_types:1: expected RESYNC to be a script name (letters, digits, '_', '.', '-', "
         "starting with a letter or digit), found '../x'"),
        ('a 1 "A" FW=logo,,x\n',
         "phone_types:1: expected FW to be a comma-separated list of firmware slot identifiers, "
         "found 'logo,,x'"),
        ('@set REVIEW="tftp:/{$MAC.cfg"\n',
         "phone_types:1: unterminated expansion starting at column 7 ('{$MAC.cfg'): expected "
         "'}' before the end of the line"),
        ("@include other\n",
         "phone_types:1: unknown directive '@include': expected @set or @unset"),
        ("@set\n", "phone_types:1: expected at least one NAME=value after @set"),
        ("@set a\n", "phone_types:1: expected an option NAME=value after @set, found 'a'"),
        ("@unset\n",
         "phone_types:1: expected at least one option name or pattern after @unset"),
        ("@unset a=1\n",
         "phone_types:1: expected an option name or wildcard pattern after @unset, found 'a=1' "
         "(to change a value use @set)"),
        ('a 1 "A" \\\n',
         "phone_types:1: expected a continuation line after '\\', found the end of the file"),
    ],
)
def test_phone_types_errors(text: str, message: str) -> None:
    with pytest.raises(FormatError) as info:
        parse_phone_types(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('logo "Logo" picture\n',
         "firmware_types:1: expected the slot kind (firmware, logo, other) after the name of "
         "'logo', found 'picture'"),
        ("logo\n",
         "firmware_types:1: expected the name (in quotes) after 'logo', found the end of the "
         "record"),
        ('logo "Logo" logo SCRIPT=a/b\n',
         "firmware_types:1: expected SCRIPT to be a script name (letters, digits, '_', '.', "
         "'-', starting with a letter or digit), found 'a/b'"),
    ],
)
def test_firmware_types_errors(text: str, message: str) -> None:
    with pytest.raises(FormatError) as info:
        parse_firmware_types(text, "firmware_types")
    assert str(info.value) == message


def test_error_attributes() -> None:
    with pytest.raises(FormatError) as info:
        parse_phone_types('ok 1 "A"\nbad x "B"\n', "mod/phone_types")
    assert (info.value.file, info.value.line) == ("mod/phone_types", 2)


def test_collecting_problems_keeps_good_records() -> None:
    problems: list[FormatError] = []
    text = 'a 1 "A"\nb x "B"\nc 1 "C\nd 2 "D" \\\n  e="unterminated\ne 3 "E"\n@bogus\n'
    types = parse_phone_types(text, problems=problems)
    assert [t.ident for t in types] == ["a", "e"]
    assert [p.line for p in problems] == [2, 3, 5, 7]


def test_expansion_values_skip_static_checks() -> None:
    [t] = parse_phone_types('a 1 "A" SIPNOTIFY_auth={$auth} RESYNC={strtoupper($r)}\n')
    assert t.options["SIPNOTIFY_auth"] == "{$auth}"
