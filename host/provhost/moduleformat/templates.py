"""The template compiler and the `{...}` expansion rule, shared by templates and phone_types.

Theory of operation
-------------------
A template is line based.  A line whose first character is ``@`` is PHP code (everything
after the ``@``).  Every other line is an *output line*: its text is written out verbatim,
followed by its newline, except for *expansions*.

The expansion rule (the same everywhere, templates and phone_types option values): braces
hold any PHP expression, as the module contract promises, while braces that are text stay text.

* A ``{`` opens an expansion when what follows it, up to the matching ``}`` on the same line,
  is a PHP expression (decided by a small tokenizer, `_is_php_expression`): it starts with
  no blank, every token is PHP (variables, names, numbers, quoted strings, operators,
  balanced brackets), it has no ``;`` and no ``:`` outside a ternary or ``::`` at its top
  level, and it does something at run time: it reads a variable or calls a function there.
  So ``{$MAC}``, ``{(int) $TIMEZONE_OFFSET}``, ``{$n * 60}``, ``{$a ? 'y' : 'n'}``,
  ``{'x' . $b}`` and ``{strtoupper($IDENT)}`` are expansions, while JSON and other text
  (``{"a": 1}``, ``{"a": "$x"}``, ``{ $x }`` with its blank, ``{1}``, ``{}``) is copied.
* The older, narrower rule still holds as a sufficient condition: a ``{`` followed by ``$``
  and a letter, or by a name and ``(``, always opens an expansion, which must then end on
  the same line (otherwise the template, or value, is malformed).
* It ends at the matching ``}``: braces nest, and PHP strings inside the expression
  ('single' and "double" quoted, with backslash escapes) are skipped, so ``}`` inside a
  string does not end it.
* A literal ``{$`` can be produced with ``{strval('{')}$``.

Compilation maps template line N to PHP line N, so PHP's error line numbers are template
line numbers: each output line becomes one ``echo`` statement on its own line, each
``@`` line is copied as-is.  Output text is emitted as single-quoted PHP literals with
``\\`` and ``'`` escaped (a carriage return is emitted as ``"\\r"`` because PHP would count
a raw one as a line break); nothing in template text can leave the literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from provhost.moduleformat.model import FormatError

_IDENT_START = re.compile(r"[A-Za-z_]")
_CALL_START = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\(")
_SIMPLE_VAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Piece:
    """A run of literal text (`is_expr` False) or the PHP source of one expansion."""

    text: str
    is_expr: bool
    column: int  # 1-based column where the piece starts in its line


def _old_rule(line: str, pos: int) -> bool:
    """``{$name`` or ``{name(``: always an expansion (so a missing ``}`` is an error)."""
    rest = pos + 1
    if line.startswith("$", rest):
        return _IDENT_START.match(line, rest + 1) is not None
    return _CALL_START.match(line, rest) is not None


def starts_expansion(line: str, pos: int) -> bool:
    """Whether the ``{`` at `pos` opens an expansion (see the module docstring)."""
    if line[pos] != "{":
        return False
    if _old_rule(line, pos):
        return True
    try:
        end = _find_end(line, pos)
    except ValueError:
        return False
    return _is_php_expression(line[pos + 1:end])


# One PHP token of an expression: a string, a variable, a name (namespaced), a number, or
# an operator/punctuation (longest first).  Anything else (a blank inside is skipped
# separately; '#', '`', '<<<', a lone '$' ...) means the text is not a PHP expression.
_TOKEN = re.compile(
    r"""(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"|(?P<var>\$[A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)"
    r"|(?P<name>\\?[A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*(?:\\[A-Za-z_][A-Za-z0-9_]*)*)"
    r"|(?P<num>(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?"
    r"|\.[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?))"
    r"|(?P<op>\?\?=|\?->|<=>|\*\*=|\.\.\.|<<=|>>=|===|!==|::|->|=>|\?\?|\+\+|--|&&|\|\|"
    r"|<<|>>|<=|>=|==|!=|<>|\+=|-=|\*=|/=|\.=|%=|&=|\|=|\^=|\*\*|[-+*/%.!~^&|<>=?:;@,()\[\]{}])"
)
_OPEN = {"(": ")", "[": "]", "{": "}"}


def _is_php_expression(text: str) -> bool:
    """A quick, conservative test that `text` is a PHP expression worth evaluating.

    True only when the text tokenizes as PHP, its brackets balance, its top level holds
    no ``;`` and no ``:`` that is not part of a ternary (JSON's ``"key": value`` is not an
    expression), and it reads a variable or calls a function outside nested ``{...}``.
    Inside those (closure bodies) anything goes: PHP itself checks that part when the
    template is compiled.
    """
    if not text or text[0].isspace():
        return False
    stack: list[str] = []
    pending_ternaries = 0  # '?' at the top level still waiting for their ':'
    dynamic = False
    previous = ""
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        in_block = "}" in stack  # inside a closure body: statements, PHP checks them
        m = _TOKEN.match(text, i)
        if m is None:
            if not in_block:
                return False
            i += 1
            continue
        token, kind = m.group(), m.lastgroup
        i = m.end()
        if kind == "op":
            if token in _OPEN:
                if token == "(" and previous in ("name", "var", ")", "]") and not in_block:
                    dynamic = True  # a call: f(...), $f(...), $a['f'](...)
                stack.append(_OPEN[token])
            elif token in (")", "]", "}"):
                if not stack or stack.pop() != token:
                    return False
            elif token == ";" and not in_block:
                return False
            elif not stack:
                if token == "?":
                    pending_ternaries += 1
                elif token == ":":
                    if pending_ternaries == 0:
                        return False
                    pending_ternaries -= 1
            previous = token if token in (")", "]") else "op"
        else:
            if kind == "var" and not in_block:
                dynamic = True
            previous = kind or ""
    if i < len(text) or stack:
        return False
    return dynamic


def _skip_string(line: str, pos: int) -> int:
    """`pos` is at a quote; return the index just after the closing quote, or -1."""
    quote = line[pos]
    i = pos + 1
    while i < len(line):
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch == quote:
            return i + 1
        i += 1
    return -1


def _find_end(line: str, start: int) -> int:
    """`start` is at an expansion's ``{``; return the index of its matching ``}``.

    Raises ValueError with the reason when the expansion does not end on this line.
    """
    depth = 0
    i = start
    while i < len(line):
        ch = line[i]
        if ch in "'\"":
            end = _skip_string(line, i)
            if end < 0:
                raise ValueError(f"a {ch}-quoted string inside it is not closed")
            i = end
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("expected '}' before the end of the line")


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'" r'|"(?:[^"\\]|\\.)*"')


def doubtful_braces(text: str) -> list[tuple[int, str]]:
    """Braces on output lines that are kept as literal text although they name a variable
    outside quotes (`{ $x }`, `{$x + }`...): neither a valid expression nor plainly literal
    text like JSON.  (line, the braces) for `module check`'s warnings."""
    found = []
    for lineno, line, _ in _template_lines(text):
        if line.startswith("@"):
            continue
        pos = line.find("{")
        while pos >= 0:
            try:
                end = _find_end(line, pos)
            except ValueError:
                end = len(line) - 1
            if not starts_expansion(line, pos):
                inner = _QUOTED.sub("", line[pos + 1:end])
                if _SIMPLE_VAR.search(inner):
                    found.append((lineno, line[pos:end + 1]))
            pos = line.find("{", end + 1)
    return found


def split_expansions(line: str, file: str = "<text>", lineno: int | None = None) -> list[Piece]:
    """Split one line into literal pieces and expansion expressions.

    Raises FormatError(file, lineno, ...) for an expansion that does not end.
    """
    pieces: list[Piece] = []
    literal_start = 0
    i = 0
    while i < len(line):
        if line[i] == "{" and starts_expansion(line, i):
            try:
                end = _find_end(line, i)
            except ValueError as exc:  # only the old rule's starts can fail here
                raise FormatError(
                    file, lineno,
                    f"unterminated expansion starting at column {i + 1} "
                    f"({_preview(line[i:])}): {exc}",
                ) from None
            if i > literal_start:
                pieces.append(Piece(line[literal_start:i], False, literal_start + 1))
            pieces.append(Piece(line[i + 1:end], True, i + 1))
            i = literal_start = end + 1
            continue
        i += 1
    if literal_start < len(line):
        pieces.append(Piece(line[literal_start:], False, literal_start + 1))
    return pieces


def has_expansion(text: str) -> bool:
    """True when `text` contains at least one expansion start (it needs late expansion)."""
    return any(starts_expansion(text, m.start()) for m in re.finditer(r"\{", text))


def _preview(text: str, limit: int = 30) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def php_literal(text: str) -> str:
    """A PHP expression for `text` that keeps every byte and never ends a line.

    Single quotes with ``\\`` and ``'`` escaped; CR and LF go into double-quoted escapes so
    the generated PHP has exactly as many lines as the template.
    """
    parts: list[str] = []
    for chunk in re.split(r"([\r\n]+)", text):
        if not chunk:
            continue
        if chunk[0] in "\r\n":
            parts.append('"' + chunk.replace("\r", "\\r").replace("\n", "\\n") + '"')
        else:
            parts.append("'" + chunk.replace("\\", "\\\\").replace("'", "\\'") + "'")
    return " . ".join(parts) if parts else "''"


def _template_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, line without its newline, whether a newline followed)."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        last = index == len(lines) - 1
        if last and line == "":
            return
        yield index + 1, line, not last


def compile_template(text: str, name: str) -> str:
    """Compile template source to PHP source with template line N on PHP line N.

    `name` is used in error messages (e.g. "templates/spa_main.tpl").
    """
    out: list[str] = []
    for lineno, line, newline in _template_lines(text):
        if line.startswith("@"):
            code = line[1:]
        else:
            args = [
                f"({p.text})" if p.is_expr else php_literal(p.text)
                for p in split_expansions(line, name, lineno)
            ]
            if newline:
                args.append('"\\n"')
            code = f"echo {', '.join(args)};" if args else ""
        out.append(code)
    # Every line gets "\n" back, including the last one; "<?php " opens line 1.
    return "<?php " + "\n".join(out) + "\n"


def compile_expression_string(text: str, file: str = "<value>", line: int | None = None) -> str:
    """One PHP expression producing `text` with its expansions evaluated.

    E.g. ``!tftp:/y0000000000{$model}.cfg`` -> ``'!tftp:/y0000000000' . ($model) . '.cfg'``.
    """
    parts: list[str] = []
    for piece_line_no, piece_line in enumerate(text.split("\n")):
        if piece_line_no:
            parts.append('"\\n"')
        for p in split_expansions(piece_line, file, line):
            parts.append(f"({p.text})" if p.is_expr else php_literal(p.text))
    return " . ".join(parts) if parts else "''"


class ExpansionError(Exception):
    """Python-side expansion could not evaluate a value (not a plain `{$name}`, undefined
    variable, circular reference).  The message says which."""


def php_string(value: Any) -> str:
    """How PHP's string conversion renders a scalar (true -> "1", false/null -> "")."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    return str(value)


def expand_simple(text: str, variables: Mapping[str, Any]) -> str:
    """Expand plain ``{$name}`` references in `text`; anything else is an ExpansionError.

    A Python fallback for the common case; general PHP expressions need the sandbox.
    """
    try:
        pieces = split_expansions(text)
    except FormatError as exc:
        raise ExpansionError(exc.message) from None
    out: list[str] = []
    for p in pieces:
        if not p.is_expr:
            out.append(p.text)
            continue
        match = _SIMPLE_VAR.fullmatch(p.text)
        if match is None:
            raise ExpansionError(
                f"{{{p.text}}} is not a plain variable reference; only {{$name}} can be "
                "expanded without PHP"
            )
        var = match.group(1)
        if var not in variables:
            raise ExpansionError(f"undefined variable ${var} in {{{p.text}}}")
        out.append(php_string(variables[var]))
    return "".join(out)


MAX_EXPANSION_PASSES = 8


def expand_options(options: Mapping[str, str], base_vars: Mapping[str, Any]) -> dict[str, str]:
    """Late expansion of one phone type's options, by fixpoint.

    Every pass expands each option's RAW text with the previous pass's values (the implicit
    variables in `base_vars`, e.g. IDENT and MAC, win over options of the same name), so a
    value may use options defined anywhere.  Stops when a pass changes nothing; a chain that
    has not settled after MAX_EXPANSION_PASSES passes is a circular reference.
    """
    current: dict[str, str] = dict(options)
    for _ in range(MAX_EXPANSION_PASSES):
        env: dict[str, Any] = {**current, **base_vars}
        nxt = {name: expand_simple(raw, env) for name, raw in options.items()}
        if nxt == current:
            return nxt
        changed = sorted(k for k in nxt if nxt[k] != current[k])
        current = nxt
    raise ExpansionError(
        "circular reference among options: " + ", ".join(changed)
        + f" (still changing after {MAX_EXPANSION_PASSES} passes)"
    )


def compile_template_bytes(source: bytes, name: str) -> bytes:
    """Compile template bytes of any encoding: non-UTF-8 bytes pass through unchanged
    (phones often want Latin-1 configs), via surrogateescape."""
    text = source.decode("utf-8", errors="surrogateescape")
    return compile_template(text, name).encode("utf-8", errors="surrogateescape")
