"""What a TFTP handler sees and answers, plus the server's tunables.

The provisioning chain plugs in here: it receives a `TftpRequest` and returns one of
the three reply types.  Nothing in this file does I/O.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class TftpRequest:
    """One read or write request as the client sent it (mode and option names lower-cased)."""

    path: str
    client: tuple[str, int]
    mode: str
    options: dict[str, str] = field(default_factory=dict)
    local_ip: str = ""  # the server address the request was sent to ($OPERATOR_IP)


@dataclass
class BytesReply:
    """Serve these bytes (small generated configs)."""

    data: bytes


@dataclass
class FileReply:
    """Serve `size` bytes fetched on demand with ``await read(offset, length)``.

    Why: firmware images are large; the server reads them in bounded chunks while the
    transfer progresses instead of holding them in memory.  `read` may return fewer
    bytes than asked (it is called again for the rest) but not zero before `size`.
    """

    size: int
    read: Callable[[int, int], Awaitable[bytes]]
    # called once when the transfer ends, however it ends: release what `read` holds
    close: Callable[[], None] | None = None


@dataclass
class ErrorReply:
    """Refuse the request with a TFTP error packet (code 1 = not found, 2 = access...)."""

    code: int
    message: str


Reply = BytesReply | FileReply | ErrorReply


@dataclass(frozen=True)
class TftpConfig:
    """Server tunables; the defaults suit phones on a LAN."""

    max_blksize: int = 1468  # fits a 1500-byte Ethernet MTU with IP/UDP/TFTP headers
    max_windowsize: int = 64  # RFC 7440 allows 65535; more buys nothing on a LAN
    timeout: float = 1.0  # retransmission timeout when the client sends no `timeout`
    retries: int = 5  # retransmissions of one packet before giving up
    max_per_client: int = 16  # concurrent transfers per client IP (NAT offices share one)
    max_transfers: int = 1024  # concurrent transfers overall (one socket each)
    handler_timeout: float = 10.0  # seconds a handler may take before error 0
