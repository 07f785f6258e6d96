"""Change tracking and automatic resync: a change marks exactly the affected phones stale,
the server sends each of them a SIP NOTIFY (received by sipp posing as the phone, which
checks the digest made with the phone's LAST_CONFIG credentials), and a phone is current
again once it has fetched its configuration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import trio
from provhost.paths import Paths
from provhost.server.main import ServerConfig, serve_all
from provhost.service import Service

from tests.sip.sipp import free_udp_port, sipp_uas

from .conftest import Running, curl

# the store behind these servers: SQLite and PostgreSQL
pytestmark = pytest.mark.both_backends

PHONE_A, PHONE_B = "0004f2aa0001", "0004f2bb0002"
CLI = str(Path(__file__).parents[2] / ".venv/bin/provhost")


@pytest.fixture
async def watched(paths: Paths, nursery: trio.Nursery) -> Running:
    svc = Service(paths)
    svc.store.add_user("alice", "Alice Example")
    svc.store.add_user("bob", "Bob Example")
    cfg = ServerConfig(listen="127.0.0.1", http_port=0, tftp_port=0, api_port=0, ftp_port=None,
                       http_read_timeout=1.0, resync_interval=0.2)
    ports = await nursery.start(serve_all, svc, cfg)
    return Running(svc, ports)


def _api(server: Running) -> httpx.AsyncClient:
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)


async def _boot(server: Running, mac: str, interface: str) -> None:
    status, _ = await curl("--interface", interface,
                           server.url(f"/polycom-spip550-{mac}.cfg"))
    assert status == 200


async def _stale(api: httpx.AsyncClient) -> list[str]:
    return [p["mac"] for p in (await api.get("/phones/stale")).json()]


async def _wait_for(predicate: Callable[[], bool], what: str) -> None:
    """Bounded wait for background work (`what` names it in the failure)."""
    with trio.move_on_after(20):
        while not predicate():
            await trio.sleep(0.05)
        return
    raise AssertionError(f"timed out waiting for: {what}")


async def test_user_rename_resyncs_exactly_the_affected_phone(watched: Running,
                                                              tmp_path: Path) -> None:
    svc = watched.svc
    for mac, user, telnum in ((PHONE_A, "alice", "21"), (PHONE_B, "bob", "22")):
        svc.phone_add(mac, "spip550")
        svc.line_add(telnum, user=user, phone=mac)
    await _boot(watched, PHONE_A, "127.0.0.1")  # where sipp will listen
    await _boot(watched, PHONE_B, "127.0.0.2")
    last = svc.store.get_phone(PHONE_A).last_config["LINES"][0]
    port = free_udp_port()
    svc.setting_set("SIP_PORT", str(port))  # a CLI-style change: nobody is stale from it
    async with _api(watched) as api:
        assert await _stale(api) == []
        keys = {"user": last["SIP_USERNAME"], "password": last["SIP_PASSWORD"],
                "qop_param": ', qop="auth"'}
        async with sipp_uas("notify_digest.xml", tmp_path, keys, port=port) as uas:
            r = await api.patch("/users/alice", json={"fullname": "Alice Renamed"})
            assert r.status_code == 200, r.text
            assert await _stale(api) == [PHONE_A]
            rc = await uas.finish()  # sipp got the NOTIFY, challenged, verified the digest
        assert rc == 0, uas.diagnostics()
        await _wait_for(lambda: svc.store.get_phone(PHONE_A).resync_result is not None,
                        "resync recorded")
        assert svc.store.get_phone(PHONE_A).resync_result.startswith("ok (SIPNOTIFY)")
        assert svc.store.get_phone(PHONE_B).resync_result is None
        stale = (await api.get("/phones/stale")).json()
        assert stale[0]["reason"] == "configuration changed since the phone last fetched it"
        await _boot(watched, PHONE_A, "127.0.0.1")  # the phone reloads
        assert await _stale(api) == []
        status, body = await curl(watched.url(f"/polycom-spip550-{PHONE_A}.cfg"))
        assert status == 200 and b"Alice Renamed" in body


async def test_change_from_another_process_is_noticed(watched: Running, tmp_path: Path) -> None:
    svc = watched.svc
    svc.phone_add(PHONE_A, "spip550")
    svc.line_add("31", user="alice", phone=PHONE_A)
    await _boot(watched, PHONE_A, "127.0.0.1")
    port = free_udp_port()
    svc.setting_set("SIP_PORT", str(port))
    last = svc.store.get_phone(PHONE_A).last_config["LINES"][0]
    keys = {"user": last["SIP_USERNAME"], "password": last["SIP_PASSWORD"], "qop_param": ""}
    async with sipp_uas("notify_digest.xml", tmp_path, keys, port=port) as uas:
        # the CLI is another process: the server learns of it from the database
        await trio.run_process([CLI, "--data-dir", str(svc.paths.data_dir), "--database",
                                svc.paths.database_url, "prefix", "add", "0"],
                               capture_stdout=True)
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    stale = await trio.run_process([CLI, "--data-dir", str(svc.paths.data_dir), "--database",
                                    svc.paths.database_url, "--json", "phone", "stale"],
                                   capture_stdout=True)
    assert PHONE_A in stale.stdout.decode()


async def test_phone_reload_on_demand_reports_no_answer(watched: Running) -> None:
    svc = watched.svc
    svc.phone_add(PHONE_B, "spip550")
    svc.line_add("41", user="bob", phone=PHONE_B)
    await _boot(watched, PHONE_B, "127.0.0.9")
    svc.setting_set("SIP_PORT", str(free_udp_port()))  # nothing listens there
    svc.setting_set("SIP_NOTIFY_TIMEOUT", "2")
    async with _api(watched) as api:
        r = await api.post(f"/phones/{PHONE_B}/reload")
    body = r.json()
    assert body["method"] == "SIPNOTIFY" and body["ok"] is False
    assert body["detail"].startswith("no answer")
