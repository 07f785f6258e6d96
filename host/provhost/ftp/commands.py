"""Command-line parsing: one framed line in, a `Command` or a `Malformed` verdict out.

Rules: the line must be 7-bit ASCII with no NUL (anything else is line noise or an
attack, answered 500); the verb is 3 or 4 letters, case-insensitive, followed by an
optional single space and the argument, kept verbatim (file names may contain spaces).
Arguments are *not* validated here: each command decides what its argument must look
like (see `path_argument_problem`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERB = re.compile(r"[A-Za-z]{3,4}")


@dataclass(frozen=True)
class Command:
    verb: str  # upper-cased
    argument: str  # "" when absent


@dataclass(frozen=True)
class Malformed:
    """Why a line is not a command; becomes the text of a 500 reply."""

    reason: str


def parse_command(line: bytes) -> Command | Malformed:
    if b"\0" in line:
        return Malformed("NUL byte in command line")
    if not line.isascii():
        return Malformed("non-ASCII bytes in command line")
    text = line.decode("ascii")
    if not text.strip():
        return Malformed("empty command line")
    verb, _, argument = text.partition(" ")
    if not _VERB.fullmatch(verb):
        return Malformed("command verb must be 3 or 4 letters")
    return Command(verb.upper(), argument)


def path_argument_problem(argument: str) -> str | None:
    """Why `argument` cannot name a path (the text of a 501 reply), or None if it can."""
    if not argument:
        return "a path argument is required"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in argument):
        return "path contains control characters"
    return None
