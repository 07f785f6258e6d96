"""send_notify's socket handling, against a hand-written phone on a real loopback socket:
only the phone's own address is listened to, garbage is survived, arguments are checked."""

from __future__ import annotations

import logging
import re

import pytest
import trio
from provhost.sip import Outcome, send_notify


async def fake_phone(sock: trio.socket.SocketType, forger: trio.socket.SocketType,
                     task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Receive the NOTIFY; have `forger` (another port) send a forged 200 for it, send some
    garbage ourselves, then answer 486 from the phone's own address."""
    task_status.started()
    data, client = await sock.recvfrom(65535)
    text = data.decode()
    via = re.search(r"^Via: ([^\r\n]*)", text, re.M)
    call_id = re.search(r"^Call-ID: ([^\r\n]*)", text, re.M)
    assert via and call_id
    # the Via names the address we can answer to: our client's bound socket
    assert via.group(1).startswith(f"SIP/2.0/UDP {client[0]}:{client[1]};branch=z9hG4bK")

    def answer(code: str) -> bytes:
        return (f"SIP/2.0 {code}\r\nVia: {via.group(1)}\r\nCall-ID: {call_id.group(1)}\r\n"
                "CSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n").encode()

    await forger.sendto(answer("200 OK"), client)
    await sock.sendto(b"\x00\xffnot sip at all", client)
    await trio.sleep(0.05)  # let the client see the strays first
    await sock.sendto(answer("486 Busy Here"), client)


async def test_only_the_phone_is_listened_to(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="provhost.sip")
    with trio.socket.socket(type=trio.socket.SOCK_DGRAM) as phone, \
            trio.socket.socket(type=trio.socket.SOCK_DGRAM) as forger:
        await phone.bind(("127.0.0.1", 0))
        await forger.bind(("127.0.0.1", 0))
        port, forger_port = phone.getsockname()[1], forger.getsockname()[1]
        async with trio.open_nursery() as nursery:
            await nursery.start(fake_phone, phone, forger)
            result = await send_notify("127.0.0.1", port, user="10", password=None, t1=0.2)
    assert result.outcome is Outcome.REJECTED
    assert (result.code, result.reason) == (486, "Busy Here")
    logs = caplog.text
    assert f"ignored a datagram from 127.0.0.1:{forger_port}" in logs
    assert "ignored a datagram that is not a SIP response" in logs


@pytest.mark.parametrize("kwargs, message", [
    ({"auth": "md5"}, "SIPNOTIFY_auth must be one of"),
    ({"phone_ip": "phone.example.com"}, "is not an IP address"),
    ({"event": "check sync"}, "SIPNOTIFY_event"),
    ({"user": ""}, "user name is empty"),
    ({"local_ip": "localhost"}, "local address 'localhost' is not an IP address"),
])
async def test_bad_arguments_raise_before_sending(kwargs: dict[str, str], message: str) -> None:
    args = {"phone_ip": "127.0.0.1", "user": "10", "password": None} | kwargs
    phone_ip = args.pop("phone_ip")
    with pytest.raises(ValueError, match=message):
        await send_notify(phone_ip, 5060, **args)  # type: ignore[arg-type]


async def test_unusable_local_address_is_a_result_not_a_crash() -> None:
    # 192.0.2.1 (TEST-NET-1) is not an address of this machine: bind fails
    result = await send_notify("127.0.0.1", 5060, user="10", password=None,
                               local_ip="192.0.2.1")
    assert result.outcome is Outcome.NO_ANSWER
    assert result.detail.startswith("could not send to 127.0.0.1:5060 from 192.0.2.1: ")
    assert result.sends == 0
