"""Two provhost nodes (separate data directories and ports) on one PostgreSQL: a change
made on either node is seen by both, and resyncs the affected phone once, not once per
node (the resync watcher's advisory lock)."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import httpx
import trio
from provhost.paths import Paths
from provhost.server.main import ServerConfig, serve_all
from provhost.service import Service

from tests.pgcluster import PgCluster
from tests.sip.sipp import free_udp_port

from .conftest import Running, curl

MAC = "0004f2cc0001"
CALL_ID = re.compile(rb"^(?:Call-ID|i):\s*(\S+)", re.IGNORECASE | re.MULTILINE)


async def _node(root: Path, url: str, nursery: trio.Nursery) -> Running:
    root.mkdir()
    root.chmod(0o755)
    paths = Paths(data_dir=root / "data", bundled_dir=Paths.from_env(root).bundled_dir,
                  database_url=url)
    paths.ensure()
    svc = Service(paths)
    cfg = ServerConfig(listen="127.0.0.1", http_port=0, tftp_port=0, api_port=0, ftp_port=None,
                       http_read_timeout=1.0, resync_interval=0.2)
    return Running(svc, await nursery.start(serve_all, svc, cfg))


async def test_a_change_on_either_node_resyncs_the_phone_once(
        tmp_path: Path, pg_cluster: PgCluster, nursery: trio.Nursery) -> None:
    url = pg_cluster.new_database()
    a = await _node(tmp_path / "a", url, nursery)
    b = await _node(tmp_path / "b", url, nursery)
    a.svc.store.add_user("alice", "Alice Example")
    a.svc.phone_add(MAC, "spip550")
    a.svc.line_add("21", user="alice", phone=MAC)
    # the phone boots from node B: node A's store sees it (one database)
    status, body = await curl("--interface", "127.0.0.1", b.url(f"/polycom-spip550-{MAC}.cfg"))
    assert status == 200 and b"Alice Example" in body
    assert a.svc.store.get_phone(MAC).config_fingerprint is not None

    # the "phone": a UDP socket counting NOTIFY transactions (distinct Call-IDs; a
    # retransmission repeats its Call-ID), never answering
    port = free_udp_port()
    sock = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    await sock.bind(("127.0.0.1", port))
    a.svc.setting_set("SIP_PORT", str(port))
    a.svc.setting_set("SIP_NOTIFY_TIMEOUT", "1")
    calls: set[bytes] = set()

    async def listen() -> None:
        while True:
            data, _ = await sock.recvfrom(65536)
            if data.startswith(b"NOTIFY ") and (m := CALL_ID.search(data)):
                calls.add(m[1])

    token = (b.svc.paths.data_dir / "api-token").read_text().strip()
    async with trio.open_nursery() as inner:
        inner.start_soon(listen)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{b.ports.api}/api/v1",
                                     headers={"Authorization": f"Bearer {token}"}) as api:
            r = await api.patch("/users/alice", json={"fullname": "Alice Renamed"})
            assert r.status_code == 200, r.text
        with trio.move_on_after(15):
            while not calls:
                await trio.sleep(0.05)
        await trio.sleep(3)  # both watchers scan every 0.2 s: a second one would be here
        inner.cancel_scope.cancel()
    sock.close()
    assert len(calls) == 1, calls
    # node A serves the renamed user too (its snapshot follows the shared change counter)
    status, body = await curl("--interface", "127.0.0.1", a.url(f"/polycom-spip550-{MAC}.cfg"))
    assert status == 200 and b"Alice Renamed" in body


async def test_yealink_two_stage_detection_across_nodes(
        tmp_path: Path, pg_cluster: PgCluster, nursery: trio.Nursery) -> None:
    """The common file reaches node A, the MAC file node B (a load balancer without address
    affinity): node B answers with the Yealink module from the marker node A set."""
    url = pg_cluster.new_database()
    a = await _node(tmp_path / "a", url, nursery)
    b = await _node(tmp_path / "b", url, nursery)
    for i, (first, second) in enumerate(((a, b), (b, a), (a, a))):
        ip, mac = f"127.0.4.{i + 1}", f"0015650004{i:02x}"
        status, _ = await curl("--interface", ip, first.url("/y000000000046.cfg"))
        assert status == 404
        status, body = await curl("--interface", ip, second.url(f"/{mac}.cfg"))
        assert status == 200 and body.startswith(b"#!version:1.0.0.1"), body[:100]
        assert a.svc.store.get_phone(mac).module_id == "yealink"
    # without the marker (another address), the MAC file is not Yealink's
    status, body = await curl("--interface", "127.0.4.9", b.url("/001565000409.cfg"))
    assert not body.startswith(b"#!version:1.0.0.1")


def test_shared_markers_expire(pg_cluster: PgCluster) -> None:
    from provhost.store.postgres import PostgresStore

    url = pg_cluster.new_database()
    a, b = PostgresStore(url), PostgresStore(url)
    try:
        assert a.set_marker("127.0.5.1", "model", "t46", 0.5, 2)
        assert b.markers("127.0.5.1") == {"model": "t46"}  # another node sees it
        assert a.set_marker("127.0.5.1", "x", "1", 0.5, 2)
        assert not b.set_marker("127.0.5.1", "y", "1", 0.5, 2)  # bounded per address
        assert a.set_marker("127.0.5.1", "model", "t48", 0.5, 2)  # renewing is no new one
        assert b.markers("127.0.5.2") == {}
        time.sleep(0.7)
        assert a.markers("127.0.5.1") == {}
    finally:
        a.close()
        b.close()
