"""Scripted resync through the brokered capabilities: urlopenPhone/connectPhone reach the
phone (and only the phone), authenticating with $LAST_CONFIG values."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from functools import partial
from typing import Any

import httpx
import pytest
import trio
from hypercorn.config import Config
from hypercorn.trio import serve
from provhost.server.lifespan import acknowledge_lifespan

from .conftest import Running, curl

# the store behind these servers: SQLite and PostgreSQL
pytestmark = pytest.mark.both_backends

MAC = "0004f2000321"
REALM, NONCE = "phone", "dcd98b7102dd2f0e8b11d0f600bfb0c093"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class FakePhone:
    """A phone's web administration: wants admin/<password>, by basic or digest auth."""

    def __init__(self, scheme: str, password: str) -> None:
        self.scheme, self.password = scheme, password
        self.seen: list[tuple[str, str, bool]] = []  # (method, target, authorised)

    def _authorised(self, method: str, header: str) -> bool:
        if self.scheme == "basic":
            return header == "Basic " + base64.b64encode(f"admin:{self.password}".encode()).decode()
        if not header.startswith("Digest "):
            return False
        f = dict(re.findall(r'(\w+)="?([^",]*)"?', header[7:]))
        ha1 = _md5(f"admin:{REALM}:{self.password}")
        ha2 = _md5(f"{method}:{f.get('uri')}")
        expected = _md5(f"{ha1}:{NONCE}:{f.get('nc')}:{f.get('cnonce')}:{f.get('qop')}:{ha2}")
        return f.get("username") == "admin" and f.get("response") == expected

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await acknowledge_lifespan(receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        ok = self._authorised(scope["method"], headers.get("authorization", ""))
        self.seen.append((scope["method"], scope["path"], ok))
        if ok:
            status, extra, body = 200, [], b"resync started"
        elif self.scheme == "basic":
            status, extra, body = 401, [(b"www-authenticate", f'Basic realm="{REALM}"'.encode())], b""
        else:
            status, body = 401, b""
            extra = [(b"www-authenticate",
                      f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth"'.encode())]
        await send({"type": "http.response.start", "status": status, "headers": extra})
        await send({"type": "http.response.body", "body": body})


def _module(port: int, other_port: int) -> bytes:
    files = {
        "info": "id = resynctest\nname = Resync test\nversion = 1.0\nsequence = 0\n",
        "phone_types": (
            f"@set RESYNC=http web_port={port} other_port={other_port}\n"
            't_basic 1 "Basic" auth_kind=basic\n'
            't_digest 1 "Digest" auth_kind=digest\n'
            't_auto 1 "Auto" auth_kind=auto\n'
            't_evil 1 "Evil" RESYNC=evil auth_kind=auto\n'
            't_sneaky 1 "Sneaky" auth_kind=auto sneaky="{urlopenPhone('
            "'http', '/admin/resync', array('port' => (int) $web_port)) === false ? "
            "error_get_last()['message'] : 'REACHED'}\" RESYNC=echo\n"),
        "providers/p.php": ("<?php\nif (preg_match('~^/rt/(t_[a-z]+)/([0-9a-f]{12})$~', $PATH, $m))"
                            " { associatePhone($m[2], $m[1]); sendOk(); }\n"),
        "resync/http.php": """<?php
$fh = urlopenPhone('http', '/admin/resync', array('user' => 'admin',
    'password' => $LAST_CONFIG['ADMIN_PASSWORD'], 'auth' => $auth_kind,
    'port' => (int) $web_port));
$reply = '';
while (!feof($fh)) { $reply .= fread($fh, 8192); }
fclose($fh);
echo "phone said: $reply";
""",
        "resync/echo.php": "<?php echo 'option: ' . $sneaky;\n",
        "resync/evil.php": """<?php
$out = array();
foreach (array(array('http', '@127.0.0.2/x'), array('file', '/etc/passwd'),
               array('http', 'http://127.0.0.2/x'), array('gopher', '/x')) as $try) {
    // Kerio's contract: false and a warning, as fopen() (error_get_last() says why)
    $fh = urlopenPhone($try[0], $try[1], array('port' => (int) $web_port));
    $out[] = $fh === false ? 'refused: ' . error_get_last()['message'] : 'ALLOWED';
}
$fh = urlopenPhone('http', '/steal@127.0.0.2/y', array('port' => (int) $web_port));
fclose($fh);
try { $s = connectPhone('tcp', (int) $other_port); $out[] = 'CONNECTED'; }
catch (Throwable $e) { $out[] = 'connect: ' . $e->getMessage(); }
echo implode("\\n", $out);
""",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


async def _start_phone(nursery: trio.Nursery, phone: FakePhone) -> int:
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = config.errorlog = None
    binds = await nursery.start(partial(serve, phone, config))
    return int(binds[0].rsplit(":", 1)[1])


async def _setup(server: Running, nursery: trio.Nursery, scheme: str, ptype: str,
                 ) -> tuple[httpx.AsyncClient, FakePhone, list[str]]:
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    api = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
    phone = FakePhone(scheme, password="")
    port = await _start_phone(nursery, phone)
    intruder_hits: list[str] = []
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.2", 0))
    listener.listen()

    async def watch() -> None:
        while True:
            conn, addr = await listener.accept()
            intruder_hits.append(str(addr))
            conn.close()

    nursery.start_soon(watch)
    r = await api.post("/modules", params={"allow_unsigned": "1"},
                       content=_module(port, listener.getsockname()[1]))
    assert r.status_code == 201, r.text
    status, _ = await curl(server.url(f"/rt/{ptype}/{MAC}"))  # the phone boots: LAST_CONFIG
    assert status == 200
    phone.password = server.svc.phone_show(MAC)["admin_password"]
    return api, phone, intruder_hits


@pytest.mark.parametrize(("scheme", "ptype"), [("basic", "t_basic"), ("digest", "t_digest"),
                                               ("digest", "t_auto"), ("basic", "t_auto")])
async def test_http_resync_uses_the_last_config_password(
        server: Running, nursery: trio.Nursery, scheme: str, ptype: str) -> None:
    api, phone, _ = await _setup(server, nursery, scheme, ptype)
    # the administrator changes the password: the phone still has the old one
    await api.put(f"/phones/{MAC}/password", json={"password": "brand-new"})
    result = (await api.post(f"/phones/{MAC}/resync")).json()
    await api.aclose()
    assert result["ok"] is True, result
    assert result["detail"] == "phone said: resync started"
    assert ("GET", "/admin/resync", True) in phone.seen
    assert result["actions"][-1].startswith("GET http://127.0.0.1:")


async def test_resync_scripts_reach_only_their_phone(server: Running, nursery: trio.Nursery) -> None:
    api, phone, intruder_hits = await _setup(server, nursery, "basic", "t_evil")
    result = (await api.post(f"/phones/{MAC}/resync")).json()
    await api.aclose()
    assert result["ok"] is True, result
    lines = result["detail"].splitlines()
    assert lines[0].startswith("refused: urlopenPhone(): the path must start with '/'")
    assert lines[1].startswith("refused: urlopenPhone(): scheme must be 'http' or 'https'")
    assert lines[2].startswith("refused: urlopenPhone(): the path must start with '/'")
    assert lines[3].startswith("refused: urlopenPhone(): scheme")
    assert lines[4].startswith("connect: connectPhone(): tcp 127.0.0.1:")  # the phone's address
    assert ("GET", "/steal@127.0.0.2/y", False) in phone.seen  # still the phone, not .2
    assert intruder_hits == []
    assert all("127.0.0.1" in a for a in result["actions"])


async def test_option_expansion_has_no_capabilities(server: Running, nursery: trio.Nursery) -> None:
    """A phone_types expression is evaluated in the sandbox with nothing to call: it cannot
    use the resync capabilities to reach the phone (or anything else)."""
    api, phone, _ = await _setup(server, nursery, "basic", "t_basic")
    server.svc.phone_add("0004f2000999", "t_sneaky", "resynctest")
    server.svc.store.touch_phone("0004f2000999", "127.0.0.1", "t_sneaky", "resynctest")
    seen_before = len(phone.seen)
    result = (await api.post("/phones/0004f2000999/resync")).json()
    await api.aclose()
    # the expression ran with nothing to call: urlopenPhone() gave false and the reason
    assert result["detail"] == ("option: urlopenPhone(): urlopenPhone() is not available to "
                                "a phone_types expansion"), result
    assert len(phone.seen) == seen_before
