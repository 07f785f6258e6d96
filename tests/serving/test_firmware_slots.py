"""Firmware and logo slots end to end: upload through the module's preprocessing script in
its sandbox, FW_CONTENT_ID, preview, accept/reject/crash semantics, and serving the
content over HTTP (with Range) and TFTP (past block 65535)."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import httpx
import pytest
import trio
from provhost.tftp.packets import Ack, Data, Opcode, Request, encode

from tests.tftp import client as tftp_client

from .conftest import Running, curl

MODULE = {
    "info": "id = fwtest\nname = Firmware slot test\nversion = 1.0\nsequence = 1\n",
    "phone_types": 'fwphone 1 "FW phone" FW=logo,fw\n',
    "firmware_types": (
        'logo "Logo 16x8" logo SCRIPT=img LONGDESC="any image; shown 16x8"\n'
        'fw "Firmware" firmware LONGDESC="FWIMG image"\n'),
    "firmware/img.sh": """
anytoppm "$FW_INFILE" _tmp/in.ppm || reject_firmware "not an image"
pnmscale -width 16 -height 8 < _tmp/in.ppm | ppmquant 2 2>/dev/null | ppmfix | ppmtobmp > logo.bmp
ppmfix < _tmp/in.ppm | pnmtopng > _preview.png
[ "$1" = evil ] && ln -s /etc/passwd passwd
accept_firmware
""",
    "firmware/fw.php": """<?php
$data = file_get_contents($FW_INFILE);
if (str_starts_with($data, 'CRASH')) { no_such_function(); }
if (str_starts_with($data, 'LINK')) { exec('ln -s /etc/shadow image.bin'); acceptFirmware(); }
if (str_starts_with($data, 'EMPTY')) { acceptFirmware(); }
if ($FW_VERIFY && !str_starts_with($data, 'FWIMG')) { rejectFirmware('no FWIMG header'); }
copy($FW_INFILE, 'image.bin');
acceptFirmware();
""",
    "providers/p.php": """<?php
if ($PATH === '/logo.bmp' && haveFirmware('logo')) { sendFile(getFirmwareFile('logo', 'logo.bmp')); }
if (preg_match('~^/prov/' . $MODULE_ID . '/fw-([0-9a-f]+)\\.bin$~', $PATH, $m)) {
    if (haveFirmware('fw') && $m[1] === $FIRMWARE_TYPES['fw']['FW_CONTENT_ID']) {
        sendFile(getFirmwareFile('fw', 'image.bin'));
    }
    sendNotFound();
}
if ($PATH === '/fw.txt') { sendTemplate('info'); }
""",
    "templates/info.tpl": """@$slots = phoneFirmwares('firmware', true);
fw={haveFirmware('fw') ? '/prov/' . $MODULE_ID . '/fw-' . $FIRMWARE_TYPES['fw']['FW_CONTENT_ID'] . '.bin' : 'none'}
""",
}


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in MODULE.items():
            zf.writestr(f"fwtest/{name}", text.lstrip("\n"))
    return buf.getvalue()


def _api(server: Running) -> httpx.AsyncClient:
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                             headers={"Authorization": f"Bearer {token}"}, timeout=60)


@pytest.fixture
async def fw_server(server: Running) -> Running:
    async with _api(server) as api:
        r = await api.post("/modules", params={"allow_unsigned": "1"}, content=_zip())
        assert r.status_code == 201, r.text
    return server


def _image(kind: str, tmp_path: Path) -> Path:
    ppm = subprocess.run(["ppmmake", "rgb:ff/80/00" if kind != "black" else "black", "64", "32"],
                         capture_output=True, check=True).stdout
    converter = {"png": ["pnmtopng"], "jpeg": ["pnmtojpeg"], "black": ["pnmtopng"]}[kind]
    data = subprocess.run(converter, input=ppm, capture_output=True, check=True).stdout
    path = tmp_path / f"logo-{kind}.img"
    path.write_bytes(data)
    return path


def _bmp_size(data: bytes) -> tuple[int, int, int]:
    assert data[:2] == b"BM"
    width = int.from_bytes(data[18:22], "little", signed=True)
    height = int.from_bytes(data[22:26], "little", signed=True)
    bpp = int.from_bytes(data[28:30], "little")
    return width, height, bpp


@pytest.mark.parametrize("kind", ["png", "jpeg", "black"])
async def test_logo_upload_is_converted_previewed_and_served(
        fw_server: Running, tmp_path: Path, kind: str) -> None:
    async with _api(fw_server) as api:
        r = await api.put("/firmware/fwtest/logo", params={"filename": f"my logo.{kind}"},
                          content=_image(kind, tmp_path).read_bytes())
        assert r.status_code == 200, r.text
        assert r.json()["files"] == ["_preview.png", "logo.bmp"]
        slots = {s["slot"]: s for s in (await api.get("/firmware")).json()
                 if s["module"] == "fwtest"}
        assert slots["logo"]["content_id"] == r.json()["content_id"]
        assert slots["logo"]["preview"] is True and slots["fw"]["content_id"] is None
        preview = await api.get("/firmware/fwtest/logo/preview")
        assert preview.headers["content-type"] == "image/png"
        assert preview.content.startswith(b"\x89PNG")
    status, body = await curl(fw_server.url("/logo.bmp"))
    assert status == 200
    assert _bmp_size(body) == (16, 8, 1)


async def test_rejected_and_crashing_uploads_keep_the_old_content(
        fw_server: Running, tmp_path: Path) -> None:
    firmware_root = fw_server.svc.paths.firmware_dir / "fwtest"
    async with _api(fw_server) as api:
        first = await api.put("/firmware/fwtest/fw", params={"filename": "v1.bin"},
                              content=b"FWIMG version 1")
        assert first.status_code == 200, first.text
        old_id = first.json()["content_id"]
        for body, reason in ((b"MZ a windows exe", "no FWIMG header"),
                             (b"CRASH", "no_such_function"),
                             (b"LINK", "not plain files"),
                             (b"EMPTY", "wrote no files")):
            r = await api.put("/firmware/fwtest/fw", content=body)
            assert r.status_code == 422, r.text
            detail = r.json()["error"] + " ".join(r.json()["log"])
            assert reason in detail, detail
            status, served = await curl(fw_server.url(f"/prov/fwtest/fw-{old_id}.bin"))
            assert (status, served) == (200, b"FWIMG version 1")
        leftovers = sorted(p.name for p in firmware_root.iterdir())
        assert leftovers == [".content", "fw"]  # no staging directory left behind
        assert [p.name for p in (firmware_root / ".content").iterdir()] == [old_id]
        # the administrator overrides the check: FW_VERIFY=0
        r = await api.put("/firmware/fwtest/fw", params={"no_verify": "1"},
                          content=b"MZ a windows exe")
        assert r.status_code == 200 and r.json()["verified"] is False
        new_id = r.json()["content_id"]
    assert new_id != old_id
    status, _ = await curl(fw_server.url(f"/prov/fwtest/fw-{old_id}.bin"))
    assert status == 404  # the name changed with the upload
    status, body = await curl(fw_server.url(f"/prov/fwtest/fw-{new_id}.bin"))
    assert (status, body) == (200, b"MZ a windows exe")
    status, body = await curl(fw_server.url("/fw.txt"))
    assert body.decode().strip() == f"fw=/prov/fwtest/fw-{new_id}.bin"


async def test_cli_upload_list_and_clear(fw_server: Running, tmp_path: Path) -> None:
    cli = [str(Path(__file__).parents[2] / ".venv/bin/provhost"),
           "--data-dir", str(fw_server.svc.paths.data_dir)]
    image = tmp_path / "fw.bin"
    image.write_bytes(b"FWIMG from the command line")
    up = await trio.run_process([*cli, "firmware", "upload", "fwtest", "fw", str(image)],
                                capture_stdout=True, capture_stderr=True, check=False)
    assert up.returncode == 0, up.stderr
    listing = (await trio.run_process([*cli, "firmware", "list"], capture_stdout=True)).stdout
    assert b"fw.bin (27 bytes, id " in listing
    status, body = await curl(fw_server.url("/fw.txt"))  # the server sees the CLI's upload
    assert status == 200 and b"/prov/fwtest/fw-" in body
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"garbage")
    refused = await trio.run_process([*cli, "firmware", "upload", "fwtest", "fw", str(bad)],
                                     capture_stderr=True, check=False)
    assert refused.returncode == 1 and b"no FWIMG header" in refused.stderr
    assert b"Traceback" not in refused.stderr  # one clear line, not a Python stack
    await trio.run_process([*cli, "firmware", "clear", "fwtest", "fw"])
    status, body = await curl(fw_server.url("/fw.txt"))
    assert (status, body.decode().strip()) == (200, "fw=none")
    nope = await trio.run_process([*cli, "firmware", "upload", "fwtest", "nope", str(image)],
                                  capture_stderr=True, check=False)
    assert nope.returncode == 1 and b"has no firmware slot 'nope'" in nope.stderr


async def test_firmware_is_streamed_with_http_ranges(fw_server: Running) -> None:
    payload = b"FWIMG" + bytes(range(256)) * 4096  # ~1 MiB
    async with _api(fw_server) as api:
        r = await api.put("/firmware/fwtest/fw", content=payload)
        content_id = r.json()["content_id"]
    url = fw_server.url(f"/prov/fwtest/fw-{content_id}.bin")
    status, body = await curl("-r", "1000-1999", url)
    assert status == 206 and body == payload[1000:2000]
    status, body = await curl("-r", "-10", url)
    assert status == 206 and body == payload[-10:]
    status, body = await curl("-r", f"{len(payload)}-", url)
    assert status == 416
    head = await trio.run_process(["curl", "-sI", "-r", "5-9", url], capture_stdout=True)
    assert f"content-range: bytes 5-9/{len(payload)}" in head.stdout.decode().lower()
    status, body = await curl(url)
    assert status == 200 and body == payload


async def test_firmware_over_tftp_past_block_65535(fw_server: Running) -> None:
    payload = b"FWIMG" + bytes(range(256)) * 2100  # 537,605 bytes: 67,201 blocks of 8
    async with _api(fw_server) as api:
        content_id = (await api.put("/firmware/fwtest/fw", content=payload)).json()["content_id"]
    result = await tftp_client.get(fw_server.ports.tftp, f"/prov/fwtest/fw-{content_id}.bin",
                                   options={"blksize": "8", "windowsize": "64"})
    assert result.data == payload


async def test_a_tftp_download_survives_an_upload_replacing_its_content(
        fw_server: Running) -> None:
    """The slot's content is replaced (old content removed) while a TFTP download of it is
    under way: the download still gets every byte of what it started with (one open file
    per transfer; it used to reopen the file per 64 KiB and fail once it was gone)."""
    old = b"FWIMG" + bytes(range(256)) * 1200  # 307,205 bytes: several 64 KiB reads
    async with _api(fw_server) as api:
        content_id = (await api.put("/firmware/fwtest/fw", content=old)).json()["content_id"]
        sock = await tftp_client.udp_socket()
        try:
            request = Request(Opcode.RRQ, f"/prov/fwtest/fw-{content_id}.bin", "octet", ())
            await sock.sendto(encode(request), ("127.0.0.1", fw_server.ports.tftp))
            first, server = await tftp_client.recv_packet(sock)  # block 1; no ACK yet
            assert isinstance(first, Data) and first.block == 1
            r = await api.put("/firmware/fwtest/fw", content=b"FWIMG new content")
            assert r.status_code == 200 and r.json()["content_id"] != content_id
            root = fw_server.svc.paths.firmware_dir / "fwtest" / ".content"
            assert not (root / content_id).exists()  # the old content is gone from disk
            received, packet = [first.payload], first
            while len(packet.payload) == 512:
                await sock.sendto(encode(Ack(packet.block)), server)
                packet, _ = await tftp_client.recv_packet(sock)
                assert isinstance(packet, Data), packet  # not an Error
                if packet.block == (len(received) + 1) % 0x10000:
                    received.append(packet.payload)
            await sock.sendto(encode(Ack(packet.block)), server)
        finally:
            sock.close()
    assert b"".join(received) == old
