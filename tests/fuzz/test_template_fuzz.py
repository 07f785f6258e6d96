"""Fuzzing the template compiler and the `{...}` expansion rule.

Properties: any template text compiles or raises FormatError on one of its lines; template
line N stays PHP line N; literal text can never leave its PHP string literal (checked by
decoding the generated literals back in Python, exactly); expansion splitting loses no
character; late option expansion fails only with ExpansionError."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st
from provhost.moduleformat.model import FormatError
from provhost.moduleformat.templates import (
    ExpansionError,
    compile_template,
    compile_template_bytes,
    expand_options,
    php_literal,
    split_expansions,
    starts_expansion,
)

from .conftest import FUZZ

_bits = st.sampled_from([
    "{$MAC}", "{$line['TELNUM']}", "{strtoupper($IDENT)}", "{$", "{", "}", "{{$x}}", "{ $x }",
    '{"a": 1}', "{f(')')}", '{f("}")}', "{f('\\'}')}", "{$a['", "'", '"', "\\", "\\'", "$x",
    "<?php", "?>", "@", "@ if (1) {", "\r", "\r\n", "\n", "\t", "\x00", "é", "\udcff", " ",
    "*/", "/*", "//", "#", "<<<EOT", "${x}", "{$x->y}", "{(1)}",
])
templateish = st.lists(st.one_of(_bits, st.text(max_size=4)), max_size=50).map("".join)

_LITERAL = re.compile(r"""'((?:[^'\\]|\\.)*)'|"((?:\\[rn])*)"|(\s*\.\s*)""", re.S)


def _decode_php_literal(code: str) -> str:
    """Evaluate the `php_literal` subset exactly as PHP would (single-quoted strings with
    \\\\ and \\' escapes, double-quoted runs of \\r/\\n, joined with '.')."""
    out, pos = [], 0
    while pos < len(code):
        m = _LITERAL.match(code, pos)
        assert m and m.end() > pos, f"not a literal at {pos}: {code[pos:pos + 20]!r}"
        if m.group(1) is not None:
            out.append(re.sub(r"\\([\\'])", r"\1", m.group(1)))
        elif m.group(2) is not None:
            out.append(m.group(2).replace("\\r", "\r").replace("\\n", "\n"))
        pos = m.end()
    return "".join(out)


@FUZZ
@given(templateish)
@example("a\rb\n@x\n{$MAC")
@example("{$a['}']}")
def test_compile_any_text(text: str) -> None:
    lines = text.split("\n")
    try:
        php = compile_template(text, "templates/fuzz.tpl")
    except FormatError as exc:
        assert exc.file == "templates/fuzz.tpl" and exc.line is not None
        assert 1 <= exc.line <= len(lines)
        assert not lines[exc.line - 1].startswith("@")  # PHP lines are never parsed
        return
    assert php.startswith("<?php ")
    body = php[len("<?php "):].split("\n")
    expected = max(1, len(lines) - (1 if lines[-1] == "" else 0))  # "<?php " is line 1
    assert body[-1] == "" and len(body) - 1 == expected  # template line N is PHP line N
    for source, code in zip(lines, body, strict=False):
        if source.startswith("@"):
            assert code == source[1:]
        else:
            assert "\r" not in code  # PHP would count a raw CR as a line break


@FUZZ
@given(st.text(max_size=60))
@example("'\\'\\\\")
@example("a\r\n\rb")
def test_literal_text_survives_byte_for_byte(text: str) -> None:
    assert _decode_php_literal(php_literal(text)) == text


@FUZZ
@given(st.lists(st.text(st.characters(blacklist_characters="\n{"), max_size=20), max_size=6))
def test_plain_lines_echo_exactly_their_text(lines: list[str]) -> None:
    """No expansion in the text: each compiled line is `echo <literals>, "\\n";` and the
    literals decode to the line itself, whatever quotes or backslashes it holds."""
    lines = [x for x in lines if not x.startswith("@")]
    php = compile_template("\n".join(lines) + "\n", "t.tpl")
    for line, code in zip(lines, php[len("<?php "):].split("\n"), strict=False):
        if not line:
            assert code == 'echo "\\n";'
            continue
        assert code.startswith("echo ") and code.endswith(', "\\n";')
        assert _decode_php_literal(code[len("echo "):-len(', "\\n";')]) == line


@FUZZ
@given(templateish.map(lambda t: t.replace("\n", " ")))
def test_splitting_loses_no_character(line: str) -> None:
    try:
        pieces = split_expansions(line, "f", 1)
    except FormatError as exc:
        assert exc.line == 1 and exc.message
        return
    rebuilt = "".join("{" + p.text + "}" if p.is_expr else p.text for p in pieces)
    assert rebuilt == line
    for p in pieces:
        assert 1 <= p.column <= max(1, len(line))
        if p.is_expr:
            assert starts_expansion(line, p.column - 1)


@FUZZ
@given(templateish.map(lambda t: t.encode("utf-8", "surrogateescape")) | st.binary(max_size=80))
def test_compile_any_bytes(source: bytes) -> None:
    """Latin-1 and broken UTF-8 pass through; only FormatError may come out."""
    try:
        compiled = compile_template_bytes(source, "t.tpl")
    except FormatError:
        return
    assert isinstance(compiled, bytes)


_opt_names = st.sampled_from(["a", "b", "c", "IDENT", "MAC", "model"])
_opt_values = st.lists(st.sampled_from(
    ["{$a}", "{$b}", "{$c}", "{$IDENT}", "{$MAC}", "{$model}", "{$nope}", "{f($a)}", "{$", "x",
     "{", "}", " "]), max_size=5).map("".join)


@FUZZ
@given(st.dictionaries(_opt_names, _opt_values, max_size=5))
@example({"a": "{$b}", "b": "{$a}x"})  # circular, growing
@example({"a": "{$b}", "b": "{$a}"})  # circular, stable: settles to a fixpoint
def test_option_expansion_only_raises_expansion_error(options: dict[str, str]) -> None:
    base = {"IDENT": "spa504g", "MAC": "0004f2abcdef"}
    try:
        out = expand_options(options, base)
    except ExpansionError as exc:
        assert str(exc)
        return
    assert set(out) == set(options)
    for name, value in out.items():
        if "{" not in options[name]:
            assert value == options[name]
