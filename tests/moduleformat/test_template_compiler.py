"""The template compiler, checked by running the generated PHP with real PHP 8.2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from provhost.moduleformat.model import FormatError
from provhost.moduleformat.templates import (
    ExpansionError,
    compile_expression_string,
    compile_template,
    compile_template_bytes,
    expand_options,
    expand_simple,
    split_expansions,
)

from .helpers import render_many, run_php

PRELUDE = (
    "$LINES = [['TELNUM' => '10', 'SIP_USERNAME' => '10p1'], "
    "['TELNUM' => '11', 'SIP_USERNAME' => '11p1']]; $VOICEMAIL_EXT = '50'; "
    "$OPERATOR_IP = '10.0.0.1'; $logoPath = '/prov/x/logo.bmp'; $DISPLAY_LOGO = true; "
    "$PHONE_LABEL = 'desk';"
)


def render(tmp_path: Path, template: str) -> str:
    [out] = render_many(tmp_path, [compile_template(template, "t.tpl")], PRELUDE)
    return out.decode()


def test_line_n_is_php_line_n() -> None:
    template = "a\n@ $x = 1;\nb {$x}\n\n@}\nlast"
    php = compile_template(template, "t")
    assert php.startswith("<?php ")
    assert php.count("\n") == template.count("\n") + 1


def test_loop_over_lines(tmp_path: Path) -> None:
    template = (
        "@ foreach ($LINES as $line) {\n"
        "We have a line with number {$line['TELNUM']}.\n"
        "@ }\n"
    )
    assert render(tmp_path, template) == (
        "We have a line with number 10.\nWe have a line with number 11.\n"
    )


def test_conditionals_and_function_calls(tmp_path: Path) -> None:
    template = (
        "voicemail_ext = {$VOICEMAIL_EXT}\n"
        "@ if ($DISPLAY_LOGO && $logoPath) {\n"
        "  <BMP>tftp://{$OPERATOR_IP}{$logoPath}</BMP>\n"
        "@ } else {\n"
        "  no logo\n"
        "@ }\n"
        "label={strtoupper($PHONE_LABEL)}"
    )
    assert render(tmp_path, template) == (
        "voicemail_ext = 50\n  <BMP>tftp://10.0.0.1/prov/x/logo.bmp</BMP>\nlabel=DESK"
    )


def test_nested_braces_and_strings_in_expansions(tmp_path: Path) -> None:
    template = (
        "a={implode('}', ['x', 'y'])} b={strval(\"q}{\" . $VOICEMAIL_EXT)} e={\"x\"}\n"
        "c={$LINES[0]['TELNUM']}{count(array_filter([1, 2], function ($v) { return $v > 1; }))}\n"
        "d={str_replace('\\'', '\"', \"it's\")}\n"
    )
    assert render(tmp_path, template) == "a=x}y b=q}{50 e={\"x\"}\nc=101\nd=it\"s\n"


def test_literal_braces_php_tags_quotes_and_backslashes(tmp_path: Path) -> None:
    template = (
        '{"json": {"a": [1, 2]}} { $notexpanded } {$} {1} {}\n'
        "<?php echo 'pwned'; ?> ?> <?= 1 ?>\n"
        "it's a \\ backslash \\\\ and a quote ' and \\'\n"
        "tab\there, CR at end\r\n"
        "  @ not code because the @ is not first\n"
    )
    assert render(tmp_path, template) == template


def test_latin1_bytes_pass_through(tmp_path: Path) -> None:
    source = "caf\xe9 {$VOICEMAIL_EXT}\n".encode("latin-1")
    compiled = compile_template_bytes(source, "t").decode("utf-8", errors="surrogateescape")
    [out] = render_many(tmp_path, [compiled], PRELUDE)
    assert out == "caf\xe9 50\n".encode("latin-1")


def test_php_parse_error_reports_template_line(tmp_path: Path) -> None:
    template = "line one\nline two {$VOICEMAIL_EXT}\n@ if (true) {\n@ $a = ;\n@ }\n"
    path = tmp_path / "t.php"
    path.write_text(compile_template(template, "t"))
    result = run_php(path)
    assert result.returncode != 0
    assert re.search(r"syntax error.* on line 4\b", result.stderr), result.stderr


def test_php_runtime_error_reports_template_line(tmp_path: Path) -> None:
    template = "a\nb\nc\nd\nvalue {intdiv(1, 0)}\n"
    path = tmp_path / "t.php"
    path.write_text(compile_template(template, "t"))
    result = run_php(path)
    assert result.returncode != 0
    assert "DivisionByZeroError" in result.stderr
    assert re.search(r"t\.php:5\b|on line 5\b", result.stderr), result.stderr


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("ok\nbad {$x\n",
         "t.tpl:2: unterminated expansion starting at column 5 ('{$x'): expected '}' before "
         "the end of the line"),
        ("{strtoupper('abc)}\n",
         "t.tpl:1: unterminated expansion starting at column 1 (\"{strtoupper('abc)}\"): a "
         "'-quoted string inside it is not closed"),
        ("x {f({$a}\n",
         "t.tpl:1: unterminated expansion starting at column 3 ('{f({$a}'): expected '}' "
         "before the end of the line"),
    ],
)
def test_unterminated_expansions(template: str, message: str) -> None:
    with pytest.raises(FormatError) as info:
        compile_template(template, "t.tpl")
    assert str(info.value) == message


def test_at_lines_are_never_expanded() -> None:
    assert compile_template("@ $a = '{$unterminated';", "t") == "<?php  $a = '{$unterminated';\n"


def test_split_expansions_rule() -> None:
    # `{g (1)}` is a PHP call with a blank before its parenthesis: an expansion since the
    # rule accepts any PHP expression (it used to be text); a leading blank keeps `{ $x}` text
    pieces = split_expansions("a{$b}c{f(1)}{ $x}{g (1)}{$}")
    assert [(p.text, p.is_expr, p.column) for p in pieces] == [
        ("a", False, 1), ("$b", True, 2), ("c", False, 6), ("f(1)", True, 7),
        ("{ $x}", False, 13), ("g (1)", True, 18), ("{$}", False, 25),
    ]


def test_braces_hold_any_php_expression(tmp_path: Path) -> None:
    """Casts, arithmetic, ternaries, string literals, unary operators and parentheses
    expand, as the module contract promises; JSON and other text beside them stays text."""
    template = (
        "$TZ = 3600; $N = 2; $S = 'ab';\n"
        "gmt={(int) $TZ} min={$TZ / 60} h={(string) ($TZ / 3600)}\n"
        "t={$N > 1 ? 'many' : 'one'} e={$missing ?? 'none'} f={$N ?: 0}\n"
        "c={'<' . $S . '>'} d={\"x{$S}\"} n={-$N} b={!$N ? 'no' : 'yes'} p={($N + 1) * 2}\n"
        '{"json": {"a": [1, 2]}, "tz": {(int) $TZ}} {"v": "$S"} {"k": $S} {1} {"x"} {}\n'
        "{ $N } {$} {PHP_EOL} k={strtoupper($S)}{count([1, 2, 3])}\n"
    )
    lines = template.split("\n", 1)
    template = "@ " + lines[0] + "\n" + lines[1]
    assert render(tmp_path, template) == (
        "gmt=3600 min=60 h=1\n"
        "t=many e=none f=2\n"
        "c=<ab> d={\"xab\"} n=-2 b=yes p=6\n"  # a string alone stays text

        '{"json": {"a": [1, 2]}, "tz": 3600} {"v": "$S"} {"k": $S} {1} {"x"} {}\n'
        "{ $N } {$} {PHP_EOL} k=AB3\n"
    )


@pytest.mark.parametrize(
    ("text", "expr"),
    [
        ("(int) $TIMEZONE_OFFSET", True), ("$a * 60", True), ("'x' . $b", True),
        ("($a + 1) * 2", True), ("-$x", True), ("$a ? 'y' : 'n'", True),
        ("f($a, b: 2)", True), ("$a::B", True), ("new \\DateTime()", True),
        ('"json": 1', False), ('"a": [1, 2]', False), ('"k": $v', False), ("1", False),
        ('"x"', False), ("", False), (" $x", False), ("$", False), ("PHP_EOL", False),
        ("1; $b", False), ("(int) {strval(1)}", False), ("a: b", False), ("# $x", False),
    ],
)
def test_expression_heuristic(text: str, expr: bool) -> None:
    piece = split_expansions("{" + text + "}")[0]
    assert piece.is_expr is expr
    if expr:
        assert piece.text == text
    else:
        assert ("{" + text + "}").startswith(piece.text) and piece.text.startswith("{")


def test_bundled_polycom_gmt_offset_is_evaluated(tmp_path: Path) -> None:
    """The bug that motivated the rule: the Polycom template's cast used to come out as text."""
    line = '  <tcpIpApp tcpIpApp.sntp.gmtOffset="{(int) $TIMEZONE_OFFSET}"/>\n'
    out = render(tmp_path, "@ $TIMEZONE_OFFSET = '-18000';\n" + line)
    assert out == '  <tcpIpApp tcpIpApp.sntp.gmtOffset="-18000"/>\n'


def test_expression_strings(tmp_path: Path) -> None:
    expr = compile_expression_string("!tftp:/y0000000000{$model}.cfg")
    assert expr == "'!tftp:/y0000000000' . ($model) . '.cfg'"
    assert compile_expression_string("plain 'q' \\") == "'plain \\'q\\' \\\\'"
    assert compile_expression_string("") == "''"
    script = tmp_path / "e.php"
    script.write_text(
        "<?php $IDENT = 'yealink_t32'; $MAC = '112233445566';\n"
        f"$model = {compile_expression_string('{substr($IDENT, 9)}')};\n"
        f"echo {compile_expression_string('!tftp:/y0000000000{$model}.cfg tftp:/{$MAC}.cfg')};\n"
    )
    result = run_php(script)
    assert result.stdout == "!tftp:/y000000000032.cfg tftp:/112233445566.cfg", result.stderr


def test_expression_string_error_names_place() -> None:
    with pytest.raises(FormatError) as info:
        compile_expression_string("x{$a", "phone_types", 3)
    assert str(info.value).startswith("phone_types:3: unterminated expansion")


def test_expand_simple() -> None:
    assert expand_simple("tftp:/{$MAC}.cfg {x}", {"MAC": "1122", "x": 1}) == "tftp:/1122.cfg {x}"
    assert expand_simple("{$t}{$f}{$n}", {"t": True, "f": False, "n": None}) == "1"
    with pytest.raises(ExpansionError, match=r"not a plain variable reference"):
        expand_simple("{strtoupper($IDENT)}", {"IDENT": "a"})
    with pytest.raises(ExpansionError, match=r"undefined variable \$nope"):
        expand_simple("{$nope}", {})


def test_expand_options_fixpoint() -> None:
    options = {"c": "{$b}/{$IDENT}", "b": "{$a}-b", "a": "A", "plain": "{ not }"}
    out = expand_options(options, {"IDENT": "t1"})
    assert out == {"c": "A-b/t1", "b": "A-b", "a": "A", "plain": "{ not }"}


def test_implicit_variables_win_over_options() -> None:
    assert expand_options({"IDENT": "fake", "x": "{$IDENT}"}, {"IDENT": "real"})["x"] == "real"


def test_values_are_not_expanded_twice() -> None:
    out = expand_options({"a": "{$b}", "b": "{$MAC}"}, {"MAC": "{$a}"})
    assert out == {"a": "{$a}", "b": "{$a}"}


@pytest.mark.parametrize("options", [
    {"a": "{$b}", "b": "{$a}"},
    {"a": "x{$a}"},
])
def test_circular_reference(options: dict[str, str]) -> None:
    with pytest.raises(ExpansionError, match=r"circular reference among options: a"):
        expand_options(options, {})


def test_module_check_names_braces_that_are_neither_expression_nor_literal(tmp_path):
    from provhost.moduleformat.loader import check_module

    (tmp_path / "providers").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "info").write_text("id = b\nname = B\nversion = 1\n")
    (tmp_path / "phone_types").write_text('t 1 "T"\n')
    (tmp_path / "providers/p.php").write_text("<?php sendTemplate('t');\n")
    (tmp_path / "templates/t.tpl").write_text(
        '{"json": {"nested": 1}}\nok={(int) $X + 1}\nodd={ $VOICEMAIL_EXT }\n'
        '@ $x = 1;\nquoted={"v": "$x"}\n')
    problems = [str(p) for p in check_module(tmp_path)]
    assert problems == ["templates/t.tpl:3: warning: { $VOICEMAIL_EXT } names a variable but "
                        "is kept as literal text: it is not a PHP expression (a blank after "
                        "'{', an unbalanced bracket?); write {$name} or {expression}"]
