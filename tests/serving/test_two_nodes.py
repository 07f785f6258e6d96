"""Two provhost nodes (separate data directories and ports) on one PostgreSQL: a change
made on either node is seen by both, and resyncs the affected phone once, not once per
node (the resync watcher's advisory lock)."""

from __future__ import annotations

import re
import socket
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
