"""Compare what a request got with what its step expected (pure: no I/O).

Each difference is one short sentence for the author; an empty list means the step passed.
"""

from __future__ import annotations

import configparser
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from provhost.moduletest.sequence import Step

EXCERPT = 60


@dataclass(frozen=True)
class Outcome:
    """What the client saw, plus who answered according to the server's request trace."""

    result: str  # served | not_found | upload_accepted | refused | error
    detail: str  # "HTTP 404", "TFTP error 1 (file not found)", ...
    status: int | None = None  # HTTP status or FTP reply code
    body: bytes | None = None
    module: str | None = None  # trace: answered_by
    phone_type: str | None = None  # trace: the phone the request was associated with
    trace_found: bool = False


def _excerpt(text: str) -> str:
    return repr(text if len(text) <= EXCERPT else text[:EXCERPT] + "...")


def parse_problem(kind: str, text: str) -> str | None:
    """Why `text` does not parse as `kind`, or None."""
    try:
        if kind == "xml":
            ET.fromstring(text)
        elif kind == "json":
            json.loads(text)
        elif kind == "ini":
            parser = configparser.ConfigParser(interpolation=None, strict=True,
                                               delimiters=("=", ":"))
            # Phone INI files often have settings before any section header.
            parser.read_string(text if text.lstrip().startswith("[")
                               else "[provhost-top]\n" + text)
        elif kind == "text" and "\0" in text:
            return "it contains NUL bytes"
    except (ET.ParseError, json.JSONDecodeError, configparser.Error) as e:
        return str(e).splitlines()[0]
    return None


def _body_differences(step: Step, body: bytes) -> list[str]:
    out: list[str] = []
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        if step.parse or step.contains or step.not_contains or step.matches or step.first_line:
            return [f"the body is not UTF-8 ({e.reason} at byte {e.start}), so text checks "
                    "cannot run"]
        text = body.decode("latin-1")
    if step.parse:
        why = parse_problem(step.parse, text)
        if why:
            out.append(f"the body does not parse as {step.parse}: {why}")
    for s in step.contains:
        if s not in text:
            out.append(f"the body does not contain {_excerpt(s)}")
    for s in step.not_contains:
        if s in text:
            at = text.index(s)
            line = text.count("\n", 0, at) + 1
            out.append(f"the body contains {_excerpt(s)} (line {line})")
    # As is (a regex may spell out \r\n), else with CRLF as LF so `$` ends a CRLF line too.
    lf_text = text.replace("\r\n", "\n")
    for pattern in step.matches:
        if not pattern.search(text) and not pattern.search(lf_text):
            out.append(f"no match for the regex {_excerpt(pattern.pattern)}")
    if step.crlf is not None:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        else:
            lines[-1:] = []  # an unterminated last line is judged by the lines before it
        bare = next((i for i, ln in enumerate(lines, start=1) if not ln.endswith("\r")), None)
        if step.crlf and bare is not None:
            out.append(f"line {bare} ends with LF, not CRLF")
        if not step.crlf and any(ln.endswith("\r") for ln in lines):
            out.append("the body has CRLF line ends")
    if step.first_line is not None:
        first = text.split("\n", 1)[0].removesuffix("\r")
        if first != step.first_line:
            out.append(f"the first line is {_excerpt(first)}, expected "
                       f"{_excerpt(step.first_line)}")
    return out


def differences(step: Step, got: Outcome) -> list[str]:
    """Every way `got` differs from what `step` expects."""
    out: list[str] = []
    if got.result != step.expect:
        out.append(f"expected {step.expect}, got {got.result} ({got.detail})")
    if step.status is not None and got.status != step.status:
        out.append(f"expected HTTP status {step.status}, got {got.status}")
    for key, wanted, actual in (("module", step.module, got.module),
                                ("phone_type", step.phone_type, got.phone_type)):
        if wanted is None:
            continue
        if not got.trace_found:
            out.append(f"{key}: no request trace found for this request")
        elif actual != wanted:
            out.append(f"expected {key} {wanted!r}, the trace says {actual!r}")
    if got.result == "served" and step.expect == "served":
        out += _body_differences(step, got.body or b"")
    return out
