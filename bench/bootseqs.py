"""Boot sequences for the mixed-vendor storm (bootstorm.py --mixed), read from data.

Every bundled module ships boot-sequence files, `modules/<id>/tests/*.json` (the format
`provhost module test` replays: `setup` as provhost CLI argument lists, then `steps`).  A
module that ships none yet falls back to `bench/fixtures/bootseq/<id>/*.json`.  So a module
added later takes part in the storm as soon as its directory holds such files: nothing
here names a vendor.

Each file is a *template*: its phones (`phone add MAC TYPE` in `setup`) get fresh MACs per
simulated phone (same vendor prefix), its lines (`line add NUM --phone MAC`) get fresh
numbers and SIP user names, and every spelling of the old MAC in paths and User-Agents
(`0080f0000136`, `0080F0000136`, `00:80:f0:00:01:36`) becomes the new one.  Checks that
hold for any phone are kept (status, `parse`, `first_line`, `crlf`, `not_contains`); a
served step that the file checks for `module`/`phone_type` must carry the phone's own SIP
user name instead of the file's literal `contains`.  `settings` items are not applied (one
module's settings would change every other module's files); TFTP uploads are skipped (the
storm's TFTP client only reads).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAC_RE = re.compile(r"^[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class SeqStep:
    """One request of a boot, as the storm's clients replay it."""

    proto: str  # tftp | http | https (replayed as http)
    path: str
    expect: str  # served | not_found | upload_accepted | refused
    user_agent: str = ""
    method: str = "GET"
    body: bytes = b""
    must_contain: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    first_line: str | None = None
    crlf: bool = False
    parse: str | None = None


@dataclass
class Template:
    module: str
    name: str
    phones: list[tuple[str, str]]  # (mac, phone type) in setup order
    lines: list[tuple[str, str]]  # (telnum, mac of its phone)
    steps: list[dict[str, Any]]


@dataclass
class Boot:
    """One simulated phone's boot: what to register, then what to request."""

    module: str
    template: str
    phones: list[tuple[str, str]]  # (new mac, phone type)
    lines: list[tuple[str, str, str]] = field(default_factory=list)  # (mac, telnum, sip user)
    steps: list[SeqStep] = field(default_factory=list)


def _mac_forms(mac: str) -> list[str]:
    pairs = [mac[i:i + 2] for i in range(0, 12, 2)]
    forms = [mac.lower(), mac.upper()]
    for sep in (":", "-"):
        forms += [sep.join(pairs).lower(), sep.join(pairs).upper()]
    return forms


def load_template(module: str, path: Path) -> Template | None:
    """A template from one sequence file, or None when the storm cannot replay it."""
    data = json.loads(path.read_text())
    phones: list[tuple[str, str]] = []
    lines: list[tuple[str, str]] = []
    for item in data.get("setup", []):
        if item[:2] == ["phone", "add"] and len(item) >= 4 and MAC_RE.match(item[2]):
            phones.append((item[2].lower(), item[3]))
        elif item[:2] == ["line", "add"] and "--phone" in item:
            lines.append((item[2], item[item.index("--phone") + 1].lower()))
    steps = data.get("steps", [])
    if not phones or not steps:
        return None
    if any(s.get("proto", "tftp") == "tftp" and s.get("method", "GET") != "GET" for s in steps):
        return None  # a TFTP upload: the storm's client only reads
    if any(s.get("proto", "tftp") not in ("tftp", "http", "https") for s in steps):
        return None
    return Template(module, path.stem, phones, lines, steps)


def discover(modules_dir: Path, fallback_dir: Path) -> dict[str, list[Template]]:
    """module id -> its templates, for every module directory that has an `info`."""
    found: dict[str, list[Template]] = {}
    for mdir in sorted(p for p in modules_dir.iterdir() if (p / "info").is_file()):
        files = sorted((mdir / "tests").glob("*.json")) or sorted(
            (fallback_dir / mdir.name).glob("*.json"))
        templates = [t for f in files if (t := load_template(mdir.name, f)) is not None]
        if templates:
            found[mdir.name] = templates
    return found


def instantiate(t: Template, index: int) -> Boot:
    """The template for simulated phone number `index` (fresh MACs, numbers, users)."""
    mapping: dict[str, str] = {}
    boot = Boot(t.module, t.name, [])
    for k, (mac, ptype) in enumerate(t.phones):
        new = f"{mac[:6]}{(index * 4 + k) % 0x1000000:06x}"
        mapping[mac] = new
        boot.phones.append((new, ptype))
    first_user: dict[str, str] = {}
    for k, (_telnum, mac) in enumerate(t.lines):
        new_mac = mapping.get(mac)
        if new_mac is None:
            continue
        user = f"bs{index:06d}x{k}"
        boot.lines.append((new_mac, str(300000 + index * 8 + k), user))
        first_user.setdefault(new_mac, user)

    def sub(text: str) -> str:
        for old, new in mapping.items():
            for a, b in zip(_mac_forms(old), _mac_forms(new), strict=True):
                text = text.replace(a, b)
        return text

    for s in t.steps:
        path = sub(s["path"])
        must: tuple[str, ...] = ()
        expect = s.get("expect", "served")
        if expect == "served" and ("module" in s or "phone_type" in s):
            owners = [m for m in mapping.values()
                      if any(f in path for f in _mac_forms(m)) and m in first_user]
            must = tuple(first_user[m] for m in owners[:1])
        boot.steps.append(SeqStep(
            proto=s.get("proto", "tftp"), path=path, expect=expect,
            user_agent=sub(s.get("user_agent", "")), method=s.get("method", "GET"),
            body=s.get("body", "").encode(), must_contain=must,
            not_contains=tuple(s.get("not_contains", [])), first_line=s.get("first_line"),
            crlf=bool(s.get("crlf")), parse=s.get("parse")))
    return boot


def plan(templates: dict[str, list[Template]], n: int) -> list[Boot]:
    """n boots, spread evenly over the modules, and over each module's templates."""
    modules = sorted(templates)
    boots = []
    for i in range(n):
        module = modules[i % len(modules)]
        group = templates[module]
        boots.append(instantiate(group[(i // len(modules)) % len(group)], i))
    return boots


def check_body(step: SeqStep, body: bytes) -> str | None:
    """None when a served body holds what the step says, else the failure class."""
    text = body.decode("utf-8", "replace")
    if any(s not in text for s in step.must_contain):
        return "wrong content (not the phone's own configuration)"
    if any(s in text for s in step.not_contains):
        return "wrong content (forbidden text)"
    if step.first_line is not None and text.split("\n", 1)[0].rstrip("\r") != step.first_line:
        return "wrong first line"
    if step.crlf and any(not ln.endswith("\r") for ln in text.split("\n")[:-1]):
        return "not CRLF"
    if step.parse == "xml":
        import xml.etree.ElementTree as ET

        try:
            ET.fromstring(body)
        except ET.ParseError:
            return "does not parse as xml"
    elif step.parse == "json":
        try:
            json.loads(text)
        except ValueError:
            return "does not parse as json"
    return None
