"""Replay a bundled module's boot-sequence files (modules/<id>/tests/*.json) against one
running server with the real clients a phone would be: curl with the firmware's
User-Agent from the sequence's own loopback address, tftp-hpa for TFTP (which always
speaks from 127.0.0.1: it cannot choose its source address).

The vendor tests use this so that the sequence files shipped with each module are
exercised exactly as written (the `provhost module test` runner replays the same files).
"""

from __future__ import annotations

import argparse
import configparser
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from provhost.service import Service

from ..conftest import BUNDLED
from .conftest import Running, curl, tftp_get

TFTP_ADDRESS = "127.0.0.1"


def sequences(module_id: str) -> list[Path]:
    """The module's sequence files, sorted (at least one, or the module is incomplete)."""
    files = sorted((BUNDLED / module_id / "tests").glob("*.json"))
    assert files, f"modules/{module_id}/tests holds no boot sequence"
    return files


def _line_args(args: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="line add", exit_on_error=False)
    p.add_argument("telnum")
    for name in ("--user", "--phone", "--sip-username", "--sip-password"):
        p.add_argument(name)
    p.add_argument("--label", default="")
    return p.parse_args(args)


def apply_setup(svc: Service, setup: list[list[str]]) -> None:
    """The CLI commands a sequence's setup uses, run through the same service calls."""
    users = {u["username"] for u in svc.user_list()}
    for item in setup:
        match item:
            case ["user", "add", username, fullname]:
                if username not in users:
                    svc.user_add(username, fullname)
                    users.add(username)
            case ["phone", "add", mac, ptype]:
                svc.phone_add(mac, ptype)
            case ["line", "add", *rest]:
                a = _line_args(rest)
                svc.line_add(a.telnum, user=a.user, phone=a.phone, sip_username=a.sip_username,
                             sip_password=a.sip_password, label=a.label)
            case ["settings", "set", name, value]:
                svc.setting_set(name, value)
            case ["prefix", "add", prefix]:
                svc.prefix_add(prefix)
            case _:
                raise AssertionError(f"setup command not supported by the replay: {item}")


def _parses(kind: str, body: bytes) -> str | None:
    """None when `body` parses as `kind`, else why not."""
    try:
        text = body.decode("utf-8")
        if kind == "xml":
            ET.fromstring(body)
        elif kind == "json":
            json.loads(text)
        elif kind == "ini":
            configparser.ConfigParser(strict=False, interpolation=None).read_string(text)
    except (UnicodeDecodeError, ET.ParseError, ValueError, configparser.Error) as e:
        return f"does not parse as {kind}: {e}"
    return None


def _who_answered(svc: Service, address: str) -> tuple[str, str] | None:
    """(module, phone type) of the phone last seen at `address` (what the chain chose)."""
    phones = [p for p in svc.store.list_phones() if p.last_ip == address]
    if not phones:
        return None
    p = max(phones, key=lambda p: p.last_seen)
    return p.module_id, p.phone_type


async def _fetch(server: Running, step: dict[str, Any], address: str,
                 scratch: Path) -> tuple[str, bytes, str]:
    """(outcome, body, detail): outcome is served/not_found/upload_accepted/refused/other."""
    proto = step.get("proto", "tftp")
    path = step["path"]
    if proto == "tftp":
        local = scratch / "tftp.out"
        local.unlink(missing_ok=True)
        rc, msg = await tftp_get(server.ports.tftp, path, str(local))
        if rc == 0 and "Error code" not in msg and local.exists():
            return "served", local.read_bytes(), msg
        return ("not_found" if "Error code 1" in msg else "other"), b"", msg
    assert proto == "http", f"protocol {proto} is not replayed here"
    args = ["--interface", address, "-A", step.get("user_agent", "")]
    method = step.get("method", "GET")
    if method != "GET":
        args += ["-X", method, "--data-binary", step.get("body", "")]
    status, body = await curl(*args, server.url(path))
    if method != "GET":
        outcome = "upload_accepted" if 200 <= status < 300 else (
            "refused" if status in (401, 403, 413) else "other")
    else:
        outcome = {200: "served", 404: "not_found", 401: "refused", 403: "refused"}.get(
            status, "other")
    return outcome, body, f"HTTP {status}"


async def replay(server: Running, file: Path, address: str, scratch: Path) -> list[str]:
    """Run one sequence file; the list of what differed (empty: the phone would boot)."""
    seq = json.loads(file.read_text())
    apply_setup(server.svc, seq.get("setup", []))
    problems: list[str] = []
    for n, step in enumerate(seq["steps"], 1):
        where = f"{file.name} step {n} ({step.get('proto', 'tftp')}:{step['path']})"
        client = TFTP_ADDRESS if step.get("proto", "tftp") == "tftp" else address
        outcome, body, detail = await _fetch(server, step, client, scratch)
        expect = step.get("expect", "served")
        if outcome != expect:
            problems.append(f"{where}: expected {expect}, got {outcome} ({detail})")
            continue
        text = body.decode("utf-8", "replace")
        for s in step.get("contains", []):
            if s not in text:
                problems.append(f"{where}: missing {s!r}")
        for s in step.get("not_contains", []):
            if s in text:
                problems.append(f"{where}: unexpected {s!r}")
        for rx in step.get("matches", []):
            if not re.search(rx, text):
                problems.append(f"{where}: no match for /{rx}/")
        if step.get("parse") and (why := _parses(step["parse"], body)):
            problems.append(f"{where}: {why}")
        if step.get("crlf") and any(not ln.endswith("\r\n")
                                    for ln in text.splitlines(keepends=True)):
            problems.append(f"{where}: a line does not end with CRLF")
        if "first_line" in step and text.splitlines()[:1] != [step["first_line"]]:
            problems.append(f"{where}: first line is {text.splitlines()[:1]!r}")
        if "module" in step or "phone_type" in step:
            who = _who_answered(server.svc, client)
            want = (step.get("module", who and who[0]), step.get("phone_type", who and who[1]))
            if who != want:
                problems.append(f"{where}: answered for {who}, expected {want}")
    return problems
