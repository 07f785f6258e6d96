"""Replay a module's boot-sequence files (modules/<id>/tests/*.json) with real clients.

The same format the `provhost module test` runner reads (docs in /work/helpers/COMMON.md):
setup items are provhost CLI argument lists, steps are requests a phone makes.  Here they
run against one already running test server: HTTP steps with real curl, bound to the
sequence's own loopback address (`--interface 127.0.0.N`) and sending the firmware's
User-Agent; TFTP steps with tftp-hpa, which cannot choose its source address, so they all
come from 127.0.0.1.  After each step the newest request trace tells which module and
phone type answered.
"""

from __future__ import annotations

import configparser
import json
import re
import subprocess
import xml.dom.minidom
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import trio
from provhost.service import Service

from .conftest import Running, curl

EXPECTED = {"served", "not_found", "upload_accepted", "refused"}


@dataclass
class StepResult:
    """What the phone saw for one step, and the server's trace of it."""

    outcome: str
    status: int
    body: bytes
    trace: dict[str, Any]


def load_sequences(module_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every sequence file of a module, by file name."""
    return [(p.name, json.loads(p.read_text())) for p in sorted((module_dir / "tests").glob("*.json"))]


def run_setup(svc: Service, items: list[list[str]]) -> None:
    """The CLI commands the sequence files use, performed through the same service."""
    for item in items:
        match item:
            case ["user", "add", username, fullname]:
                svc.user_add(username, fullname)
            case ["phone", "add", mac, ptype]:
                svc.phone_add(mac, ptype)
            case ["line", "add", telnum, *rest]:
                opts = dict(zip(rest[::2], rest[1::2], strict=True))
                svc.line_add(telnum, user=opts.get("--user"), phone=opts.get("--phone"))
            case ["settings", "set", name, value]:
                svc.setting_set(name, value)
            case _:
                raise AssertionError(f"setup item not understood by the test replay: {item}")


async def _tftp(port: int, path: str, local: Path, body: str | None) -> tuple[str, bytes]:
    if body is not None:
        local.write_text(body)
        args = ["put", str(local), path]
    else:
        local.unlink(missing_ok=True)
        args = ["get", path, str(local)]
    proc = await trio.to_thread.run_sync(lambda: subprocess.run(
        ["tftp", "-m", "octet", "127.0.0.1", str(port), "-c", *args],
        capture_output=True, text=True, timeout=30))
    messages = proc.stdout + proc.stderr
    if "Error code 1" in messages:
        return "not_found", b""
    if "Error code 2" in messages or "Error code" in messages:
        return "refused", messages.encode()
    if body is not None:
        return "upload_accepted", b""
    return "served", local.read_bytes()


async def _http(server: Running, step: dict[str, Any], source: str, scratch: Path
                ) -> tuple[str, int, bytes]:
    args = ["--interface", source, "-A", step.get("user_agent", "")]
    method = step.get("method", "GET")
    if method != "GET":
        scratch.write_bytes(step.get("body", "").encode())
        args += ["-X", method, "--data-binary", f"@{scratch}"]
    status, body = await curl(*args, server.url(step["path"]))
    if status == 200:
        return "served", status, body
    if status == 204:
        return "upload_accepted", status, body
    if status == 404:
        return "not_found", status, body
    return "refused", status, body


def check_body(body: bytes, step: dict[str, Any], where: str) -> None:
    """The checks a phone makes on what it received (format, content)."""
    text = body.decode("utf-8", "surrogateescape")
    kind = step.get("parse")
    if kind == "xml":
        xml.dom.minidom.parseString(body)
    elif kind == "json":
        json.loads(text)
    elif kind == "ini":
        parser = configparser.ConfigParser(interpolation=None, strict=False,
                                           comment_prefixes=("#",))
        parser.read_string("[top]\n" + text)
    for needle in step.get("contains", []):
        assert needle in text, f"{where}: {needle!r} missing in:\n{text}"
    for needle in step.get("not_contains", []):
        assert needle not in text, f"{where}: {needle!r} present in:\n{text}"
    for pattern in step.get("matches", []):
        assert re.search(pattern, text), f"{where}: /{pattern}/ does not match:\n{text}"
    if step.get("crlf"):
        lines = body.split(b"\n")
        assert all(x.endswith(b"\r") for x in lines[:-1]), f"{where}: not CRLF"
    if "first_line" in step:
        first = text.split("\n", 1)[0].rstrip("\r")
        assert first == step["first_line"], f"{where}: first line {first!r}"


async def replay(server: Running, api: httpx.AsyncClient, name: str, seq: dict[str, Any],
                 source: str, scratch: Path) -> list[StepResult]:
    """Run one sequence; assert every step's expectation.  Returns what each step got."""
    run_setup(server.svc, seq.get("setup", []))
    results = []
    for n, step in enumerate(seq["steps"], 1):
        where = f"{name} step {n} ({step.get('proto', 'tftp')} {step['path']})"
        proto = step.get("proto", "tftp")
        if proto == "tftp":
            outcome, body = await _tftp(server.ports.tftp, step["path"], scratch / "tftp.out",
                                        step.get("body") if step.get("method") == "PUT" else None)
            status = 0
        else:
            assert proto == "http", f"{where}: this replay speaks tftp and http"
            outcome, status, body = await _http(server, step, source, scratch / "upload")
        trace = (await api.get("/traces", params={"limit": 1})).json()[0]
        assert trace["path"] == step["path"], f"{where}: newest trace is {trace['path']}"
        expect = step.get("expect", "served")
        assert expect in EXPECTED
        assert outcome == expect, f"{where}: {outcome} (HTTP {status}) {body[:300]!r} {trace}"
        if "module" in step:
            assert trace["answered_by"] == step["module"], f"{where}: {trace}"
        if "phone_type" in step:
            assert trace["phone_type"] == step["phone_type"], f"{where}: {trace}"
        if outcome == "served":
            check_body(body, step, where)
        results.append(StepResult(outcome, status, body, trace))
    return results


def api_client(server: Running) -> httpx.AsyncClient:
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                             headers={"Authorization": f"Bearer {token}"})


_NOTIFY_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- The phone of one vendor: challenge the NOTIFY (digest), insist on the vendor's exact
     Event header and on the line's credentials, answer 200. -->
<scenario name="vendor resync">
  <recv request="NOTIFY"/>
  <send>
    <![CDATA[
      SIP/2.0 401 Unauthorized
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]sippuas[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      WWW-Authenticate: Digest realm="phone", nonce="[pid]n[call_number]x77", algorithm=MD5
      Content-Length: 0

    ]]>
  </send>
  <recv request="NOTIFY">
    <action>
      <ereg regexp="^[[:space:]]*EVENT[[:space:]]*$" search_in="hdr" header="Event:"
            check_it="true" assign_to="event"/>
      <log message="Event header: [$event]"/>
      <verifyauth assign_to="authvalid" username="[user]" password="[password]"/>
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="good"/>
  <send>
    <![CDATA[
      SIP/2.0 403 Wrong digest
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]sippuas[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="NEVER-SENT" timeout="200"/>
  <label id="good"/>
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


async def resync_with_sipp(server: Running, api: httpx.AsyncClient, mac: str, event: str,
                           workdir: Path) -> str:
    """Ask the server to resync `mac` (which last fetched from 127.0.0.1); sipp poses as
    the phone, challenges, and checks the Event header is exactly `event` and the digest
    uses the line-1 credentials the phone last read.  Returns the Event header seen."""
    from tests.sip.sipp import free_udp_port, sipp_uas

    phone = server.svc.store.get_phone(mac)
    assert phone is not None and phone.last_config, f"{mac} never read a configuration"
    first = phone.last_config["LINES"][0]
    port = free_udp_port()
    server.svc.setting_set("SIP_PORT", str(port))
    scenario = workdir / "notify_vendor.xml"
    workdir.mkdir(parents=True, exist_ok=True)
    scenario.write_text(_NOTIFY_SCENARIO.replace("EVENT", re.escape(event)))
    keys = {"user": first["SIP_USERNAME"], "password": first["SIP_PASSWORD"]}
    async with sipp_uas("", workdir, keys, scenario_file=scenario, port=port) as uas:
        r = await api.post(f"/phones/{mac}/reload")
        assert r.status_code == 200, r.text
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    found = re.search(r"Event header: *(.*)", uas.diagnostics())
    assert found, uas.diagnostics()
    return found.group(1).strip()
