"""Per-phone provisioning credentials on a real server over loopback: a new phone gets them
in its first configuration, and from then on HTTP requests for it need HTTP digest (real
curl --digest, httpx, and our own client for SHA-256 and MD5); a refused request changes
nothing about the phone; TFTP is refused; the CLI and the API turn it on and off."""

from __future__ import annotations

import ftplib
import logging
import re
import secrets
import time
from pathlib import Path

import httpx
import pytest
import trio
from provhost.auth import digest as phone_auth
from provhost.service import PHONE_AUTH_KEY_FILE
from provhost.sip.auth import digest_authorization, parse_challenge

from .conftest import Running, curl, tftp_get
from .test_ftp import _retr

MAC = "0004f2a1b2c3"
PATH = f"/Cisco/SPA504G/{MAC}.cfg"
CLI = str(Path(__file__).parents[2] / ".venv/bin/provhost")
RULE = re.compile(rb"\[--uid (\w+) --pwd (\w+)\]http://127\.0\.0\.1:\d+/Cisco/\$PN/\$MA\.cfg")


async def _first_fetch(server: Running) -> tuple[bytes, str]:
    """PROVISION_AUTH=new, the phone's first fetch: its configuration and password."""
    server.svc.setting_set("PROVISION_AUTH", "new")
    status, body = await curl(server.url(PATH))
    assert status == 200, body
    m = RULE.search(body)
    assert m is not None, body.decode()
    assert m[1].decode() == MAC
    return body, m[2].decode()


def _snapshot(server: Running) -> tuple[str, float | None, object, str | None]:
    p = server.svc.store.get_phone(MAC)
    assert p is not None
    return p.last_ip, p.last_config_at, p.last_config, p.config_fingerprint


async def _challenge(client: httpx.AsyncClient, url: str) -> list[str]:
    r = await client.get(url)
    assert r.status_code == 401
    return r.headers.get_list("www-authenticate")


def _key(server: Running) -> bytes:
    """The nonce key, as the server keeps it: a 0600 file in the data directory."""
    path = server.svc.paths.data_dir / PHONE_AUTH_KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    return bytes.fromhex(path.read_text())


def _authorization(nonce: str, password: str, *, algorithm: str = "SHA-256",
                   cnonce: str = "c0ffee", nc: int = 1) -> str:
    challenge = parse_challenge(f'Digest realm="{phone_auth.REALM}", nonce="{nonce}", '
                                f'qop="auth", algorithm={algorithm}')
    return digest_authorization(challenge, username=MAC, password=password, method="GET",
                                uri=PATH, cnonce=cnonce, nc=nc)


async def test_first_configuration_carries_credentials_then_digest_is_required(
        server: Running) -> None:
    body, password = await _first_fetch(server)
    assert server.svc.phone_auth_show(MAC)["state"] == "required"
    before = _snapshot(server)

    # unauthenticated, from another address: 401, a challenge per algorithm, no body
    status, text = await curl("--interface", "127.0.0.2", "-D", "-", server.url(PATH))
    assert status == 401
    head, _, rest = text.partition(b"\r\n\r\n")
    challenges = [line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                  if line.lower().startswith(b"www-authenticate:")]
    assert [parse_challenge(c).params["algorithm"] for c in challenges] == ["SHA-256", "MD5"]
    assert all(parse_challenge(c).params["qop"] == "auth" for c in challenges)
    assert rest == b"" and b"content-length: 0" in head.lower()
    assert _snapshot(server) == before  # neither its address nor $LAST_CONFIG moved

    status, again = await curl("--digest", "-u", f"{MAC}:{password}", server.url(PATH))
    assert status == 200 and again == body
    status, wrong = await curl("--digest", "-u", f"{MAC}:{password}x", server.url(PATH))
    assert status == 401 and wrong == b""
    status, _ = await curl("--digest", "-u", f"nobody:{password}", server.url(PATH))
    assert status == 401
    status, _ = await curl("-I", server.url(PATH))
    assert status == 401
    async with httpx.AsyncClient(timeout=20) as client:
        r = await client.get(server.url(PATH), auth=httpx.DigestAuth(MAC, password))
        assert r.status_code == 200 and r.content == body


async def test_sha256_and_md5_both_work_and_the_nonce_is_bound(server: Running) -> None:
    body, password = await _first_fetch(server)
    async with httpx.AsyncClient(timeout=20) as client:
        nonce = parse_challenge((await _challenge(client, server.url(PATH)))[0]).params["nonce"]
        for n, algorithm in enumerate(("SHA-256", "MD5"), start=1):
            r = await client.get(server.url(PATH), headers={
                "Authorization": _authorization(nonce, password, algorithm=algorithm, nc=n)})
            assert r.status_code == 200 and r.content == body, algorithm
        # a nonce issued to another address is no good here (and is not "stale")
        other = httpx.AsyncClient(timeout=20, transport=httpx.AsyncHTTPTransport(
            local_address="127.0.0.3"))
        async with other:
            foreign = parse_challenge((await _challenge(other, server.url(PATH)))[0])
        r = await client.get(server.url(PATH), headers={
            "Authorization": _authorization(foreign.params["nonce"], password)})
        assert r.status_code == 401
        assert "stale" not in r.headers["www-authenticate"]


async def test_expired_replayed_and_forged_nonces_are_refused(server: Running) -> None:
    _, password = await _first_fetch(server)
    url = server.url(PATH)
    assert (await curl(url))[0] == 401  # the first challenge makes the key
    key = _key(server)
    async with httpx.AsyncClient(timeout=20) as client:
        # expired, right password: stale=true, so the phone retries on its own
        old = phone_auth.make_nonce(key, "127.0.0.1", time.time() - 3600,
                                    secrets.token_bytes(phone_auth.SALT_SIZE))
        r = await client.get(url, headers={"Authorization": _authorization(old, password)})
        assert r.status_code == 401
        assert all(v.endswith("stale=true") for v in r.headers.get_list("www-authenticate"))
        # expired, wrong password: not stale (stale would confirm a guess)
        r = await client.get(url, headers={"Authorization": _authorization(old, "guess")})
        assert r.status_code == 401 and "stale" not in r.headers["www-authenticate"]
        # forged: a nonce of the right shape that this server never made
        forged = phone_auth.make_nonce(b"another key", "127.0.0.1", time.time(),
                                       secrets.token_bytes(phone_auth.SALT_SIZE))
        r = await client.get(url, headers={"Authorization": _authorization(forged, password)})
        assert r.status_code == 401 and "stale" not in r.headers["www-authenticate"]
        # replayed: the same authorization twice; the second is answered stale
        nonce = parse_challenge((await _challenge(client, url))[0]).params["nonce"]
        auth = {"Authorization": _authorization(nonce, password)}
        assert (await client.get(url, headers=auth)).status_code == 200
        r = await client.get(url, headers=auth)
        assert r.status_code == 401 and "stale=true" in r.headers["www-authenticate"]
        # the next nc on the same nonce is a new request, not a replay
        auth = {"Authorization": _authorization(nonce, password, nc=2)}
        assert (await client.get(url, headers=auth)).status_code == 200


async def test_required_phone_is_refused_over_tftp(server: Running, tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    await _first_fetch(server)
    before = _snapshot(server)
    with caplog.at_level(logging.WARNING, logger="provhost.chain"):
        rc, msg = await tftp_get(server.ports.tftp, PATH, str(tmp_path / "cfg"))
    assert "error code 1: file not found" in msg.lower(), msg  # (tftp-hpa exits 0 anyway)
    lines = [r.getMessage() for r in caplog.records]
    assert any("00:04:f2:a1:b2:c3" in line and "digest" in line and "tftp" in line
               for line in lines), lines
    assert _snapshot(server) == before
    # what does not name the phone is still served over TFTP
    rc, msg = await tftp_get(server.ports.tftp, "/spa504G.cfg", str(tmp_path / "redirect"))
    assert rc == 0 and "error" not in msg.lower(), msg
    assert b"Profile_Rule" in (tmp_path / "redirect").read_bytes()


async def test_phone_without_credentials_needs_none(server: Running) -> None:
    status, first = await curl(server.url(PATH))  # PROVISION_AUTH is off by default
    assert status == 200 and b"--uid" not in first
    assert server.svc.phone_auth_show(MAC) == {
        "mac": MAC, "mac_pretty": "00:04:f2:a1:b2:c3", "state": "off", "user": ""}
    status, again = await curl(server.url(PATH))
    assert status == 200 and again == first


async def test_wrong_credentials_count_for_the_scan_guard(server: Running) -> None:
    """Failed digests name MACs the guard counts; a first leg without credentials does not."""
    macs = [f"0004f2c0{n:04x}" for n in range(21)]
    for mac in macs:
        server.svc.phone_add(mac, "spa504g")
        server.svc.store.set_provision_auth(mac, "required", mac, "secret")
    async with httpx.AsyncClient(timeout=20) as plain:
        for mac in macs:  # 21 phones, no credentials: challenged, never throttled
            assert (await plain.get(server.url(f"/Cisco/SPA504G/{mac}.cfg"))).status_code == 401
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.9")
    async with httpx.AsyncClient(timeout=20, transport=transport) as scanner:
        statuses = [(await scanner.get(server.url(f"/Cisco/SPA504G/{mac}.cfg"),
                                       auth=httpx.DigestAuth(mac, "guess"))).status_code
                    for mac in macs]
    assert statuses[:20] == [401] * 20 and statuses[20] == 429


async def test_configuration_review_still_works_for_a_required_phone(server: Running) -> None:
    await _first_fetch(server)
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                                 headers={"Authorization": f"Bearer {token}"},
                                 timeout=30) as api:
        r = await api.get(f"/phones/{MAC}/config")
        assert r.status_code == 200 and r.content[:2] == b"PK"


async def test_api_turns_credentials_on_and_off(server: Running) -> None:
    server.svc.phone_add(MAC, "spa504g")
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                                 timeout=30) as anonymous:
        assert (await anonymous.post(f"/phones/{MAC}/auth")).status_code == 401
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                                 headers={"Authorization": f"Bearer {token}"},
                                 timeout=30) as api:
        r = await api.post(f"/phones/{MAC}/auth")
        assert r.status_code == 200 and r.json()["state"] == "pending"
        assert "password" not in r.json() and r.json()["user"] == MAC
        password = (await api.get(f"/phones/{MAC}/auth", params={"password": "1"})).json()[
            "password"]
        assert len(password) == 24
        status, body = await curl(server.url(PATH))  # pending: served, and it delivers them
        assert status == 200 and f"--pwd {password}]".encode() in body
        assert (await api.get(f"/phones/{MAC}/auth")).json()["state"] == "required"
        assert (await curl(server.url(PATH)))[0] == 401
        r = await api.delete(f"/phones/{MAC}/auth")
        assert r.json() == {"mac": MAC, "mac_pretty": "00:04:f2:a1:b2:c3", "state": "off",
                            "user": ""}
        status, body = await curl(server.url(PATH))
        assert status == 200 and b"--uid" not in body
        assert (await api.get("/phones/0004f2ffffff/auth")).status_code == 404


async def _cli(server: Running, *args: str) -> tuple[int, str]:
    proc = await trio.run_process(
        [CLI, "--data-dir", str(server.svc.paths.data_dir), *args],
        capture_stdout=True, capture_stderr=True, check=False)
    return proc.returncode, (proc.stdout + proc.stderr).decode()


async def test_cli_turns_credentials_on_and_off(server: Running) -> None:
    server.svc.phone_add(MAC, "spa504g")
    rc, out = await _cli(server, "phone", "auth", MAC, "on")
    assert rc == 0 and "pending" in out and "password" not in out
    rc, out = await _cli(server, "--json", "phone", "auth", MAC, "show", "--password")
    assert rc == 0
    password = re.search(r'"password": "(\w+)"', out)
    assert password is not None
    status, body = await curl(server.url(PATH))
    assert status == 200 and f"--pwd {password[1]}]".encode() in body
    rc, out = await _cli(server, "phone", "auth", MAC, "show")
    assert rc == 0 and "required" in out and password[1] not in out
    status, _ = await curl("--digest", "-u", f"{MAC}:{password[1]}", server.url(PATH))
    assert status == 200
    rc, out = await _cli(server, "phone", "auth", MAC, "off")
    assert rc == 0 and "off" in out
    assert (await curl(server.url(PATH)))[0] == 200
    rc, out = await _cli(server, "phone", "auth", "0004f2ffffff", "show")
    assert rc == 1 and "no phone" in out


async def test_bundled_modules_deliver_the_credentials(server: Running, tmp_path: Path) -> None:
    """Yealink and Polycom templates carry them (Cisco SPA: the tests above); a phone
    whose configuration did not carry the password stays pending, never locked out."""
    server.svc.setting_set("PROVISION_AUTH", "new")
    yealink, polycom, polycom_tftp = "001565a1b2c3", "0004f2d1e2f3", "0004f2d1e2f4"
    ua = f"Yealink SIP-T46G 28.80.0.95 {yealink}"
    status, body = await curl("-A", ua, server.url(f"/{yealink}.cfg"))
    password = server.svc.phone_auth_show(yealink, reveal=True)["password"]
    assert status == 200
    assert re.search(rb"^static\.auto_provision\.server\.url = http://127\.0\.0\.1:\d+/$", body,
                     re.MULTILINE), body.decode()
    assert f"static.auto_provision.server.username = {yealink}\n".encode() in body
    assert f"static.auto_provision.server.password = {password}\n".encode() in body
    assert server.svc.phone_auth_show(yealink)["state"] == "required"
    status, _ = await curl("-A", ua, "--digest", "-u", f"{yealink}:{password}",
                           server.url(f"/{yealink}.cfg"))
    assert status == 200

    path = f"/polycom-SPIP550-{polycom}.cfg"
    status, body = await curl(server.url(path))
    password = server.svc.phone_auth_show(polycom, reveal=True)["password"]
    assert status == 200
    assert (f'device.prov.user.set="1" device.prov.user="{polycom}" device.prov.password.set="1" '
            f'device.prov.password="{password}"').encode() in body
    assert server.svc.phone_auth_show(polycom)["state"] == "required"

    # over TFTP the Polycom template keeps them out (they are its FTP login too): pending
    rc, msg = await tftp_get(server.ports.tftp, f"/polycom-SPIP550-{polycom_tftp}.cfg",
                             str(tmp_path / "p.cfg"))
    assert rc == 0 and "error" not in msg.lower(), msg
    assert b"device.prov.user" not in (tmp_path / "p.cfg").read_bytes()
    assert server.svc.phone_auth_show(polycom_tftp)["state"] == "pending"
    status, _ = await curl(server.url(f"/polycom-SPIP550-{polycom_tftp}.cfg"))
    assert status == 200  # ...and now it has them over HTTP
    assert server.svc.phone_auth_show(polycom_tftp)["state"] == "required"


async def test_credentials_count_as_configuration_but_their_state_does_not(
        server: Running) -> None:
    """Turning them on makes the phone stale (it must fetch them); pending -> required
    after that fetch does not; phones that never had any keep their old fingerprint."""
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                                 headers={"Authorization": f"Bearer {token}"},
                                 timeout=30) as api:
        async def stale() -> list[str]:
            return [p["mac"] for p in (await api.get("/phones/stale")).json()]

        assert (await curl(server.url(PATH)))[0] == 200
        plain = server.svc.store.get_phone(MAC)
        assert plain is not None and "PROVISION_PASSWORD" not in (plain.last_config or {})
        assert await stale() == []
        server.svc.phone_auth_on(MAC)
        assert await stale() == [MAC]
        assert (await curl(server.url(PATH)))[0] == 200
        assert server.svc.phone_auth_show(MAC)["state"] == "required"
        assert await stale() == []
        server.svc.phone_auth_off(MAC)
        assert await stale() == [MAC]


async def test_required_phone_over_ftp_needs_its_own_login(server: Running) -> None:
    """Anonymous FTP, or another phone's login, must not be a way around digest."""
    await _first_fetch(server)
    other = "0004f2a1b2c4"
    server.svc.phone_add(other, "spa504g")
    before = _snapshot(server)
    own = server.svc.phone_show(MAC)["admin_password"]
    others = server.svc.phone_show(other)["admin_password"]
    for user, password in (("anonymous", "phone@"), (other, others)):
        with pytest.raises(ftplib.error_perm, match="550"):
            await trio.to_thread.run_sync(_retr, server.ports.ftp, PATH, user, password)
    assert _snapshot(server) == before  # refused before anything about the phone moved
    body = await trio.to_thread.run_sync(_retr, server.ports.ftp, PATH, MAC, own)
    assert b"<flat-profile>" in body and MAC.encode() in body
