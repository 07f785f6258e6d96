"""FTP provisioning through the chain, with Python's ftplib as the real client."""

from __future__ import annotations

import ftplib
import io

import pytest
import trio

from .conftest import Running

MAC = "0004f2000666"


def _retr(port: int, path: str, user: str = "anonymous", password: str = "phone@") -> bytes:
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", port, timeout=20)
        ftp.login(user, password)
        buf = io.BytesIO()
        ftp.retrbinary(f"RETR {path}", buf.write)
        return buf.getvalue()


async def test_anonymous_ftp_boot(server: Running) -> None:
    server.svc.phone_add(MAC, "spa504g")
    line = server.svc.line_add("10", phone=MAC)
    body = await trio.to_thread.run_sync(_retr, server.ports.ftp, f"/Cisco/SPA504G/{MAC}.cfg")
    assert f"<User_ID_1_ ua=\"na\">{line['sip_username']}<".encode() in body
    with pytest.raises(ftplib.error_perm, match="550"):
        await trio.to_thread.run_sync(_retr, server.ports.ftp, "/no/such.cfg")
    with pytest.raises(ftplib.error_perm, match="550"):
        await trio.to_thread.run_sync(_retr, server.ports.ftp, "/../etc/passwd")


async def test_per_phone_credentials(server: Running) -> None:
    server.svc.phone_add(MAC, "spa504g")
    password = server.svc.phone_show(MAC)["admin_password"]
    body = await trio.to_thread.run_sync(
        _retr, server.ports.ftp, f"/Cisco/SPA504G/{MAC}.cfg", "00:04:f2:00:06:66", password)
    assert b"<flat-profile>" in body
    with pytest.raises(ftplib.error_perm, match="530"):
        await trio.to_thread.run_sync(
            _retr, server.ports.ftp, f"/Cisco/SPA504G/{MAC}.cfg", MAC, "wrong")
