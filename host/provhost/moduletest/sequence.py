"""Boot-sequence files: parse and validate, with no I/O (the runner reads the bytes).

A boot sequence is one JSON object in a module's `tests/` directory (docs/module-testing.md)
that says, for one phone booting from factory defaults, which requests it makes and what it
expects back.  Why strict: a misspelt check ("contians") that were silently ignored would
make a test pass that checks nothing, so every unknown key, wrong type or bad regex is an
error naming the file and the step.  Keys starting with "_" and the key "comment" are free
for the author's notes at every level.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from provhost.mac import normalize_mac
from provhost.moduleformat.names import TESTS_DIR

PROTOS = ("tftp", "http", "https", "ftp")
METHODS = ("GET", "PUT", "POST")
EXPECTS = ("served", "not_found", "upload_accepted", "refused")
PARSERS = ("xml", "ini", "json", "text")
SEQUENCE_SUFFIX = ".json"
MAX_SEQUENCE_BYTES = 1024 * 1024

# `setup` may only run commands that change the scratch installation's own data: never
# one that reads or writes a file of the machine running the test (`-o`, `module install`),
# since the sequence file comes from the module, which may be hostile.
SETUP_ALLOWED: dict[str, frozenset[str] | None] = {
    "user": None,  # None: every sub-command of the group
    "line": None,
    "prefix": None,
    "settings": frozenset({"set", "get"}),
    "phone": frozenset({"add", "auth", "password", "remove", "show", "list"}),
    "module": frozenset({"enable", "disable", "sequence", "runtime", "list"}),
}

_TOP_KEYS = {"description", "setup", "steps"}
_STEP_KEYS = {"name", "proto", "method", "path", "user_agent", "body", "expect", "status",
              "auth_mac",
              "module", "phone_type", "parse", "contains", "not_contains", "matches", "crlf",
              "first_line"}
_CONTENT_CHECKS = ("parse", "contains", "not_contains", "matches", "crlf", "first_line")


@dataclass(frozen=True)
class Step:
    """One request of the phone and what it expects back."""

    index: int  # 1-based, as reported
    path: str
    proto: str = "tftp"
    method: str = "GET"
    name: str = ""
    user_agent: str = ""
    body: bytes | None = None
    expect: str = "served"
    status: int | None = None  # exact HTTP status (http/https only)
    auth_mac: str | None = None  # answer a Digest challenge with this phone's credentials
    module: str | None = None
    phone_type: str | None = None
    parse: str | None = None
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    matches: tuple[re.Pattern[str], ...] = ()
    crlf: bool | None = None
    first_line: str | None = None

    @property
    def is_upload(self) -> bool:
        return self.method in ("PUT", "POST")

    def label(self) -> str:
        text = f"step {self.index} ({self.proto.upper()} {self.method} {self.path})"
        return f"{text} '{self.name}'" if self.name else text


@dataclass(frozen=True)
class BootSequence:
    name: str  # file name inside tests/, e.g. "t46g_factory.json"
    description: str
    setup: tuple[tuple[str, ...], ...]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class SequenceProblem:
    file: str
    where: str  # "", "setup[2]", "step 3"
    message: str

    def __str__(self) -> str:
        where = f" {self.where}:" if self.where else ""
        return f"{self.file}:{where} {self.message}"


class SequenceInvalid(ValueError):
    """The file is not a valid boot sequence; `problems` lists every reason found."""

    def __init__(self, problems: list[SequenceProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class _Collector:
    file: str
    problems: list[SequenceProblem] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.problems.append(SequenceProblem(self.file, where, message))


def _free_key(key: str) -> bool:
    return key.startswith("_") or key == "comment"


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def _text(value: str) -> bool:
    """Single-line printable: what fits a request path or header."""
    return bool(value) and not any(ord(c) < 32 or ord(c) == 127 for c in value)


def _unknown(obj: dict[str, Any], known: set[str], where: str, c: _Collector) -> None:
    for key in obj:
        if key not in known and not _free_key(key):
            c.add(where, f"unknown key {key!r} (known: {', '.join(sorted(known))}; "
                         "notes go in \"comment\" or keys starting with \"_\")")


def _setup(value: Any, c: _Collector) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        c.add("setup", "must be a list of `provhost` argument lists")
        return ()
    out = []
    for i, item in enumerate(value, start=1):
        where = f"setup[{i}]"
        if not _strings(item) or not item:
            c.add(where, "must be a non-empty list of strings, e.g. [\"user\", \"add\", "
                         "\"alice\", \"Alice Example\"]")
            continue
        group = item[0]
        allowed = SETUP_ALLOWED.get(group, frozenset())
        sub = item[1] if len(item) > 1 else ""
        if group not in SETUP_ALLOWED or (allowed is not None and sub not in allowed):
            c.add(where, f"`provhost {' '.join(item[:2])}` is not allowed in setup (allowed: "
                         + "; ".join(f"{g} {'|'.join(sorted(s)) if s else '*'}"
                                     for g, s in SETUP_ALLOWED.items()) + ")")
            continue
        out.append(tuple(item))
    return tuple(out)


def _step(index: int, raw: Any, c: _Collector) -> Step | None:
    where = f"step {index}"
    if not isinstance(raw, dict):
        c.add(where, "must be a JSON object")
        return None
    before = len(c.problems)
    _unknown(raw, _STEP_KEYS, where, c)

    def pick(key: str, kind: type | tuple[type, ...], default: Any, what: str) -> Any:
        if key not in raw:
            return default
        value = raw[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            c.add(where, f"{key!r} must be {what}")
            return default
        return value

    proto = pick("proto", str, "tftp", "a string")
    if proto not in PROTOS:
        c.add(where, f"proto {proto!r} is not one of {', '.join(PROTOS)}")
    method = pick("method", str, "GET", "a string").upper()
    if method not in METHODS:
        c.add(where, f"method {method!r} is not one of {', '.join(METHODS)}")
    path = pick("path", str, "", "a string")
    if "path" not in raw:
        c.add(where, "'path' is required (the name as the phone requests it)")
    elif not _text(path):
        c.add(where, "path must be non-empty, without control characters")
    elif proto in ("http", "https") and not path.startswith("/"):
        c.add(where, f"an HTTP path starts with '/': {path!r}")
    expect = pick("expect", str, "served", "a string")
    if expect not in EXPECTS:
        c.add(where, f"expect {expect!r} is not one of {', '.join(EXPECTS)}")
    user_agent = pick("user_agent", str, "", "a string")
    if user_agent and not _text(user_agent):
        c.add(where, "user_agent must not contain control characters")
    if user_agent and proto not in ("http", "https"):
        c.add(where, "user_agent only applies to http and https")
    body_text = pick("body", str, None, "a string (sent as UTF-8)")
    body = None if body_text is None else body_text.encode("utf-8")
    if method == "GET" and body is not None:
        c.add(where, "a GET has no body; use method PUT or POST for an upload")
    if method == "POST" and proto not in ("http", "https"):
        c.add(where, "POST only exists in http and https (TFTP uploads are PUT)")
    if method != "GET" and proto == "ftp":
        c.add(where, "the FTP server is read-only: ftp steps are GET")
    if expect == "upload_accepted" and method == "GET":
        c.add(where, "expect upload_accepted needs method PUT or POST")
    status = pick("status", int, None, "an integer HTTP status")
    if status is not None and proto not in ("http", "https"):
        c.add(where, "status only applies to http and https")
    auth_mac = pick("auth_mac", str, None, "a MAC address")
    if auth_mac is not None:
        try:
            auth_mac = normalize_mac(auth_mac)
        except ValueError:
            c.add(where, f"auth_mac {auth_mac!r} is not a MAC address")
        if proto not in ("http", "https"):
            c.add(where, "auth_mac only applies to http and https (Digest authentication)")
    parse = pick("parse", str, None, "a string")
    if parse is not None and parse not in PARSERS:
        c.add(where, f"parse {parse!r} is not one of {', '.join(PARSERS)}")
    lists = {}
    for key in ("contains", "not_contains", "matches"):
        value = raw.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not _strings(value):
            c.add(where, f"{key!r} must be a string or a list of strings")
            value = []
        lists[key] = tuple(value)
    patterns = []
    for pattern in lists["matches"]:
        try:
            patterns.append(re.compile(pattern, re.MULTILINE))
        except re.error as e:
            c.add(where, f"matches: {pattern!r} is not a valid Python regex: {e}")
    crlf = pick("crlf", bool, None, "true or false")
    first_line = pick("first_line", str, None, "a string")
    content = [k for k in _CONTENT_CHECKS if k in raw]
    if content and expect != "served":
        c.add(where, f"{', '.join(content)} check the body of a served file, but expect is "
                     f"{expect!r}")
    name = pick("name", str, "", "a string")
    if len(c.problems) > before:
        return None
    return Step(index=index, path=path, proto=proto, method=method, name=name,
                user_agent=user_agent, body=body, expect=expect, status=status,
                auth_mac=auth_mac,
                module=pick("module", str, None, "a module id"),
                phone_type=pick("phone_type", str, None, "a phone type id"),
                parse=parse, contains=lists["contains"], not_contains=lists["not_contains"],
                matches=tuple(patterns), crlf=crlf, first_line=first_line)


def check_sequence(data: bytes, file: str) -> tuple[BootSequence | None, list[SequenceProblem]]:
    """Parse one sequence file; returns (sequence or None, every problem found)."""
    c = _Collector(file)
    if len(data) > MAX_SEQUENCE_BYTES:
        c.add("", f"larger than {MAX_SEQUENCE_BYTES} bytes")
        return None, c.problems
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        c.add("", f"not UTF-8 ({e.reason} at byte {e.start})")
        return None, c.problems
    except json.JSONDecodeError as e:
        c.add("", f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}")
        return None, c.problems
    if not isinstance(doc, dict):
        c.add("", "must be a JSON object with \"steps\"")
        return None, c.problems
    _unknown(doc, _TOP_KEYS, "", c)
    description = doc.get("description", "")
    if not isinstance(description, str):
        c.add("", "'description' must be a string")
        description = ""
    setup = _setup(doc.get("setup", []), c)
    raw_steps = doc.get("steps")
    steps: list[Step] = []
    if not isinstance(raw_steps, list) or not raw_steps:
        c.add("", "'steps' must be a non-empty list of requests")
    else:
        for i, raw in enumerate(raw_steps, start=1):
            step = _step(i, raw, c)
            if step is not None:
                steps.append(step)
    if c.problems:
        return None, c.problems
    name = file.rsplit("/", 1)[-1]
    return BootSequence(name, description, setup, tuple(steps)), []


def parse_sequence(data: bytes, file: str) -> BootSequence:
    """The sequence in `data`, or SequenceInvalid listing every problem."""
    seq, problems = check_sequence(data, file)
    if seq is None:
        raise SequenceInvalid(problems)
    return seq


def is_sequence_name(rel: str) -> bool:
    """Whether a module-relative path names a boot sequence (tests/NAME.json, one level)."""
    parts = rel.split("/")
    return (len(parts) == 2 and parts[0] == TESTS_DIR and parts[1].endswith(SEQUENCE_SUFFIX)
            and len(parts[1]) > len(SEQUENCE_SUFFIX) and not parts[1].startswith("."))
