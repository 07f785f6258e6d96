"""Replay a module's boot-sequence file (modules/<id>/tests/*.json, format in the helpers'
brief) against a running server with real clients: curl (with the firmware's User-Agent,
from the sequence's own loopback address) and tftp-hpa.  The test-side twin of
`provhost module test`: it lets each vendor test check its own sequence files.

tftp-hpa cannot choose its source address, so TFTP steps come from 127.0.0.1; a test that
replays several TFTP sequences with markers should give each its own server.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from .conftest import Running, curl, tftp_get


@dataclass
class StepOutcome:
    step: dict[str, Any]
    status: str  # served | not_found | upload_accepted | refused
    body: bytes
    problems: list[str] = field(default_factory=list)


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def apply_setup(server: Running, setup: list[list[str]]) -> None:
    """The `provhost` CLI argument lists, applied through the service layer the CLI wraps
    (same effect, without a process start per item)."""
    svc = server.svc
    for item in setup:
        match item:
            case ["user", "add", name, fullname]:
                if name not in {u.username for u in svc.store.list_users()}:
                    svc.user_add(name, fullname)  # the test server may know it already
            case ["phone", "add", mac, ptype]:
                svc.phone_add(mac, ptype)
            case ["line", "add", telnum, *rest]:
                opts = dict(zip(rest[::2], rest[1::2], strict=True))
                svc.line_add(telnum, user=opts.get("--user"), phone=opts.get("--phone"),
                             sip_username=opts.get("--sip-username"),
                             sip_password=opts.get("--sip-password"))
            case ["settings", "set", name, value]:
                svc.setting_set(name, value)
            case _:
                raise ValueError(f"setup item not understood: {item}")


def _parses(kind: str, body: bytes) -> str | None:
    """None if the body parses as `kind`, else why not."""
    text = body.decode("utf-8", "replace")
    try:
        if kind == "xml":
            ET.fromstring(body)
        elif kind == "json":
            json.loads(text)
        elif kind == "ini":
            for line in text.splitlines():
                s = line.strip()
                if s and not s.startswith(("#", ";", "[")) and "=" not in s:
                    raise ValueError(f"not key = value: {line!r}")
    except (ET.ParseError, ValueError) as e:
        return f"does not parse as {kind}: {e}"
    return None


def check(step: dict[str, Any], status: str, body: bytes, server: Running,
          mac: str | None) -> list[str]:
    problems = []
    if status != step.get("expect", "served"):
        problems.append(f"expected {step.get('expect', 'served')}, got {status}")
        return problems
    text = body.decode("utf-8", "replace")
    if "parse" in step and (why := _parses(step["parse"], body)):
        problems.append(why)
    problems += [f"missing {s!r}" for s in step.get("contains", []) if s not in text]
    problems += [f"unexpected {s!r}" for s in step.get("not_contains", []) if s in text]
    problems += [f"no match for {r!r}" for r in step.get("matches", []) if not re.search(r, text)]
    if step.get("crlf") and any(not ln.endswith("\r") for ln in text.split("\n")[:-1]):
        problems.append("a line does not end with CRLF")
    if "first_line" in step and text.split("\r\n" if step.get("crlf") else "\n")[0].rstrip(
            "\r") != step["first_line"]:
        problems.append(f"first line is {text.splitlines()[:1]}")
    if ("module" in step or "phone_type" in step) and mac is not None:
        phone = server.svc.store.get_phone(mac)
        got = (phone.module_id, phone.phone_type) if phone else (None, None)
        want = (step.get("module", got[0]), step.get("phone_type", got[1]))
        if got != want:
            problems.append(f"answered as {got}, expected {want}")
    return problems


async def replay(server: Running, sequence: dict[str, Any], ip: str, workdir: Path
                 ) -> list[StepOutcome]:
    """Run the setup, then every step in order; each outcome lists what did not hold."""
    apply_setup(server, sequence.get("setup", []))
    outcomes = []
    for n, step in enumerate(sequence["steps"]):
        proto = step.get("proto", "tftp")
        path = step["path"]
        m = re.search(r"([0-9a-fA-F]{12})", path)
        mac = m.group(1).lower() if m else None
        if proto == "tftp":
            local = workdir / f"step{n}"
            rc, messages = await tftp_get(server.ports.tftp, path, str(local))
            body = local.read_bytes() if rc == 0 and local.exists() else b""
            status = "served" if rc == 0 and "Error code" not in messages else (
                "not_found" if "Error code 1" in messages else "refused")
        else:
            args = ["--interface", ip, "-A", step.get("user_agent", "")]
            if step.get("method", "GET") != "GET":
                args += ["-X", step["method"], "--data-binary", step.get("body", "")]
            code, body = await curl(*args, server.url(path))
            status = {200: "served", 201: "upload_accepted", 204: "upload_accepted",
                      404: "not_found"}.get(code, "refused")
            if step.get("expect") == "upload_accepted" and code == 200:
                status = "upload_accepted"
        outcomes.append(StepOutcome(step, status, body, check(step, status, body, server, mac)))
        await trio.sleep(0)
    return outcomes
