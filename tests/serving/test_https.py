"""HTTPS with a configured certificate: the same chain, $PROTO = 'https'."""

from __future__ import annotations

import datetime
from pathlib import Path

import trio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from provhost.paths import Paths
from provhost.server.main import ServerConfig, serve_all
from provhost.service import Service

from .conftest import curl

MAC = "0004f2000444"


def _self_signed(tmp: Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provhost.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


async def test_https_serves_the_chain(paths: Paths, nursery: trio.Nursery, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    svc = Service(paths)
    svc.phone_add(MAC, "spa504g")
    svc.line_add("10", phone=MAC)
    cfg = ServerConfig(listen="127.0.0.1", http_port=0, tftp_port=0, api_port=0, https_port=0,
                       certfile=cert, keyfile=key)
    ports = await nursery.start(serve_all, svc, cfg)
    assert ports.https
    status, body = await curl("--cacert", cert, "--resolve", f"provhost.test:{ports.https}:127.0.0.1",
                              f"https://provhost.test:{ports.https}/Cisco/SPA504G/{MAC}.cfg")
    assert status == 200 and b"<User_ID_1_" in body
    status, _ = await curl("-k", f"https://127.0.0.1:{ports.https}/nothing.cfg")
    assert status == 404
