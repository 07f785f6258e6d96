"""Pure pieces: line framing, command parsing, reply encoding, TYPE A translation."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st
from provhost.ftp.asciimode import AsciiEncoder, ascii_size
from provhost.ftp.commands import Command, Malformed, parse_command, path_argument_problem
from provhost.ftp.lines import MAX_LINE, OVERLONG, LineReader
from provhost.ftp.replies import FtpReply


def drain(reader: LineReader) -> list[object]:
    out: list[object] = []
    while (line := reader.next_line()) is not None:
        out.append(line)
    return out


def test_lines_split_on_crlf_and_bare_lf_across_feeds() -> None:
    reader = LineReader()
    reader.feed(b"USER anon")
    assert drain(reader) == []
    reader.feed(b"ymous\r\nNOOP\nPA")
    assert drain(reader) == [b"USER anonymous", b"NOOP"]
    reader.feed(b"SS x\r\n")
    assert drain(reader) == [b"PASS x"]


def test_overlong_line_reported_once_then_framing_resumes() -> None:
    reader = LineReader()
    reader.feed(b"A" * (MAX_LINE + 10))
    assert drain(reader) == [OVERLONG]
    reader.feed(b"B" * 5000)  # still the same line: discarded silently
    assert drain(reader) == []
    reader.feed(b"tail\r\nNOOP\r\n")
    assert drain(reader) == [b"NOOP"]


def test_overlong_line_arriving_whole_is_reported() -> None:
    reader = LineReader()
    reader.feed(b"RETR " + b"a" * MAX_LINE + b"\r\nNOOP\r\n")
    assert drain(reader) == [OVERLONG, b"NOOP"]


def test_line_of_exactly_max_length_is_accepted() -> None:
    reader = LineReader()
    line = b"X" * MAX_LINE
    reader.feed(line[:-1])
    reader.feed(line[-1:] + b"\r")  # CR may arrive before its LF
    assert drain(reader) == []
    reader.feed(b"\n")
    assert drain(reader) == [line]


def test_parse_commands() -> None:
    assert parse_command(b"retr My File.cfg") == Command("RETR", "My File.cfg")
    assert parse_command(b"PASV") == Command("PASV", "")
    assert parse_command(b"TYPE  I") == Command("TYPE", " I")


def test_parse_rejects_garbage_with_reasons() -> None:
    assert parse_command(b"RETR a\0b") == Malformed("NUL byte in command line")
    assert parse_command(b"\xff\xf4\xff\xf2") == Malformed("non-ASCII bytes in command line")
    assert parse_command(b"   ") == Malformed("empty command line")
    assert parse_command(b"12345 x") == Malformed("command verb must be 3 or 4 letters")
    assert parse_command(b"RETRIEVE x") == Malformed("command verb must be 3 or 4 letters")


def test_path_argument_problems() -> None:
    assert path_argument_problem("a/b c.cfg") is None
    assert path_argument_problem("") == "a path argument is required"
    assert path_argument_problem("a\tb") == "path contains control characters"
    assert path_argument_problem("a\x7fb") == "path contains control characters"


def test_reply_encoding_single_and_multi_line() -> None:
    assert FtpReply.of(200, "ok").encode() == b"200 ok\r\n"
    assert FtpReply(211, ("Features:", "EPSV", "End")).encode() == (
        b"211-Features:\r\n EPSV\r\n211 End\r\n")


def test_ascii_encoding_keeps_existing_crlf() -> None:
    assert AsciiEncoder().encode(b"a\nb\r\nc\rd") == b"a\r\nb\r\nc\rd"
    assert ascii_size(b"a\nb\r\n") == 6


@given(st.binary(max_size=200), st.lists(st.integers(min_value=0, max_value=200), max_size=8))
def test_ascii_encoding_does_not_depend_on_chunking(data: bytes, cuts: list[int]) -> None:
    whole = AsciiEncoder().encode(data)
    encoder = AsciiEncoder()
    bounds = sorted({0, len(data), *(min(c, len(data)) for c in cuts)})
    pieces = b"".join(encoder.encode(data[a:b]) for a, b in itertools.pairwise(bounds))
    assert pieces == whole
    assert whole.replace(b"\r\n", b"\n") == data.replace(b"\r\n", b"\n")
    assert b"\n" not in whole.replace(b"\r\n", b"")
