"""The trio shell around NotifyExchange: one UDP socket, one cancel scope per deadline.

Only ever talks to the phone: datagrams go to phone_ip:port and only datagrams from that
exact address are fed to the exchange (anything else is logged and dropped), so a resync
cannot be used to reach, or be answered by, anything but the phone.
"""

from __future__ import annotations

import ipaddress
import logging
import socket as stdsocket
from collections.abc import Callable

import trio

from provhost.sip.auth import AuthMode
from provhost.sip.exchange import NotifyExchange, NotifyParams, NotifyResult, Outcome, Step
from provhost.sip.message import MAX_DATAGRAM
from provhost.sip.transaction import Timers

log = logging.getLogger("provhost.sip")


def route_source_ip(phone_ip: str) -> str:
    """The local address the kernel would use to reach phone_ip.  Connecting a UDP socket
    sends nothing; it only picks a route."""
    addr = ipaddress.ip_address(phone_ip)
    family = stdsocket.AF_INET6 if addr.version == 6 else stdsocket.AF_INET
    with stdsocket.socket(family, stdsocket.SOCK_DGRAM) as probe:
        probe.connect((str(addr), 9))
        return str(probe.getsockname()[0])


async def send_notify(
    phone_ip: str,
    port: int = 5060,
    *,
    user: str,
    password: str | None,
    auth: str = "none",
    event: str = "check-sync",
    arg: str | None = None,
    local_ip: str | None = None,
    t1: float = 0.5,
    t2: float = 4.0,
    timer_f: float | None = None,
    token: Callable[[int], str] | None = None,
) -> NotifyResult:
    """Send a resync NOTIFY to the phone and wait for its verdict (at most ~2 x timer F:
    one transaction, plus one after a challenge).

    `auth` is SIPNOTIFY_auth ('none', 'digest', 'basic', 'auto'); `user`/`password` are the
    phone's first line credentials from LAST_CONFIG.  `local_ip` None means the address the
    kernel routes to the phone from.  Raises ValueError for bad arguments (before sending
    anything); every network outcome, including "no route" or an unusable local_ip, is a
    NotifyResult.
    """
    try:
        mode = AuthMode(auth)
    except ValueError:
        raise ValueError(f"SIPNOTIFY_auth must be one of none, basic, digest, auto; "
                         f"got {auth!r}") from None
    try:
        phone = ipaddress.ip_address(phone_ip)
    except ValueError:
        raise ValueError(f"phone address {phone_ip!r} is not an IP address") from None
    params = NotifyParams(user=user, phone_ip=str(phone), phone_port=port, password=password,
                          auth=mode, event=event, arg=arg)
    timers = Timers(t1=t1, t2=max(t2, t1), timer_f=timer_f)
    if local_ip is not None:
        try:
            local_ip = str(ipaddress.ip_address(local_ip))
        except ValueError:
            raise ValueError(f"local address {local_ip!r} is not an IP address") from None
    family = trio.socket.AF_INET6 if phone.version == 6 else trio.socket.AF_INET
    destination = (str(phone), port)

    with trio.socket.socket(family, trio.socket.SOCK_DGRAM) as sock:
        try:
            if local_ip is None:
                local_ip = route_source_ip(str(phone))
            await sock.bind((local_ip, 0))
        except OSError as e:  # no route to the phone, or local_ip is not ours
            log.warning("SIP NOTIFY to %s:%d: cannot send from %s: %s", phone, port,
                        local_ip or "any address", e)
            return NotifyResult(Outcome.NO_ANSWER,
                                f"could not send to {phone}:{port} from "
                                f"{local_ip or 'any local address'}: {e}")
        bound_ip, local_port = sock.getsockname()[:2]
        extra = {"token": token} if token is not None else {}
        exchange = NotifyExchange(params, bound_ip, local_port, timers, **extra)
        log.info("SIP NOTIFY (Event: %s) to %s:%d for user %s, auth %s",
                 exchange.request.event, phone, port, user, mode)

        async def send(step: Step) -> None:
            if step.note:
                log.info("SIP NOTIFY to %s:%d: %s", phone, port, step.note)
            for datagram in step.datagrams:
                try:
                    await sock.sendto(datagram, destination)
                except OSError as e:
                    await send(exchange.transport_error(str(e), trio.current_time()))
                    return

        await send(exchange.start(trio.current_time()))
        while exchange.result is None:
            deadline = exchange.next_deadline()
            assert deadline is not None  # a live transaction always has timer F armed
            with trio.move_on_at(deadline) as wait:
                while True:
                    try:
                        data, source = await sock.recvfrom(MAX_DATAGRAM)
                    except ConnectionRefusedError as e:  # an ICMP port unreachable, on
                        log.info("SIP NOTIFY to %s:%d: %s", phone, port, e)  # some systems
                        continue  # the phone may still come up: keep retransmitting
                    except OSError as e:
                        await send(exchange.transport_error(str(e), trio.current_time()))
                        break
                    if _same_address(source, destination):
                        await send(exchange.datagram_received(data, trio.current_time()))
                        break
                    log.warning("SIP NOTIFY to %s:%d: ignored a datagram from %s:%s",
                                phone, port, source[0], source[1])
            if wait.cancelled_caught:
                await send(exchange.advance(trio.current_time()))

    result = exchange.result
    assert result is not None
    level = logging.INFO if result.outcome is Outcome.ACCEPTED else logging.WARNING
    log.log(level, "SIP NOTIFY to %s:%d: %s (%s)", phone, port, result.outcome, result.detail)
    return result


def _same_address(source: tuple[str, int], destination: tuple[str, int]) -> bool:
    try:
        return (ipaddress.ip_address(source[0].split("%")[0]) == ipaddress.ip_address(
            destination[0]) and source[1] == destination[1])
    except ValueError:
        return False
