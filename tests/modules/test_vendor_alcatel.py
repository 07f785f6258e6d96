"""Alcatel-Lucent: the ALE Myriad/80x8s SIP and IP Touch SIP boot sequences replayed
with curl and tftp-hpa against one running server; a check-sync NOTIFY for the ALE SIP
DeskPhones received by SIPp; and the IP Touch's telnet resync ("reset soft" after the
phone password it last read) against a loopback telnet service posing as the phone."""

from __future__ import annotations

from pathlib import Path

import httpx
import trio

from .vendor_replay import Running, curl, replay, resync_with_sipp, sequences

IPTOUCH = "00809f5607ae"
PHONE_IP = "127.0.0.23"  # the IP Touch's address; its telnet service listens there


async def test_alcatel_sequences_and_resync(server: Running, tmp_path: Path) -> None:
    for n, (name, seq) in enumerate(sequences("ale-sip") + sequences("alcatel-iptouch")):
        tftp = any(s.get("proto", "tftp") == "tftp" for s in seq["steps"])
        await replay(server, name, seq, "127.0.0.1" if tftp else f"127.0.0.{50 + n}", tmp_path)
    # config.<name>.xml that is no ALE model, asked without an ALE User-Agent: not ours
    status, _ = await curl("--interface", "127.0.0.59", server.url("/config.foo.xml"))
    assert status == 404
    status, _ = await curl("--interface", "127.0.0.1", "-A",
                           "ALE M7-CE 2.11.01.1604 3c28a6200777",
                           server.url("/config.3c28a6200777.xml"))
    assert status == 200
    assert server.svc.store.get_phone("3c28a6200777").phone_type == "ale_m7"
    result = await resync_with_sipp(server, "3c28a6200777", "check-sync", tmp_path)
    assert "ok" in result.lower(), result


async def test_iptouch_telnet_resync(server: Running, nursery: trio.Nursery) -> None:
    seen: list[bytes] = []
    listener = trio.socket.socket()
    listener.setsockopt(trio.socket.SOL_SOCKET, trio.socket.SO_REUSEADDR, 1)  # reruns
    await listener.bind((PHONE_IP, 23))
    listener.listen()

    async def phone() -> None:
        """One telnet session: password prompt, then the command."""
        sock, _ = await listener.accept()
        with sock:
            await sock.send(b"\xff\xfb\x01Password ?")
            seen.append((await sock.recv(200)).strip())
            await sock.send(b"\r\nLogin accepted\r\n> ")
            seen.append((await sock.recv(200)).strip())

    nursery.start_soon(phone)
    server.svc.user_add("carol", "Carol Example")
    server.svc.phone_add(IPTOUCH, "iptouch_4018ee")
    server.svc.line_add("31", user="carol", phone=IPTOUCH)
    status, body = await curl("--interface", PHONE_IP, server.url(f"/sipconfig-{IPTOUCH.upper()}.txt"))
    assert status == 200
    # a name cannot add a section or a key of its own (INI injection)
    server.svc.user_rename("carol", "Eve\n[appl]\nadmin_password=owned")
    status, body = await curl("--interface", PHONE_IP,
                              server.url(f"/sipconfig-{IPTOUCH.upper()}.txt"))
    assert status == 200 and b"\nadmin_password=owned" not in body
    assert body.count(b"\n[appl]") == 1
    old = server.svc.phone_show(IPTOUCH)["admin_password"]
    assert f"telnet_password={old}\n".encode() in body
    server.svc.phone_set_password(IPTOUCH, "a-new-password")  # the phone knows only `old`
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                                 headers={"Authorization": f"Bearer {token}"}) as api:
        r = await api.post(f"/phones/{IPTOUCH}/reload", timeout=30)
    assert r.status_code == 200, r.text
    with trio.fail_after(10):
        while len(seen) < 2:
            await trio.sleep(0.05)
    assert seen == [old.encode(), b"reset soft"]
    listener.close()
