"""Zenitel IP stations: the module's boot sequences replayed with tftp-hpa against one
server; resync/zenitel.php reboots the station through its web interface (a loopback
HTTP server posing as the station checks the request, the basic credentials and the
form body)."""

from __future__ import annotations

import base64
import shutil
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import trio
from provhost.paths import Paths
from provhost.resync.runner import resync_phone

from .conftest import BUNDLED, Chain, Running, open_chain, tftp_get
from .replay_sequences import replay, sequences

MAC = "0013cb00a0b0"


async def test_zenitel_sequences(server: Running, tmp_path: Path) -> None:
    for n, file in enumerate(sequences("zenitel")):
        problems = await replay(server, file, f"127.0.0.{80 + n}", tmp_path)
        assert problems == [], problems
    # a name cannot add a key or a section of its own
    server.svc.user_add("mallory", "Eve\n[sip]\n sip_domain=evil.example")
    server.svc.phone_add("0013cb000003", "zenitel_ip_station")
    server.svc.line_add("83", user="mallory", phone="0013cb000003")
    rc, msg = await tftp_get(server.ports.tftp, "/ipst_config_00_13_cb_00_00_03.cfg",
                             str(tmp_path / "z.cfg"))
    lines = (tmp_path / "z.cfg").read_text().splitlines()
    assert rc == 0, msg
    assert lines.count("[sip]") == 1 and " sip_domain=evil.example" not in lines
    assert " nick_name=Eve [sip]  sip_domain=evil.example" in lines


class FakeStation:
    """The station's web server: answers 401 (basic) until admin/alphaadmin is given."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bool, bytes]] = []  # (request line, authorised, body)

    async def handle(self, stream: trio.SocketStream) -> None:
        data = b""
        with trio.move_on_after(5):
            while b"\r\n\r\n" not in data:
                chunk = await stream.receive_some(4096)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip()
                       for k, _, v in (ln.partition(":") for ln in lines[1:])}
            length = int(headers.get("content-length", "0"))
            while len(body) < length:
                body += await stream.receive_some(4096)
            good = "Basic " + base64.b64encode(b"admin:alphaadmin").decode()
            ok = headers.get("authorization") == good
            self.requests.append((lines[0], ok, body))
            if ok:
                reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            else:
                reply = (b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"ipst\""
                         b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await stream.send_all(reply)
        await stream.aclose()


async def _chain(tmp_path: Path, port: int) -> AsyncIterator[Chain]:
    """The bundled modules, with the station's web port pointing at the fake station."""
    bundled = tmp_path / "bundled"
    shutil.copytree(BUNDLED, bundled)
    types = bundled / "zenitel" / "phone_types"
    text = types.read_text()
    assert " web_port=80" in text
    types.write_text(text.replace(" web_port=80", f" web_port={port}"))
    paths = Paths(data_dir=tmp_path / "data", bundled_dir=bundled)
    paths.ensure()
    async for chain in open_chain(paths):
        yield chain


async def test_zenitel_resync_reboots_through_the_web_interface(
        tmp_path: Path, nursery: trio.Nursery) -> None:
    station = FakeStation()
    listeners = await nursery.start(partial(trio.serve_tcp, station.handle, 0, host="127.0.0.1"))
    port = listeners[0].socket.getsockname()[1]
    async for chain in _chain(tmp_path, port):
        chain.svc.phone_add(MAC, "zenitel_ip_station")
        answer = await chain.get("/ipst_config_00_13_cb_00_a0_b0.cfg", ip="127.0.0.1")
        assert answer.status == "served"
        result = await resync_phone(chain.engine, MAC)
        assert (result.method, result.ok) == ("zenitel", True), result
        assert result.detail.startswith(f"reboot requested from {MAC}")
        assert ("POST /goform/zForm_send_cmd HTTP/1.1", True, b"message=Reboot") in \
            station.requests
