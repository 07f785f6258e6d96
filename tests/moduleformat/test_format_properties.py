"""Property tests: the parsers only ever fail with FormatError, and compiled templates render
arbitrary text back byte for byte (checked with real PHP, many cases per PHP process)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from provhost.moduleformat.model import FormatError
from provhost.moduleformat.templates import compile_template, has_expansion, php_literal
from provhost.moduleformat.types_file import parse_firmware_types, parse_phone_types

from .helpers import render_many

SYNTAX = [*list('@#"\\= \t\n{}$()\''), "@set ", "@unset ", "a=", "1 ", '"x" ', "\\\n", "*"]
syntaxy_text = st.lists(
    st.one_of(st.sampled_from(SYNTAX), st.text(max_size=4)), max_size=40
).map("".join)

# Printable-ish text of one line: anything but a newline (and surrogates, which are not text).
line_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=30
) | st.lists(st.sampled_from(list("{}$'\"\\?<>php@\r\t ")), max_size=20).map("".join)

ident = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,10}", fullmatch=True)
opt_name = st.from_regex(r"[a-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
opt_value = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"),
    max_size=12,
)
SLOW = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=300, deadline=None)
@given(syntaxy_text)
def test_types_parsers_only_raise_format_errors(text: str) -> None:
    for parse in (parse_phone_types, parse_firmware_types):
        try:
            parse(text)
        except FormatError as exc:
            assert exc.line is None or 1 <= exc.line <= text.count("\n") + 1
        problems: list[FormatError] = []
        parse(text, problems=problems)  # collecting mode never raises


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@settings(max_examples=200, deadline=None)
@given(st.lists(
    st.tuples(st.integers(1, 1000), opt_value.filter(lambda v: v.strip() != ""),
              st.dictionaries(opt_name, opt_value, max_size=4), st.booleans()),
    max_size=6,
), st.data())
def test_phone_types_round_trip(records: list, data: st.DataObject) -> None:
    idents = data.draw(st.lists(ident, min_size=len(records), max_size=len(records),
                                unique=True))
    lines = []
    for name_ident, (count, name, options, wrap) in zip(idents, records, strict=True):
        opts = " ".join(f"{k}={quote(v)}" for k, v in options.items())
        sep = " \\\n   " if wrap else " "
        lines.append(f"{name_ident} {count} {quote(name)}{sep}{opts}  # comment")
    parsed = parse_phone_types("\n".join(lines) + "\n")
    assert [(t.ident, t.max_lines, t.name, t.options) for t in parsed] == [
        (i, c, n, o) for i, (c, n, o, _) in zip(idents, records, strict=True)
    ]


@settings(max_examples=500, deadline=None)
@given(st.lists(line_text, max_size=8).map("\n".join))
def test_compiler_only_raises_format_errors(text: str) -> None:
    try:
        php = compile_template(text, "t")
    except FormatError as exc:
        assert exc.file == "t" and exc.line is not None
    else:
        # one PHP line per template line (a final newline does not start another line)
        assert php.count("\n") == len(text.removesuffix("\n").split("\n"))


def plain_line(line: str) -> bool:
    return not line.startswith("@") and not has_expansion(line)


@SLOW
@given(st.lists(st.lists(line_text.filter(plain_line), max_size=6).map("\n".join),
                min_size=20, max_size=40),
       st.booleans())
def test_plain_text_renders_back_verbatim(templates: list[str], final_newline: bool) -> None:
    templates = [t + "\n" if final_newline else t for t in templates]
    with tempfile.TemporaryDirectory() as tmp:
        outputs = render_many(Path(tmp), [compile_template(t, "t") for t in templates])
    assert outputs == [t.encode("utf-8") for t in templates]


@SLOW
@given(st.lists(st.lists(st.one_of(
    line_text.filter(lambda s: not has_expansion(s) and not s.endswith(("{", "{strval"))),
    st.builds(lambda s: ("expr", s), line_text),
), max_size=6), min_size=20, max_size=40))
def test_expansions_of_string_expressions_render_their_value(cases: list[list]) -> None:
    # Each ("expr", s) becomes {strval('<s escaped>')}: braces and quotes inside the PHP
    # string must not end the expansion early, and must come out as s.
    templates, expected = [], []
    for parts in cases:
        source, want = [], []
        for part in parts:
            if isinstance(part, tuple):
                source.append("{strval(" + php_literal(part[1]) + ")}")
                want.append(part[1])
            else:
                source.append(part)
                want.append(part)
        text = "".join(source)
        if text.startswith("@") or has_expansion("".join(want)):
            continue
        templates.append(text + "\n")
        expected.append(("".join(want) + "\n").encode())
    with tempfile.TemporaryDirectory() as tmp:
        outputs = render_many(Path(tmp), [compile_template(t, "t") for t in templates])
    assert outputs == expected
