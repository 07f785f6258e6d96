"""Firmware packages on a running server: installed through the API, the phone's configuration
changes, it goes stale and gets its SIP NOTIFY (sipp posing as the phone); the CLI installs
from a local file, fills a mirror and writes hashes that `module check` accepts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import trio
from provhost.paths import Paths
from provhost.server.main import ServerConfig, serve_all
from provhost.service import Service

from tests.serving.conftest import curl
from tests.sip.sipp import free_udp_port, sipp_uas

from .vendor import GOOD, OTHER, sha, vendor_server, write_module

CLI = str(Path(__file__).parents[2] / ".venv/bin/provhost")
MAC = "00a0de000001"


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "--data-dir", str(data), *args], capture_output=True,
                          text=True, timeout=120, check=False)


async def _wait_for(predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    with trio.move_on_after(20):
        while not predicate():
            await trio.sleep(0.05)
        return
    raise AssertionError(f"timed out waiting for: {what}")


async def test_api_install_makes_the_phone_stale_and_resyncs_it(
        empty_bundled_paths: Paths, tmp_path: Path, nursery: trio.Nursery) -> None:
    tmp_path.chmod(0o755)
    with vendor_server() as (base, _hits):
        svc = Service(empty_bundled_paths)
        svc.module_install(write_module(tmp_path / "fwpkg", base), allow_unsigned=True)
        svc.store.add_user("alice", "Alice Example")
        svc.phone_add(MAC, "fwphone")
        svc.line_add("21", user="alice", phone=MAC)
        cfg = ServerConfig(listen="127.0.0.1", http_port=0, tftp_port=0, api_port=0,
                           ftp_port=None, http_read_timeout=1.0, resync_interval=0.2)
        ports = await nursery.start(serve_all, svc, cfg)
        url = f"http://127.0.0.1:{ports.http}/fwpkg-{MAC}.cfg"
        assert await curl(url) == (200, b"fw=none\n")
        port = free_udp_port()
        svc.setting_set("SIP_PORT", str(port))
        token = (svc.paths.data_dir / "api-token").read_text().strip()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports.api}/api/v1",
                                     headers={"Authorization": f"Bearer {token}"},
                                     timeout=60) as api:
            async with sipp_uas("notify_ok.xml", tmp_path / "sipp", port=port) as uas:
                r = await api.post("/firmware/fwpkg/packages/good", json={})
                assert r.status_code == 200, r.text
                content_id = r.json()["content_id"]
                stale = [p["mac"] for p in (await api.get("/phones/stale")).json()]
                assert stale == [MAC]
                assert await uas.finish() == 0, uas.diagnostics()  # the phone got its NOTIFY
            await _wait_for(lambda: (svc.store.get_phone(MAC).resync_result or "")
                            .startswith("ok"), "resync recorded")
            assert await curl(url) == (200, f"fw={content_id}\n".encode())

            # the administrator's own copy of the file, through the API: checked first
            r = await api.put("/firmware/fwpkg/packages/good", content=OTHER)
            assert r.status_code == 422 and "SHA-256 mismatch" in r.json()["error"]
            r = await api.put("/firmware/fwpkg/packages/redirected", content=GOOD)
            assert r.status_code == 200, r.text
            r = await api.post("/firmware/fwpkg/packages/good", json={"from": "/etc/passwd"})
            assert r.status_code == 400  # no server-side paths over the API
            rows = {p["package"]: p for p in (await api.get("/firmware/packages")).json()}
            assert rows["redirected"]["installed"] and not rows["good"]["installed"]
            assert rows["unpinned"]["verified"] is False


async def test_cli_from_file_mirror_and_fw_hash(empty_bundled_paths: Paths,
                                                tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    data = empty_bundled_paths.data_dir
    with vendor_server() as (base, hits):
        module = write_module(tmp_path / "fwpkg", base)
        assert _cli(data, "module", "install", "--allow-unsigned", str(module)).returncode == 0
        local = tmp_path / "good.bin"
        local.write_bytes(GOOD)
        done = _cli(data, "--json", "firmware", "install", "fwpkg", "good", "--from", str(local))
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["verified"] is True and hits == []
        refused = _cli(data, "firmware", "install", "fwpkg", "licensed")
        assert refused.returncode == 1 and "--accept-licence" in refused.stderr
        listing = _cli(data, "firmware", "packages", "fwpkg")
        assert "installed" in listing.stdout and "UNVERIFIED" in listing.stdout

        mirror = tmp_path / "mirror"
        out = _cli(data, "--json", "firmware", "mirror", str(mirror), "fwpkg")
        assert out.returncode == 1  # some vendor links are broken on purpose
        assert "could not be mirrored" in out.stdout + out.stderr
    assert (mirror / sha(GOOD) / "good.bin").read_bytes() == GOOD
    assert not (mirror / sha(GOOD) / "other.bin").exists()  # the vendor served other bytes
    assert not (mirror / ".partial").exists()
    # the vendor is gone now: the mirror alone serves an install
    assert _cli(data, "settings", "set", "FIRMWARE_MIRROR", str(mirror)).returncode == 0
    done = _cli(data, "firmware", "install", "fwpkg", "redirected")
    assert done.returncode == 0, done.stderr

    # an author's new release: fw-hash writes the entry, module check accepts it
    author = tmp_path / "author"
    shutil.copytree(module, author)
    new = tmp_path / "fw-2.0.bin"
    new.write_bytes(b"FWIMG 2.0" * 1000)
    text = (author / "firmware_packages").read_text()
    (author / "firmware_packages").write_text(
        text + "\n[package v2]\nname = Firmware 2.0\nslot = fw\nfiles = fw-2.0.bin\n")
    out = _cli(data, "module", "fw-hash", str(author), str(new))
    assert out.returncode == 0, out.stderr
    assert f"sha256 = {sha(new.read_bytes())}" in (author / "firmware_packages").read_text()
    check = _cli(data, "--json", "module", "check", str(author))
    problems = json.loads(check.stdout) if check.stdout.strip().startswith("[") else []
    assert check.returncode == 0, check.stdout + check.stderr
    assert not [p for p in problems if p["severity"] == "error"]
