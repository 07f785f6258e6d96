"""Replays a bundled module's boot-sequence files (modules/<id>/tests/*.json) against a
running server with the real clients a phone stands for: curl (the firmware's
User-Agent, from a loopback address of its own) and tftp-hpa; and checks a resync with
SIPp posing as the phone.  Shared by the per-vendor test files."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
from provhost.paths import SOURCE_ROOT

from ..serving.conftest import Running, curl, tftp_get
from ..sip.sipp import free_udp_port, sipp_uas

NOTIFY_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="provhost NOTIFY with the vendor's event">
  <recv request="NOTIFY">
    <action>
      <ereg regexp="^[[:space:]]*@EVENT@[[:space:]]*$" search_in="hdr" header="Event:"
            check_it="true" assign_to="event"/>
      <log message="Event header: [$event]"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]sippuas[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""


def sequences(module_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Every boot-sequence file of a bundled module, by file name."""
    folder = SOURCE_ROOT / "modules" / module_id / "tests"
    return [(p.stem, json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))]


def _setup(server: Running, command: list[str]) -> None:
    """The CLI setup commands the sequences use, applied to the server's own service."""
    svc = server.svc
    match command:
        case ["user", "add", name, fullname]:
            if all(u["username"] != name for u in svc.user_list()):
                svc.user_add(name, fullname)
        case ["phone", "add", mac, ptype]:
            if all(p["mac"] != mac for p in svc.phone_list()):
                svc.phone_add(mac, ptype)
        case ["line", "add", number, *rest]:
            opts = dict(zip(rest[::2], rest[1::2], strict=True))
            svc.line_add(number, user=opts.get("--user"), phone=opts.get("--phone"))
        case ["settings", "set", name, value]:
            svc.setting_set(name, value)
        case ["prefix", "add", prefix]:
            svc.prefix_add(prefix)
        case _:
            raise AssertionError(f"setup command not supported here: {command}")


def _api(server: Running) -> httpx.AsyncClient:
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _check_body(where: str, step: dict[str, Any], body: bytes) -> None:
    text = body.decode("utf-8", errors="replace")
    kind = step.get("parse")
    if kind == "xml":
        ET.fromstring(body)
    elif kind == "json":
        json.loads(body)
    elif kind == "ini":
        for line in text.splitlines():
            s = line.strip()
            assert (not s or s[0] in "#;[" or "=" in s), f"{where}: not INI: {line!r}"
    for s in step.get("contains", []):
        assert s in text, f"{where}: {s!r} missing from\n{text}"
    for s in step.get("not_contains", []):
        assert s not in text, f"{where}: {s!r} present in\n{text}"
    for rx in step.get("matches", []):
        assert re.search(rx, text, re.M), f"{where}: no match for {rx!r} in\n{text}"
    if step.get("crlf"):
        assert all(x.endswith(b"\r") for x in body.split(b"\n")[:-1]), f"{where}: not CRLF"
    if "first_line" in step:
        assert text.split("\n", 1)[0].rstrip("\r") == step["first_line"], where


async def replay(server: Running, name: str, seq: dict[str, Any], ip: str,
                 tmp: Path) -> None:
    """One sequence, step by step, from `ip` (TFTP steps come from 127.0.0.1: tftp-hpa
    cannot choose its source address, so sequences with TFTP steps use that one)."""
    for command in seq.get("setup", []):
        _setup(server, command)
    async with _api(server) as api:
        for n, step in enumerate(seq["steps"]):
            where = f"{name} step {n} ({step.get('proto', 'tftp')}:{step['path']})"
            expect = step.get("expect", "served")
            if step.get("proto", "tftp") == "tftp":
                local = tmp / f"{name}-{n}"
                rc, out = await tftp_get(server.ports.tftp, step["path"], str(local))
                got = "served" if rc == 0 and "Error" not in out else "not_found"
                body = local.read_bytes() if got == "served" else b""
            else:
                args = ["--interface", ip, "-A", step.get("user_agent", "")]
                status, body = await curl(*args, server.url(step["path"]))
                got = {200: "served", 404: "not_found"}.get(status, f"HTTP {status}")
            assert got == expect, f"{where}: expected {expect}, got {got}"
            trace = (await api.get("/traces", params={"limit": 1})).json()[0]
            assert trace["path"] == step["path"], where
            if "module" in step:
                assert trace["answered_by"] == step["module"], f"{where}: {trace}"
            if "phone_type" in step:
                assert trace["phone_type"] == step["phone_type"], f"{where}: {trace}"
            if got == "served":
                _check_body(where, step, body)


async def resync_with_sipp(server: Running, mac: str, event: str, tmp: Path) -> str:
    """Ask the server to resync `mac` (last seen at 127.0.0.1) while SIPp, posing as the
    phone, insists on the vendor's Event header; returns the recorded result."""
    port = free_udp_port()
    server.svc.setting_set("SIP_PORT", str(port))
    tmp.mkdir(parents=True, exist_ok=True)
    scenario = tmp / "notify_event.xml"
    scenario.write_text(NOTIFY_SCENARIO.replace("@EVENT@", event))
    async with _api(server) as api:
        async with sipp_uas("", tmp / "sipp", scenario_file=scenario, port=port) as uas:
            r = await api.post(f"/phones/{mac}/reload")
            rc = await uas.finish()
        assert rc == 0, uas.diagnostics()
        assert r.status_code == 200, r.text
        assert re.search(rf"Event header:\s+{re.escape(event)}\s*$", uas.diagnostics(),
                         re.M), uas.diagnostics()
        return str(r.json())
