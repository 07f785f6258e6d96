"""Logos and firmware from upload to phone, through the host's slot machinery (API upload,
the module's preprocessing script in the sandbox, FW_CONTENT_ID) and the SPA provider:
the profile names a per-upload file, which TFTP and HTTP then serve."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx

from .conftest import Bmp, Running, curl, tftp_get

MAC = "0004f2000888"


def _api(server: Running) -> httpx.AsyncClient:
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                             headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _png(tmp_path: Path, colour: str) -> bytes:
    ppm = subprocess.run(["ppmmake", colour, "200", "75"], capture_output=True, check=True).stdout
    return subprocess.run(["pnmtopng"], input=ppm, capture_output=True, check=True).stdout


async def _profile(server: Running) -> str:
    status, body = await curl(server.url(f"/Cisco/SPA504G/{MAC}.cfg"))
    assert status == 200, body
    return body.decode()


async def test_uploaded_logo_reaches_the_phone(server: Running, tmp_path: Path) -> None:
    server.svc.phone_add(MAC, "spa504g")
    async with _api(server) as api:
        r = await api.put("/firmware/cisco-spa/logo_bw", params={"filename": "logo.png"},
                          content=_png(tmp_path, "black"))
        assert r.status_code == 200, r.text
        first_id = r.json()["content_id"]
        text = await _profile(server)
        url = re.search(r'<Picture_Download_URL ua="na">tftp://127\.0\.0\.1(/[^<]+)<', text)
        assert url is not None, text
        assert url.group(1) == f"/prov/cisco-spa/logo/logo_bw/{first_id}.bmp"
        assert '<Select_Logo ua="na">BMP Picture</Select_Logo>' in text
        rc, msg = await tftp_get(server.ports.tftp, url.group(1), str(tmp_path / "l.bmp"))
        assert rc == 0, msg
        bmp = Bmp((tmp_path / "l.bmp").read_bytes())
        assert (bmp.width, bmp.height, bmp.bpp) == (128, 48, 1)
        status, fixed = await curl(server.url("/prov/cisco-spa/logo/logo_bw.bmp"))
        assert status == 200 and fixed == bmp.data

        # a new upload gets a new name in the profile, so the phone downloads it again
        r = await api.put("/firmware/cisco-spa/logo_bw", params={"filename": "logo2.png"},
                          content=_png(tmp_path, "white"))
        assert r.status_code == 200, r.text
        assert r.json()["content_id"] != first_id
        assert f"/logo_bw/{r.json()['content_id']}.bmp<" in await _profile(server)

        # logos switched off globally: the profile goes back to the phone's default
        server.svc.setting_set("DISPLAY_LOGO", "0")
        text = await _profile(server)
        assert '<Picture_Download_URL ua="na"></Picture_Download_URL>' in text
        assert '<Select_Logo ua="na">Default</Select_Logo>' in text


async def test_rejected_logo_keeps_the_old_one(server: Running, tmp_path: Path) -> None:
    server.svc.phone_add(MAC, "spa504g")
    async with _api(server) as api:
        r = await api.put("/firmware/cisco-spa/logo_bw", content=_png(tmp_path, "black"))
        assert r.status_code == 200, r.text
        r2 = await api.put("/firmware/cisco-spa/logo_bw", content=b"not a picture at all")
        assert r2.status_code == 422 and "not an image" in r2.text
    assert f"/logo_bw/{r.json()['content_id']}.bmp<" in await _profile(server)


async def test_uploaded_firmware_is_offered_by_upgrade_rule(server: Running,
                                                           tmp_path: Path) -> None:
    server.svc.phone_add(MAC, "spa504g")
    image = b"\x00\x01SPA" + bytes(range(256)) * 8192  # 2 MiB and a bit
    async with _api(server) as api:
        r = await api.put("/firmware/cisco-spa/fw_spa30x_50x", content=image)
        assert r.status_code == 200, r.text
        content_id = r.json()["content_id"]
    path = f"/prov/cisco-spa/firmware/fw_spa30x_50x/{content_id}.bin"
    assert f'<Upgrade_Rule ua="na">tftp://127.0.0.1{path}</Upgrade_Rule>' in await _profile(server)
    rc, msg = await tftp_get(server.ports.tftp, path, str(tmp_path / "fw.bin"))
    assert rc == 0, msg
    assert (tmp_path / "fw.bin").read_bytes() == image
    status, body = await curl(server.url("/prov/cisco-spa/firmware/fw_spa30x_50x.bin"))
    assert status == 200 and body == image
