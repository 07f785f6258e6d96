"""Which local address a datagram was sent to, on a socket bound to the wildcard address.

Why: $OPERATOR_IP is the address the phone can reach, i.e. the one its request arrived on;
on a multi-homed host listening on 0.0.0.0 only the kernel knows it, in the IP_PKTINFO
(IPv6: IPV6_PKTINFO) control message of each datagram.  The transfer's own socket is then
bound to that address, so a phone hears the answer from the address it asked.
"""

from __future__ import annotations

import ipaddress
import socket

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux's value; Python does not export it
IPV6_RECVPKTINFO = getattr(socket, "IPV6_RECVPKTINFO", 49)
IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)
ANCILLARY_SIZE = socket.CMSG_SPACE(20)  # in_pktinfo is 12 bytes, in6_pktinfo 20


def is_wildcard(host: str) -> bool:
    return host in ("", "0.0.0.0", "::")


def enable(sock: socket.socket | object, family: int) -> None:
    """Ask the kernel for the destination address of every datagram."""
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)  # type: ignore[attr-defined]
    else:
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)  # type: ignore[attr-defined]


def destination(ancdata: list[tuple[int, int, bytes]]) -> str:
    """The local address from recvmsg()'s control messages ("" when absent)."""
    for level, kind, data in ancdata:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= 12:
            return str(ipaddress.IPv4Address(data[8:12]))  # in_pktinfo.ipi_addr
        if level == socket.IPPROTO_IPV6 and kind == IPV6_PKTINFO and len(data) >= 16:
            return str(ipaddress.IPv6Address(data[:16]))  # in6_pktinfo.ipi6_addr
    return ""
