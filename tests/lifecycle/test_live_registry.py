"""Module lifecycle on a running server: a change made by another process (the CLI) is
served within 2 seconds without a restart; an upgrade swaps pools with no request dropped
or mis-served, even ten upgrades in a row under load; old files stay until no worker uses
them; a module in development is reloaded in place, a syntax error keeping the previous
version; its phones are resynced (sipp as the phone)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest
import trio
from provhost import module_dirs
from provhost.paths import Paths
from provhost.server.main import ServerConfig, serve_all
from provhost.service import Service

from tests.sip.sipp import free_udp_port, sipp_uas
from tests.tftp import client as tftp

CLI = str(Path(__file__).parents[2] / ".venv/bin/provhost")
MAC = "00aabbcc0001"


def write_module(root: Path, version: str, body: str = "", provider: str = "") -> Path:
    (root / "providers").mkdir(parents=True, exist_ok=True)
    (root / "templates").mkdir(exist_ok=True)
    (root / "info").write_text(f"id = probe\nname = Probe\nversion = {version}\nsequence = 1\n"
                               "paths = /probe/*\n")
    (root / "phone_types").write_text('probe_phone 1 "Probe phone" RESYNC=SIPNOTIFY '
                                      'SIPNOTIFY_arg="reboot=true"\n')
    (root / "providers/p.php").write_text(provider or (
        "<?php\n"
        "if (preg_match('~^/probe/([0-9a-f]{12})\\.cfg$~', $PATH, $m)) {\n"
        "    associatePhone($m[1], 'probe_phone');\n"
        "    sendTemplate('t');\n"
        "}\n"))
    (root / "templates/t.tpl").write_text(body or f"version={version}\n")
    return root


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "--data-dir", str(data), *args], capture_output=True,
                          text=True, timeout=120, check=False)


async def _start(svc: Service, nursery: trio.Nursery):  # type: ignore[no-untyped-def]
    cfg = ServerConfig(listen="127.0.0.1", http_port=0, tftp_port=0, api_port=0,
                       ftp_port=None, http_read_timeout=1.0, resync_interval=0.2)
    return await nursery.start(serve_all, svc, cfg)


async def _get(port: int, path: str, interface: str = "127.0.0.1") -> tuple[int, str]:
    async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(
            local_address=interface)) as client:
        r = await client.get(f"http://127.0.0.1:{port}{path}", timeout=10)
    return r.status_code, r.text


async def _until(predicate, within: float) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    with trio.fail_after(within):
        while not await predicate():
            await trio.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture
def svc(empty_bundled_paths: Paths, tmp_path: Path) -> Service:
    tmp_path.chmod(0o755)
    return Service(empty_bundled_paths)


async def test_cli_changes_reach_a_running_server_within_two_seconds(
        svc: Service, tmp_path: Path, nursery: trio.Nursery) -> None:
    ports = await _start(svc, nursery)
    data = svc.paths.data_dir
    path = f"/probe/{MAC}.cfg"
    assert (await _get(ports.http, path))[0] == 404
    assert cli(data, "module", "install", "--allow-unsigned",
               str(write_module(tmp_path / "v1", "1.0"))).returncode == 0
    took = await _until(lambda: _served(ports.http, path, "version=1.0"), 2.0)
    assert took < 2.0
    first_dir = Path(svc.store.get_module("probe").path)
    assert cli(data, "module", "install", "--allow-unsigned",
               str(write_module(tmp_path / "v2", "1.1"))).returncode == 0
    await _until(lambda: _served(ports.http, path, "version=1.1"), 2.0)
    # the old version's files go once no worker (in any process) uses them
    await _until(lambda: _collected(svc, first_dir), 5.0)
    assert cli(data, "module", "disable", "probe").returncode == 0
    await _until(lambda: _status(ports.http, path, 404), 2.0)
    assert cli(data, "module", "enable", "probe").returncode == 0
    await _until(lambda: _status(ports.http, path, 200), 2.0)
    assert cli(data, "module", "remove", "probe").returncode == 0
    await _until(lambda: _status(ports.http, path, 404), 2.0)


async def _served(port: int, path: str, text: str) -> bool:
    status, body = await _get(port, path)
    return status == 200 and body == text + "\n"


async def _status(port: int, path: str, status: int) -> bool:
    return (await _get(port, path))[0] == status


async def _collected(svc: Service, directory: Path) -> bool:
    await trio.to_thread.run_sync(module_dirs.collect, svc.paths, svc.store)
    return not directory.exists()


async def test_ten_upgrades_under_load_drop_nothing(
        svc: Service, tmp_path: Path, nursery: trio.Nursery) -> None:
    assert cli(svc.paths.data_dir, "module", "install", "--allow-unsigned",
               str(write_module(tmp_path / "v0", "1.0"))).returncode == 0
    svc.registry.load()
    ports = await _start(svc, nursery)
    versions = ["1.0"] + [f"1.{n}" for n in range(1, 11)]
    sources = [write_module(tmp_path / f"src{n}", v) for n, v in enumerate(versions)]
    seen: dict[str, list[str]] = {}
    failures: list[str] = []
    done = trio.Event()

    async def phone(n: int) -> None:
        ip = f"127.0.0.{20 + n}"
        mac = f"00aabbcc{n:04x}"
        sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
        await sock.bind((ip, 0))
        with sock:
            while not done.is_set():
                try:
                    if n % 2:
                        status, body = await _get(ports.http, f"/probe/{mac}.cfg", ip)
                        if status != 200:
                            failures.append(f"{ip} http {status}")
                            continue
                    else:
                        body = (await tftp.get(ports.tftp, f"/probe/{mac}.cfg",
                                               sock=sock)).data.decode()
                except Exception as e:
                    failures.append(f"{ip}: {type(e).__name__}: {e}")
                    continue
                seen.setdefault(ip, []).append(body.strip().removeprefix("version="))

    async with trio.open_nursery() as load:
        for n in range(8):
            load.start_soon(phone, n)
        for source in sources[1:]:  # ten upgrades in a row, from another process
            r = await trio.to_thread.run_sync(lambda s=source: cli(
                svc.paths.data_dir, "module", "install", "--allow-unsigned", str(s)))
            assert r.returncode == 0, r.stderr
            await trio.sleep(0.3)
        await _until(lambda: _served(ports.http, f"/probe/{MAC}.cfg", "version=1.10"), 2.0)
        await trio.sleep(0.5)
        done.set()
    assert failures == []
    order = {v: i for i, v in enumerate(versions)}
    for ip, got in seen.items():
        assert all(v in order for v in got), (ip, set(got) - order.keys())
        ranks = [order[v] for v in got]
        assert ranks == sorted(ranks), f"{ip} went back to an older version: {got}"
        assert got[-1] == "1.10", (ip, got[-1])
    assert sum(len(v) for v in seen.values()) > 80


async def test_dev_module_reload_keeps_the_last_good_version_and_resyncs(
        svc: Service, tmp_path: Path, nursery: trio.Nursery) -> None:
    source = write_module(tmp_path / "dev", "0.4")
    data = svc.paths.data_dir
    refused = cli(data, "module", "dev", str(source))
    assert refused.returncode == 1 and "unsigned" in refused.stderr
    assert cli(data, "module", "dev", "--allow-unsigned", str(source)).returncode == 0
    svc.registry.load()
    listed = cli(data, "module", "list")
    assert "DEV" in listed.stdout
    ports = await _start(svc, nursery)
    path = f"/probe/{MAC}.cfg"
    assert await _served(ports.http, path, "version=0.4")  # from 127.0.0.1: sipp's address
    svc.store.add_user("alice", "Alice Example")
    svc.line_add("21", user="alice", phone=MAC)
    assert await _served(ports.http, path, "version=0.4")  # its configuration, with the line
    (source / "templates/t.tpl").write_text("edited in place\n")
    port = free_udp_port()
    svc.setting_set("SIP_PORT", str(port))
    async with sipp_uas("notify_ok.xml", tmp_path / "sipp", port=port) as uas:
        r = cli(data, "module", "reload", "probe")
        assert r.returncode == 0, r.stderr
        await _until(lambda: _served(ports.http, path, "edited in place"), 2.0)
        rc = await uas.finish()
        assert rc == 0, (svc.store.get_phone(MAC), uas.diagnostics())  # got its NOTIFY
    # a syntax error: refused with file:line, the last good snapshot keeps serving
    (source / "providers/p.php").write_text("<?php\nif ($PATH === {\n")
    r = cli(data, "module", "reload", "probe")
    assert r.returncode == 1 and "providers/p.php:2:" in r.stderr, r.stderr
    await trio.sleep(1.0)
    assert await _served(ports.http, path, "edited in place")
