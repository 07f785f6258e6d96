"""One parser for phone_types and firmware_types: same syntax, different columns.

Rules of the syntax
-------------------
* A file is a sequence of *records*, one per line.  A ``\\`` that is the last non-blank
  character of a line (outside quotes and comments) joins the next line to the record.
* ``#`` starts a comment when it begins a token (start of line or after whitespace) outside
  quotes; it runs to the end of that physical line.  Blank lines are ignored.
* Tokens are separated by whitespace:
  - a *word*: unquoted text up to whitespace (no ``"`` and no ``=`` inside);
  - a *quoted string*: ``"..."`` on one line; ``\\"`` and ``\\\\`` are escapes, any other
    backslash is kept as written;
  - an *option* ``NAME=value`` where the value is a word (possibly empty) or a quoted string.
    NAME follows PHP's identifier rule because options become PHP variables.
* phone_types record:    ``ident max_lines name OPTION...``
  firmware_types record: ``ident name kind OPTION...`` (kind: firmware, logo or other).
  The name is usually quoted; a single word may be left unquoted.
* ``@set NAME=value...`` sets options for every following record until changed;
  ``@unset PATTERN...`` removes them (fnmatch wildcards, case-sensitive: ``@unset *``).
  A record's own options override @set ones.  Values stay raw: ``{...}`` expansions are
  evaluated late, per phone type (see provhost.templates).

Theory of operation: `_records` turns text into logical records of tokens (lexing,
continuations, comments); `_Parser` applies directives and builds the typed records.
Every error is a FormatError naming the file, the physical line and what was expected.
When a `problems` list is passed, errors are collected and the bad record skipped, so
`provhost module check` can report all of them at once.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass

from provhost.moduleformat.model import (
    FIRMWARE_KINDS,
    FirmwareType,
    FormatError,
    PhoneType,
)
from provhost.moduleformat.names import IDENT_MAX, is_identifier, is_option_name, is_script_name
from provhost.moduleformat.templates import has_expansion, split_expansions

MAX_LINES_LIMIT = 1000  # no phone has more; a bigger number is a typo
SIPNOTIFY_AUTH_VALUES = ("none", "basic", "digest", "auto")
_PATTERN_RE = re.compile(r"[A-Za-z0-9_*?\[\]!]+")


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "quoted" or "option"
    text: str  # word text / quoted string value / option value
    raw: str  # as written, for messages
    line: int
    name: str = ""  # option name


@dataclass(frozen=True)
class Record:
    tokens: list[Token]
    line: int  # first physical line


class _LexError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _continuation_at(line: str, pos: int) -> bool:
    """A backslash at `pos` followed only by blanks continues the record."""
    return line[pos] == "\\" and line[pos + 1:].strip() == ""


def _lex_quoted(line: str, pos: int, lineno: int) -> tuple[str, int]:
    """`pos` is at an opening quote; return (value, index after the closing quote)."""
    out: list[str] = []
    i = pos + 1
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] in '"\\':
            out.append(line[i + 1])
            i += 2
            continue
        if ch == '"':
            end = i + 1
            if end < len(line) and not line[end].isspace():
                raise _LexError(
                    lineno,
                    f"expected whitespace after the closing quote of {line[pos:end]}, "
                    f"found {line[end]!r}",
                )
            return "".join(out), end
        out.append(ch)
        i += 1
    raise _LexError(
        lineno,
        f"unterminated quoted string {_short(line[pos:])}: expected a closing '\"' on the "
        "same line",
    )


def _short(text: str, limit: int = 40) -> str:
    text = text.rstrip()
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _lex_line(line: str, lineno: int, tokens: list[Token]) -> bool:
    """Append the tokens of one physical line; return True when the record continues."""
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "#":
            return False
        if _continuation_at(line, i):
            return True
        if ch == '"':
            value, end = _lex_quoted(line, i, lineno)
            tokens.append(Token("quoted", value, line[i:end], lineno))
            i = end
            continue
        # a word or NAME=value
        start = i
        while i < n and not line[i].isspace() and line[i] not in '="':
            if _continuation_at(line, i):
                break
            i += 1
        head = line[start:i]
        if i < n and line[i] == '"':
            raise _LexError(lineno, f"unexpected '\"' after {head!r}: quote the whole value")
        if i < n and line[i] == "=":
            name = head
            i += 1
            if i < n and line[i] == '"':
                value, end = _lex_quoted(line, i, lineno)
                raw = line[start:end]
                i = end
            else:
                vstart = i
                while i < n and not line[i].isspace():
                    if line[i] == '"':
                        raise _LexError(
                            lineno,
                            f"unexpected '\"' inside the unquoted value of {name!r}: quote "
                            "the whole value",
                        )
                    if _continuation_at(line, i):
                        break
                    i += 1
                value = line[vstart:i]
                raw = line[start:i]
            tokens.append(Token("option", value, raw, lineno, name=name))
            continue
        tokens.append(Token("word", head, head, lineno))
    return False


def _records(text: str, problems: list[FormatError] | None, filename: str) -> Iterator[Record]:
    """Logical records (continuations joined, comments and blank lines dropped)."""
    tokens: list[Token] = []
    first = 0
    skipping = False  # a lex error happened inside the current record
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline does not start another line
    continued = False
    for index, line in enumerate(lines):
        lineno = index + 1
        if not continued:
            tokens, first, skipping = [], lineno, False
        if line.endswith("\r"):
            line = line[:-1]
        try:
            continued = _lex_line(line, lineno, tokens) if not skipping else _skip_line(line)
        except _LexError as exc:
            err = FormatError(filename, exc.line, exc.message)
            if problems is None:
                raise err from None
            problems.append(err)
            skipping = True
            continued = _skip_line(line)
        if not continued and tokens and not skipping:
            yield Record(tokens, first)
    if continued:
        err = FormatError(
            filename, len(lines),
            "expected a continuation line after '\\', found the end of the file",
        )
        if problems is None:
            raise err
        problems.append(err)


def _skip_line(line: str) -> bool:
    """After an error: does this line still continue the (broken) record?"""
    return line.rstrip().endswith("\\")


def _found(token: Token | None) -> str:
    if token is None:
        return "the end of the record"
    return repr(token.raw)


class _Parser:
    def __init__(self, filename: str, problems: list[FormatError] | None):
        self.filename = filename
        self.problems = problems
        self.defaults: dict[str, str] = {}
        self.seen: dict[str, int] = {}

    def error(self, line: int, message: str) -> FormatError:
        return FormatError(self.filename, line, message)

    def run(self, text: str, build) -> list:  # build: Record -> PhoneType | FirmwareType
        out = []
        for record in _records(text, self.problems, self.filename):
            try:
                first = record.tokens[0]
                if first.kind == "word" and first.text.startswith("@"):
                    self.directive(record)
                    continue
                item = build(record)
                if item.ident in self.seen:
                    raise self.error(
                        record.line,
                        f"duplicate identifier {item.ident!r} (first declared on line "
                        f"{self.seen[item.ident]})",
                    )
                self.seen[item.ident] = record.line
                out.append(item)
            except FormatError as exc:
                if self.problems is None:
                    raise
                self.problems.append(exc)
        return out

    # -- directives -------------------------------------------------------------------

    def directive(self, record: Record) -> None:
        head, args = record.tokens[0], record.tokens[1:]
        if head.text == "@set":
            if not args:
                raise self.error(head.line, "expected at least one NAME=value after @set")
            new = self.options(args, "@set")
            self.defaults.update(new)
        elif head.text == "@unset":
            if not args:
                raise self.error(
                    head.line, "expected at least one option name or pattern after @unset"
                )
            patterns = []
            for tok in args:
                if tok.kind != "word" or not _PATTERN_RE.fullmatch(tok.text):
                    hint = " (to change a value use @set)" if tok.kind == "option" else ""
                    raise self.error(
                        tok.line,
                        f"expected an option name or wildcard pattern after @unset, found "
                        f"{tok.raw!r}{hint}",
                    )
                patterns.append(tok.text)
            self.defaults = {
                k: v for k, v in self.defaults.items()
                if not any(fnmatch.fnmatchcase(k, p) for p in patterns)
            }
        else:
            raise self.error(
                head.line, f"unknown directive {head.text!r}: expected @set or @unset"
            )

    # -- options ----------------------------------------------------------------------

    def options(self, tokens: list[Token], after: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for tok in tokens:
            if tok.kind != "option":
                raise self.error(
                    tok.line, f"expected an option NAME=value after {after}, found {tok.raw!r}"
                )
            if not is_option_name(tok.name):
                raise self.error(
                    tok.line,
                    f"invalid option name {tok.name!r} in {tok.raw!r}: expected letters, "
                    "digits and '_', not starting with a digit",
                )
            if tok.name in found:
                raise self.error(tok.line, f"option {tok.name!r} is given twice")
            self.check_value(tok)
            found[tok.name] = tok.text
        return found

    def check_value(self, tok: Token) -> None:
        """Static checks on known options whose value is plain (no late expansion)."""
        name, value = tok.name, tok.text
        if has_expansion(value):
            split_expansions(value, self.filename, tok.line)  # expansions must be closed
            return
        if name == "SIPNOTIFY_auth" and value not in SIPNOTIFY_AUTH_VALUES:
            raise self.error(
                tok.line,
                f"expected SIPNOTIFY_auth to be one of {', '.join(SIPNOTIFY_AUTH_VALUES)}, "
                f"found {value!r}",
            )
        if name in ("RESYNC", "DIALPLAN_TYPE", "SCRIPT") and not is_script_name(value):
            raise self.error(
                tok.line,
                f"expected {name} to be a script name (letters, digits, '_', '.', '-', "
                f"starting with a letter or digit), found {value!r}",
            )
        if name == "FW":
            for slot in value.split(","):
                if not is_identifier(slot.strip()):
                    raise self.error(
                        tok.line,
                        f"expected FW to be a comma-separated list of firmware slot "
                        f"identifiers, found {value!r}",
                    )

    def ident(self, tok: Token) -> str:
        if tok.kind != "word" or not is_identifier(tok.text):
            hint = ""
            if tok.kind == "option":
                hint = "; to continue the previous record, end its line with '\\'"
            raise self.error(
                tok.line,
                f"expected an identifier (lowercase letters, digits, '_', '.', '-', starting "
                f"with a letter or digit, at most {IDENT_MAX} characters) at the start of "
                f"the record, found {tok.raw!r}{hint}",
            )
        return tok.text

    def name(self, tok: Token | None, after: str, line: int) -> str:
        if tok is None or tok.kind == "option":
            raise self.error(
                tok.line if tok else line,
                f"expected the name (in quotes) after {after!r}, found {_found(tok)}",
            )
        if not tok.text.strip():
            raise self.error(tok.line, f"expected a non-empty name after {after!r}")
        return tok.text

    def merged(self, rest: list[Token], after: str) -> dict[str, str]:
        own = self.options(rest, after)
        return {**self.defaults, **own}


def _at(tokens: list[Token], index: int) -> Token | None:
    return tokens[index] if index < len(tokens) else None


def parse_phone_types(
    text: str, filename: str = "phone_types", problems: list[FormatError] | None = None
) -> list[PhoneType]:
    """Parse a phone_types file.  Raises the first FormatError, or collects them all into
    `problems` (skipping bad records) when a list is given."""
    parser = _Parser(filename, problems)

    def build(record: Record) -> PhoneType:
        toks = record.tokens
        ident = parser.ident(toks[0])
        count_tok = _at(toks, 1)
        if count_tok is None or count_tok.kind != "word" or not count_tok.text.isdigit() \
                or not count_tok.text.isascii() \
                or not 1 <= int(count_tok.text) <= MAX_LINES_LIMIT:
            raise parser.error(
                count_tok.line if count_tok else record.line,
                f"expected the maximum number of lines (a positive integer up to "
                f"{MAX_LINES_LIMIT}) after {ident!r}, found {_found(count_tok)}",
            )
        name = parser.name(_at(toks, 2), f"{ident} {count_tok.text}", record.line)
        options = parser.merged(toks[3:], "the name")
        return PhoneType(ident, int(count_tok.text), name, options, record.line)

    return parser.run(text, build)


def parse_firmware_types(
    text: str, filename: str = "firmware_types", problems: list[FormatError] | None = None
) -> list[FirmwareType]:
    """Parse a firmware_types file (slots); same error behaviour as parse_phone_types."""
    parser = _Parser(filename, problems)

    def build(record: Record) -> FirmwareType:
        toks = record.tokens
        ident = parser.ident(toks[0])
        name = parser.name(_at(toks, 1), ident, record.line)
        kind_tok = _at(toks, 2)
        if kind_tok is None or kind_tok.kind != "word" or kind_tok.text not in FIRMWARE_KINDS:
            raise parser.error(
                kind_tok.line if kind_tok else record.line,
                f"expected the slot kind ({', '.join(FIRMWARE_KINDS)}) after the name of "
                f"{ident!r}, found {_found(kind_tok)}",
            )
        options = parser.merged(toks[3:], "the kind")
        return FirmwareType(ident, name, kind_tok.text, options, record.line)

    return parser.run(text, build)
