"""Existing Kerio modules run unchanged: a module written from the Provisioning Reference
Guide's tables (tests/kerio/kcompat) touches every input variable and function in the
contexts where the guide says it exists, on both runtimes, over TFTP and HTTP, from several
loopback addresses reaching several server addresses."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import trio
from provhost.paths import Paths
from provhost.server.main import ServerConfig, serve_all
from provhost.service import Service

from tests.serving.conftest import curl
from tests.tftp import client as tftp

MODULE = Path(__file__).parent / "kcompat"
CLI = str(Path(__file__).parents[2] / ".venv/bin/provhost")
MAC = "0011223344aa"


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "--data-dir", str(data), *args], capture_output=True,
                          text=True, timeout=120, check=False)


async def _serve(svc: Service, nursery: trio.Nursery, listen: str = "0.0.0.0"):  # type: ignore[no-untyped-def]
    # the wildcard address: $OPERATOR_IP must then follow the address each request reached
    # (only loopback addresses are ever used by the clients)
    cfg = ServerConfig(listen=listen, http_port=0, tftp_port=0, api_port=0, ftp_port=None,
                       http_read_timeout=1.0)
    return await nursery.start(serve_all, svc, cfg)


def _install(empty_bundled_paths: Paths, runtime: str, version: str = "1.0") -> Service:
    src = empty_bundled_paths.data_dir.parent / f"kcompat-{version}"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(MODULE, src)
    info = (src / "info").read_text().replace("version = 1.0", f"version = {version}")
    (src / "info").write_text(info)
    svc = Service(empty_bundled_paths)
    svc.module_install(src, allow_unsigned=True, force=True)
    svc.module_runtime("kcompat", runtime)
    return svc


@pytest.mark.parametrize("runtime", ["native", "wasm"])
async def test_request_variables_on_every_protocol_and_address(
        empty_bundled_paths: Paths, nursery: trio.Nursery, runtime: str) -> None:
    svc = _install(empty_bundled_paths, runtime)
    svc.store.add_user("alice", "Alice Example")
    svc.line_add("10", user="alice")
    svc.prefix_add("0")
    svc.setting_set("TIMEZONE", "Europe/Prague")
    ports = await _serve(svc, nursery)
    expected_offset = int(datetime.now(UTC).astimezone(ZoneInfo("Europe/Prague"))
                          .utcoffset().total_seconds())  # type: ignore[union-attr]

    async def http(address: str, interface: str, path: str) -> dict:
        status, body = await curl("--interface", interface, "--path-as-is",
                                  "-H", "Accept: text/x-kerio", "-H", "X-Probe-Id: 7",
                                  "-A", "Kerio-Probe/1.0",
                                  f"http://{address}:{ports.http}{path}")
        assert status == 200, body
        return json.loads(body)

    first = await http("127.0.0.2", "127.0.0.2", f"/kc/{MAC}.json")
    assert first["PHONE_IP"] == first["CLIENT_IP"] == "127.0.0.2"
    assert first["OPERATOR_IP"] == "127.0.0.2"  # the address this request reached
    assert first["PROTO"] == "http" and first["PATH"] == f"/kc/{MAC}.json"
    assert first["HTTP"]["HTTP_USER_AGENT"] == first["USER_AGENT"] == "Kerio-Probe/1.0"
    assert first["HTTP"]["HTTP_ACCEPT"] == "text/x-kerio"
    assert first["HTTP"]["HTTP_X_PROBE_ID"] == "7"
    assert first["REQUEST_HEADERS"]["x-probe-id"] == "7"  # provhost's own alias stays
    assert first["OPT"] == {}
    assert first["TIMEZONE"] == "Europe/Prague"
    assert first["TIMEZONE_OFFSET"] == expected_offset
    assert first["flavour"] == "KC-probe" and first["DIALPLAN"] == "1.|5.|0.*"
    assert first["count"] == 1

    # another client address reaching another server address; a path with dot segments
    second = await http("127.0.0.3", "127.0.0.4", f"/kc/../kc/./x/../{MAC}.json")
    assert (second["PHONE_IP"], second["OPERATOR_IP"]) == ("127.0.0.4", "127.0.0.3")
    assert second["PATH"] == f"/kc/{MAC}.json"
    assert second["count"] == 2  # the module's persistent global

    # TFTP with RFC 2347 options, to a third server address
    sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
    await sock.bind(("127.0.0.6", 0))
    with sock:
        got = await tftp.get(ports.tftp, f"/kc/{MAC}.json", host="127.0.0.5",
                             options={"blksize": "1024", "tsize": "0"}, sock=sock)
    third = json.loads(got.data)
    assert (third["PHONE_IP"], third["OPERATOR_IP"], third["PROTO"]) == (
        "127.0.0.6", "127.0.0.5", "tftp")
    assert third["OPT"] == {"OPT_blksize": "1024", "OPT_tsize": "0"}
    assert third["HTTP"] == {} and third["count"] == 3

    # pinned offset and address win over the automatic ones
    svc.setting_set("TIMEZONE_OFFSET", "-18000")
    svc.setting_set("OPERATOR_IP", "198.51.100.7")
    pinned = await http("127.0.0.2", "127.0.0.2", f"/kc/{MAC}.json")
    assert (pinned["TIMEZONE_OFFSET"], pinned["OPERATOR_IP"]) == (-18000, "198.51.100.7")

    # an old-style module: each(), split(), create_function(), eregi(), generateDialplan()
    status, body = await curl(f"http://127.0.0.2:{ports.http}/kc/old.txt")
    assert status == 200, body
    assert body.decode() == "a=1 b=2 xyz 42 link\ndialplan= / 1.|5.|0.*\n"  # no phone yet

    # past the bound: a clear refusal, the module keeps serving
    status, _ = await curl(f"http://127.0.0.2:{ports.http}/kc/big")
    assert status == 404
    token = (svc.paths.data_dir / "api-token").read_text().strip()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports.api}/api/v1",
                                 headers={"Authorization": f"Bearer {token}"}) as api:
        traces = (await api.get("/traces", params={"limit": "20"})).json()
        big = next(t for t in traces if t["path"] == "/kc/big")
        assert "at most 65536" in json.dumps(big)
        shown = (await api.get("/modules/kcompat/vars")).json()
        assert shown["kc_count"] == 4 and "big" not in shown


async def test_module_globals_survive_restart_and_upgrade_and_go_with_the_module(
        empty_bundled_paths: Paths, tmp_path: Path) -> None:
    data = empty_bundled_paths.data_dir
    svc = _install(empty_bundled_paths, "native")
    for expected in (1, 2):
        async with trio.open_nursery() as nursery:
            ports = await _serve(svc, nursery, "127.0.0.1")
            status, body = await curl(f"http://127.0.0.1:{ports.http}/kc/{MAC}.json")
            assert status == 200 and json.loads(body)["count"] == expected
            nursery.cancel_scope.cancel()  # a restart
    svc.close()
    upgraded = _install(empty_bundled_paths, "native", "1.1")
    upgraded.close()
    shown = _cli(data, "--json", "module", "vars", "kcompat")
    assert shown.returncode == 0 and json.loads(shown.stdout)["kc_count"] == 2  # kept
    assert _cli(data, "module", "remove", "kcompat").returncode == 0
    again = _install(empty_bundled_paths, "native", "1.2")
    assert again.store.module_globals("kcompat") == {}  # removed with the module


async def test_resync_script_with_last_ip_globals_sockets_and_urlopen(
        empty_bundled_paths: Paths, nursery: trio.Nursery) -> None:
    svc = _install(empty_bundled_paths, "native")
    svc.setting_set("TIMEZONE", "America/New_York")
    ports = await _serve(svc, nursery, "127.0.0.1")
    peer = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
    await peer.bind(("127.0.0.7", 0))  # the phone's UDP port
    port = peer.getsockname()[1]
    with peer:
        status, _ = await curl("--interface", "127.0.0.7",
                               f"http://127.0.0.1:{ports.http}/kc/port/{port}")
        assert status == 200
        status, _ = await curl("--interface", "127.0.0.7",
                               f"http://127.0.0.1:{ports.http}/kc/{MAC}.json")
        assert status == 200

        async def phone() -> list[dict]:
            first, addr = await peer.recvfrom(4096)
            await peer.sendto(b"SIP/2.0 200 OK", addr)
            second, _ = await peer.recvfrom(4096)
            return [json.loads(first), json.loads(second), {"addr": list(addr)}]

        token = (svc.paths.data_dir / "api-token").read_text().strip()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports.api}/api/v1",
                                     headers={"Authorization": f"Bearer {token}"},
                                     timeout=30) as api:
            result: list[dict] = []

            async def listen() -> None:
                result.extend(await phone())

            async with trio.open_nursery() as n:
                n.start_soon(listen)
                r = await api.post(f"/phones/{MAC}/reload")
                assert r.status_code == 200 and r.json()["ok"], r.text
    report, final, addr = result
    assert report == {"LAST_IP": "127.0.0.7", "OPERATOR_IP": "127.0.0.1", "count": 1,
                      "TIMEZONE": "America/New_York", "url_is_false": True,
                      "elsewhere": False}
    assert final["ready"] == 1 and final["answer"] == "SIP/2.0 200 OK"
    assert (final["from"], final["fromPort"]) == ("127.0.0.7", port)
    assert final["localPort"] == addr["addr"][1] and final["sent"] > 0
    assert svc.module_vars("kcompat")["kc_resynced"] == "yes"


async def test_compat_reports_the_module_identical_and_check_lists_old_calls(
        tmp_path: Path) -> None:
    out = _cli(tmp_path / "data", "--json", "module", "check", str(MODULE))
    problems = json.loads(out.stdout)
    old = sorted((p["text"].split(": ")[0], p["text"].split("warning: ")[1].split("(")[0])
                 for p in problems if "removed from PHP 8" in p["text"])
    assert old == [("providers/kc.php:32", "each"), ("providers/kc.php:33", "split"),
                   ("providers/kc.php:34", "create_function"), ("providers/kc.php:35", "eregi"),
                   ("templates/old.tpl:2", "generateDialplan"),
                   ("templates/old.tpl:2", "generateDialplan")]
    compat = _cli(tmp_path / "data2", "--json", "module", "compat", str(MODULE))
    assert compat.returncode == 0, compat.stdout + compat.stderr
    assert all(row["identical"] for row in json.loads(compat.stdout))
