"""Phone uploads: Polycom PUTs logs and overrides; the host stores them per phone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import trio

from .conftest import Running, curl, tftp_get
from .test_api import _client

MAC = "0004f2a0b0c0"


async def _booted_polycom(server: Running, tmp_path: Path, interface: str = "127.0.0.1") -> None:
    server.svc.phone_add(MAC, "spip550")
    status, _ = await curl("--interface", interface,
                           server.url(f"/polycom-spip550-{MAC}.cfg"))
    assert status == 200


async def test_polycom_log_upload_is_stored_and_shown(server: Running, tmp_path: Path) -> None:
    await _booted_polycom(server, tmp_path)
    log_text = b"0101000000|cfg  |4|00|Prm|Parameter reg.1.address requested type 2\n" * 50
    (tmp_path / "app.log").write_bytes(log_text)
    status, _ = await curl("-T", str(tmp_path / "app.log"), server.url(f"/{MAC}-app.log"))
    assert status == 204
    status, _ = await curl("-X", "PUT", "--data-binary", "boot", server.url(f"/{MAC}-boot.log"))
    assert status == 204
    listed = server.svc.phone_uploads(MAC)
    assert [(u["name"], u["size"]) for u in listed] == [
        (f"{MAC}-app.log", len(log_text)), (f"{MAC}-boot.log", 4)]
    async with _client(server) as api:
        r = await api.get(f"/phones/{MAC}/uploads/{MAC}-app.log")
        assert r.status_code == 200 and r.content == log_text
        assert r.headers["content-type"] == "application/octet-stream"
        assert len((await api.get(f"/phones/{MAC}/uploads")).json()) == 2
        missing = await api.get(f"/phones/{MAC}/uploads/{MAC}-calls.xml")
        assert missing.status_code == 404
        traces = (await api.get("/traces", params={"limit": 5})).json()
        stored = next(t for t in traces if t["path"] == f"/{MAC}-app.log")
        assert stored["status"] == "stored" and stored["answered_by"] == "polycom"


async def test_cli_lists_and_prints_uploads(server: Running, tmp_path: Path) -> None:
    await _booted_polycom(server, tmp_path)
    status, _ = await curl("-X", "PUT", "--data-binary", "<directory/>",
                           server.url(f"/{MAC}-directory.xml"))
    assert status == 204
    cli = [str(Path(__file__).parents[2] / ".venv/bin/provhost"),
           "--data-dir", str(server.svc.paths.data_dir)]
    out = await trio.run_process([*cli, "phone", "uploads", MAC], capture_stdout=True)
    assert f"{MAC}-directory.xml" in out.stdout.decode()
    out = await trio.run_process([*cli, "phone", "upload", MAC, f"{MAC}-directory.xml"],
                                 capture_stdout=True)
    assert out.stdout == b"<directory/>"
    bad = await trio.run_process([*cli, "phone", "upload", MAC, "../provhost.sqlite"],
                                 capture_stderr=True, check=False)
    assert bad.returncode == 1 and b"invalid upload name" in bad.stderr


async def test_upload_for_unknown_phone_is_refused(server: Running) -> None:
    status, body = await curl("-X", "PUT", "--data-binary", "x",
                              server.url("/0004f2ffffff-app.log"))
    assert status == 403 and b"no phone with MAC" in body
    assert not (server.svc.paths.uploads_dir / "0004f2ffffff").exists()


async def test_upload_from_another_address_is_refused(server: Running, tmp_path: Path) -> None:
    await _booted_polycom(server, tmp_path, interface="127.0.0.5")
    status, body = await curl("--interface", "127.0.0.6", "-X", "PUT", "--data-binary", "x",
                              server.url(f"/{MAC}-app.log"))
    assert status == 403 and b"last seen at 127.0.0.5" in body
    status, _ = await curl("--interface", "127.0.0.5", "-X", "PUT", "--data-binary", "x",
                           server.url(f"/{MAC}-app.log"))
    assert status == 204


async def test_oversized_upload_is_413_before_the_chain(server: Running, tmp_path: Path) -> None:
    await _booted_polycom(server, tmp_path)
    server.svc.setting_set("UPLOAD_MAX_SIZE", "1000")
    (tmp_path / "big.log").write_bytes(b"x" * 5000)
    status, body = await curl("-T", str(tmp_path / "big.log"), server.url(f"/{MAC}-app.log"))
    assert status == 413 and b"exceeds the 1000-byte limit" in body
    # chunked, without a declared length: cut off while reading
    status, _ = await curl("-X", "PUT", "-H", "Transfer-Encoding: chunked",
                           "--data-binary", "@" + str(tmp_path / "big.log"),
                           server.url(f"/{MAC}-app.log"))
    assert status == 413
    assert server.svc.phone_uploads(MAC) == []


async def test_upload_answered_with_a_file_is_refused(server: Running, tmp_path: Path) -> None:
    # the SPA provider answers its profile path with a template whatever the method: not a
    # way to store uploads (the Polycom provider, used here before polycom 1.3.0, now
    # passes uploads of its master file on)
    server.svc.phone_add("0004f2a0b0c1", "spa504g")
    path = "/Cisco/SPA504G/0004f2a0b0c1.cfg"
    status, _ = await curl("-X", "PUT", "--data-binary", "x", server.url(path))
    assert status == 403
    async with _client(server) as api:
        traces = (await api.get("/traces", params={"limit": 5})).json()
    trace = next(t for t in traces if t["path"] == path)
    assert trace["status"] == "refused"
    assert any("answered an upload with template" in s["detail"] for s in trace["steps"])


async def test_tftp_write_request_goes_through_the_chain(server: Running, tmp_path: Path) -> None:
    server.svc.phone_add(MAC, "spip550")
    rc, msg = await tftp_get(server.ports.tftp, f"/polycom-spip550-{MAC}.cfg",
                             str(tmp_path / "c.cfg"))
    assert rc == 0, msg
    (tmp_path / "boot.log").write_bytes(b"boot log over tftp\n" * 100)
    put = await trio.to_thread.run_sync(lambda: subprocess.run(
        ["tftp", "-m", "octet", "127.0.0.1", str(server.ports.tftp), "-c", "put",
         str(tmp_path / "boot.log"), f"/{MAC}-boot.log"], capture_output=True, text=True))
    assert put.returncode == 0, put.stdout + put.stderr
    assert server.svc.phone_upload_read(MAC, f"{MAC}-boot.log") == b"boot log over tftp\n" * 100
    refused = await trio.to_thread.run_sync(lambda: subprocess.run(
        ["tftp", "-m", "octet", "127.0.0.1", str(server.ports.tftp), "-c", "put",
         str(tmp_path / "boot.log"), "/etc-passwd"], capture_output=True, text=True))
    assert "no module accepts an upload" in refused.stdout + refused.stderr
