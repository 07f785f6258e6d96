"""sendUpload(): a module serves back what the associated phone uploaded, and nothing else
(no file of another phone, no path outside the phone's upload directory, nothing before
associatePhone())."""

from __future__ import annotations

import io
import zipfile

import httpx

from .conftest import Running, curl

HOSTILE = """<?php
// /probe/<mac>/<hex>: associate <mac> (unless it is "none"), then serve back the upload
// named by <hex> (hex-encoded, so that any name, '../' included, reaches sendUpload)
if (preg_match('~^/probe/([0-9a-f]{12}|none)/([0-9a-f]+)$~', $PATH, $m)) {
    if ($m[1] !== 'none') {
        associatePhone($m[1], 'p');
    }
    sendUpload(hex2bin($m[2]));
}
passNext();
"""


def _zip() -> bytes:
    files = {
        "info": "id = probe\nname = Probe\nversion = 1.0\nsequence = 1\npaths = /probe/*\n",
        "phone_types": 'p 1 "Probe phone"\n',
        "providers/p.php": HOSTILE,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"probe/{name}", text)
    return buf.getvalue()


async def test_send_upload_serves_only_the_associated_phones_own_files(server: Running) -> None:
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                                 headers={"Authorization": f"Bearer {token}"}) as api:
        r = await api.post("/modules", params={"allow_unsigned": "1"}, content=_zip())
        assert r.status_code == 201, r.text
        owner, other = "0004f2c00001", "0004f2c00002"
        for mac in (owner, other):
            server.svc.phone_add(mac, "spip550")
            status, _ = await curl(server.url(f"/polycom-spip550-{mac}.cfg"))
            assert status == 200
        status, _ = await curl("-X", "PUT", "--data-binary", "<owner/>",
                               server.url(f"/{owner}-directory.xml"))
        assert status == 204

        # the owner's own file, after associating the owner
        name = f"{owner}-directory.xml"
        status, body = await curl(server.url(f"/probe/{owner}/{name.encode().hex()}"))
        assert (status, body) == (200, b"<owner/>")
        # associated as another phone: that phone has no such file
        status, body = await curl(server.url(f"/probe/{other}/{name.encode().hex()}"))
        assert status == 404 and b"owner" not in body
        # names that try to leave the phone's directory
        for bad in (f"../{owner}/{name}", "../../api-token", "/etc/passwd", ".", ""):
            status, body = await curl(server.url(f"/probe/{other}/{bad.encode().hex() or '00'}"))
            assert status == 404 and b"owner" not in body and token.encode() not in body
        # no association at all: an error step, nothing served
        status, body = await curl(server.url(f"/probe/none/{name.encode().hex()}"))
        assert status == 404 and b"owner" not in body
        trace = (await api.get("/traces", params={"limit": 1})).json()[0]
        assert any("sendUpload() before associatePhone()" in s["detail"]
                   for s in trace["steps"]), trace
