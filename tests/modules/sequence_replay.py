"""Replay a module's boot-sequence files (modules/<id>/tests/*.json, format in the helpers'
brief) against one real server with real clients: the `provhost` CLI for the setup, curl
with the firmware's User-Agent from the sequence's own loopback address, tftp-hpa.

The vendor tests use it to prove that the sequences they ship are true, and to get the
bodies a phone would read for their own checks.  tftp-hpa cannot pick its source address,
so TFTP steps come from 127.0.0.1 (markers of TFTP sequences therefore share one address,
which is also how several phones behind one NAT address look)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import trio
from provhost.paths import SOURCE_ROOT, Paths
from provhost.server.main import ServerConfig, serve_all
from provhost.service import Service

from ..serving.conftest import Running, curl, tftp_get

CLI = str(SOURCE_ROOT / ".venv/bin/provhost")
MAC_IN_PATH = re.compile(r"([0-9A-Fa-f]{12})")
STATUS = {"served": 200, "not_found": 404, "upload_accepted": (200, 201, 204), "refused": 403}


async def start_server(paths: Paths, nursery: trio.Nursery) -> Running:
    """A real server on loopback (HTTP, TFTP, API) whose store is empty: the sequences'
    setup makes the users (tests/serving/conftest.py's `server` adds one already)."""
    svc = Service(paths)
    cfg = ServerConfig(listen="127.0.0.1", http_port=0, tftp_port=0, api_port=0, ftp_port=None,
                       http_read_timeout=1.0)
    ports = await nursery.start(serve_all, svc, cfg)
    return Running(svc, ports)


@dataclass
class StepResult:
    step: dict[str, Any]
    status: str  # served | not_found | other:<detail>
    body: bytes


def load(module: str) -> dict[str, dict[str, Any]]:
    """The module's sequences by file name."""
    folder = SOURCE_ROOT / "modules" / module / "tests"
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


async def run_setup(server: Running, setup: list[list[str]]) -> None:
    """The setup commands, through the real CLI.  Several sequences share one server here,
    so a user that an earlier sequence already made is taken as made."""
    for args in setup:
        done = await trio.run_process([CLI, "--data-dir", str(server.svc.paths.data_dir), *args],
                                      capture_stdout=True, capture_stderr=True, check=False)
        shared_user = args[:2] == ["user", "add"] and b"already exists" in done.stderr
        assert done.returncode == 0 or shared_user, (args, done.stderr.decode())


async def fetch(server: Running, step: dict[str, Any], ip: str, tmp: Path) -> tuple[str, bytes]:
    """One request as the phone makes it: (served | not_found | other:<detail>, body)."""
    proto = step.get("proto", "tftp")
    if proto == "tftp":
        local = tmp / f"tftp-{abs(hash((step['path'], ip)))}"
        local.unlink(missing_ok=True)
        rc, msg = await tftp_get(server.ports.tftp, step["path"], str(local))
        if rc == 0 and "Error code" not in msg and local.exists():
            return "served", local.read_bytes()
        return ("not_found" if "file not found" in msg.lower() else f"other:{msg.strip()}"), b""
    assert proto == "http", proto
    args = ["--interface", ip]
    if step.get("user_agent"):
        args += ["-A", step["user_agent"]]
    status, body = await curl(*args, server.url(step["path"]))
    if status == 200:
        return "served", body
    return ("not_found" if status == 404 else f"other:{status}"), body


def check_step(server: Running, step: dict[str, Any], status: str, body: bytes) -> None:
    """The sequence file's checks for one answer (module/phone_type read from the store:
    the phone named in the path was last associated by that module, as that type)."""
    where = f"{step.get('proto', 'tftp')}:{step['path']}"
    assert status == step.get("expect", "served"), (where, status, body[:300])
    text = body.decode("utf-8", errors="replace")
    mac = MAC_IN_PATH.search(step["path"])
    if "phone_type" in step or ("module" in step and mac):
        assert mac, where
        phone = server.svc.store.get_phone(mac.group(1).lower())
        assert phone is not None, where
        if "phone_type" in step:
            assert phone.phone_type == step["phone_type"], (where, phone.phone_type)
        if "module" in step:
            assert phone.module_id == step["module"], (where, phone.module_id)
    parse = step.get("parse")
    if parse == "xml":
        ET.fromstring(body)
    elif parse == "json":
        json.loads(body)
    elif parse == "text":
        body.decode("utf-8")
    for needle in step.get("contains", []):
        assert needle in text, (where, needle, text)
    for needle in step.get("not_contains", []):
        assert needle not in text, (where, needle)
    for pattern in step.get("matches", []):
        assert re.search(pattern, text), (where, pattern, text)
    if step.get("crlf"):
        assert all(line.endswith("\r") for line in text.split("\n")[:-1]), where
    if "first_line" in step:
        assert text.split("\n", 1)[0].rstrip("\r") == step["first_line"], where


async def replay(server: Running, sequence: dict[str, Any], ip: str, tmp: Path
                 ) -> list[StepResult]:
    """Setup, then every step in order, each checked; the answers for further checks."""
    await run_setup(server, sequence.get("setup", []))
    results = []
    for step in sequence["steps"]:
        status, body = await fetch(server, step, ip, tmp)
        check_step(server, step, status, body)
        results.append(StepResult(step, status, body))
    return results


async def review_replay(chain: Any, module: str) -> int:
    """Replay every phone type's REVIEW of `module` from its own address, in order, as the
    Download-configuration feature does (the rules of tests/modules/test_bundled_modules);
    returns the number of entries checked."""
    from provhost.resync.runner import expand_type_options

    am = chain.engine.get(module)
    assert am is not None, module
    checked = 0
    for n, ptype in enumerate(am.entry.module.phone_types, start=1):
        mac = f"0a0b0d{n:06x}"
        review = (await expand_type_options(am, ptype, mac))["REVIEW"]
        assert "{" not in review and mac.upper() in review.upper(), (ptype.ident, review)
        for entry in review.split():
            optional, missing = entry.startswith("?"), entry.lstrip("?").startswith("!")
            proto, path = entry.lstrip("?!").split(":", 1)
            answer = await chain.get(path, ip=f"192.0.2.{n}", proto=proto)
            where = f"{ptype.ident}: {entry} -> {answer.status} by {answer.module}"
            if missing:
                assert answer.status != "served", where
            elif optional:
                assert answer.status != "served" or answer.module == module, where
            else:
                assert (answer.status, answer.module) == ("served", module), where
            checked += 1
        phone = chain.svc.store.get_phone(mac)
        assert phone is not None and phone.phone_type == ptype.ident, ptype.ident
    return checked


def api_client(server: Running) -> httpx.AsyncClient:
    """The management API as an administrator uses it (bearer token from the data dir)."""
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                             headers={"Authorization": f"Bearer {token}"}, timeout=60)


async def reload_phone(server: Running, mac: str) -> dict[str, Any]:
    """POST /api/v1/phones/{mac}/reload, as an administrator would."""
    async with api_client(server) as api:
        r = await api.post(f"/phones/{mac}/reload")
    assert r.status_code == 200, r.text
    return dict(r.json())
