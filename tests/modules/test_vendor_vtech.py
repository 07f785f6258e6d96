"""VTech VSP/VCS: the module's boot sequences replayed with tftp-hpa and curl against one
server; the digit map follows the numbering; resync is a NOTIFY "check-sync" received by
SIPp."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import Running, curl
from .notify_check import reload_sends_event
from .replay_sequences import replay, sequences


async def test_vtech_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    for n, file in enumerate(sequences("vtech")):
        problems = await replay(server, file, f"127.0.0.{50 + n}", tmp_path)
        assert problems == [], problems

    svc = server.svc
    svc.phone_add("0011a0000715", "vtech_vsp715")
    svc.line_add("71", phone="0011a0000715")
    svc.setting_set("TIMEZONE_OFFSET", "7200")
    status, body = await curl(server.url("/VSP715_0011A0000715.cfg"))
    assert status == 200, body
    text = body.decode()
    assert "time_date.selected_timezone = Etc/GMT-2\n" in text  # POSIX sign: UTC+2
    admin = svc.phone_show("0011a0000715")["admin_password"]
    assert f"profile.admin.access_password = {admin}\n" in text
    # a file name that is not VTech's is not answered by this module
    status, _ = await curl(server.url("/VSP715_notamac.cfg"))
    assert status == 404
    # a name cannot add a setting of its own
    svc.user_add("mallory", "Eve\r\nprofile.admin.access_password = owned")
    svc.line_add("72", user="mallory", phone="0011a0000715")
    status, body = await curl(server.url("/VSP715_0011A0000715.cfg"))
    assert status == 200 and b"\nprofile.admin.access_password = owned" not in body
    await reload_sends_event(server, "0011a0000715", "check-sync", tmp_path)


async def test_vtech_provisioning_credentials(server: Running) -> None:
    """PROVISION_AUTH=new: the first MAC file carries the phone's provisioning user and
    password; from then on its files need HTTP digest with them (real curl --digest)."""
    server.svc.setting_set("PROVISION_AUTH", "new")
    url = server.url("/VSP725_0011A0000C01.cfg")
    status, body = await curl("--interface", "127.0.0.58", url)
    assert status == 200, body
    user = re.search(rb"^provisioning\.server_username = (\S+)$", body, re.M)
    password = re.search(rb"^provisioning\.server_access_password = (\S+)$", body, re.M)
    assert user and password, body.decode()
    assert user[1].decode() == "0011a0000c01"
    status, _ = await curl("--interface", "127.0.0.58", url)
    assert status == 401
    status, body = await curl("--interface", "127.0.0.58", "--digest", "-u",
                              f"{user[1].decode()}:{password[1].decode()}", url)
    assert status == 200 and b"provisioning.server_address = http://" in body
