"""The management listener over HTTPS: the pages and the API share it, and the session
cookie is marked Secure (it is never sent back over plain HTTP)."""

from __future__ import annotations

import re
from pathlib import Path

import trio
from provhost.paths import Paths
from provhost.server.main import ServerConfig, serve_all
from provhost.service import Service

from ..serving.conftest import curl
from ..serving.test_https import _self_signed


async def test_web_administration_over_https(paths: Paths, nursery: trio.Nursery,
                                             tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    svc = Service(paths)
    cfg = ServerConfig(listen="127.0.0.1", http_port=0, tftp_port=0, api_port=0, ftp_port=None,
                       certfile=cert, keyfile=key, api_https=True)
    ports = await nursery.start(serve_all, svc, cfg)
    base = f"https://provhost.test:{ports.api}"
    tls = ["--cacert", cert, "--resolve", f"provhost.test:{ports.api}:127.0.0.1"]
    password = (paths.data_dir / "web-admin-password").read_text().strip()
    jar = tmp_path / "cookies"
    status, _ = await curl(*tls, "-D", str(tmp_path / "headers"), "-c", str(jar),
                           "--data-urlencode", f"password={password}", f"{base}/login")
    assert status == 303
    headers = (tmp_path / "headers").read_text()
    cookie = re.search(r"(?im)^set-cookie: provhost_session=.*$", headers)
    assert cookie is not None
    assert all(flag in cookie.group(0) for flag in ("HttpOnly", "SameSite=Strict", "Secure"))
    status, body = await curl(*tls, "-b", str(jar), f"{base}/phones")
    assert status == 200 and b"Provisioned phones" in body
    token = (paths.data_dir / "api-token").read_text().strip()
    status, body = await curl(*tls, "-H", f"Authorization: Bearer {token}",
                              f"{base}/api/v1/settings")
    assert status == 200 and b"OPERATOR_IP" in body
    status, _ = await curl(f"http://127.0.0.1:{ports.api}/login")  # no plain HTTP beside it
    assert status == 0
