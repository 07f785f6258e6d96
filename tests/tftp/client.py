"""A small TFTP test client built on provhost's codec, for options tftp-hpa cannot send.

It is deliberately strict: anything unexpected raises, so tests notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import trio
from provhost.tftp.packets import (
    Ack,
    Data,
    Error,
    Opcode,
    OptionAck,
    Packet,
    Request,
    decode,
    encode,
)

HOST = "127.0.0.1"


class TftpError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"error {code}: {message}")
        self.code = code
        self.message = message


@dataclass
class Result:
    data: bytes = b""
    oack: dict[str, str] | None = None
    data_packets: int = 0  # DATA packets received, duplicates included
    server: tuple[str, int] | None = None
    trace: list[Packet] = field(default_factory=list)


async def udp_socket() -> trio.socket.SocketType:
    sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
    await sock.bind((HOST, 0))
    return sock


async def recv_packet(sock: trio.socket.SocketType, wait: float = 5.0) -> tuple[Packet, tuple]:
    with trio.fail_after(wait):
        datagram, addr = await sock.recvfrom(70000)
    return decode(datagram), addr


async def get(
    port: int,
    path: str,
    *,
    mode: str = "octet",
    options: dict[str, str] | None = None,
    sock: trio.socket.SocketType | None = None,
    host: str = HOST,
) -> Result:
    """Download `path` from host:port; ACKs each window as RFC 7440 prescribes."""
    options = options or {}
    own = sock is None
    sock = sock or await udp_socket()
    result = Result()
    try:
        request = Request(Opcode.RRQ, path, mode, tuple(options.items()))
        await sock.sendto(encode(request), (host, port))
        blksize, window = 512, 1
        chunks: list[bytes] = []
        received = 0
        since_ack = 0
        while True:
            packet, addr = await recv_packet(sock)
            result.trace.append(packet)
            if result.server is None:
                result.server = addr
            assert addr == result.server, f"packet from {addr}, expected {result.server}"
            if isinstance(packet, Error):
                raise TftpError(packet.code, packet.message)
            if isinstance(packet, OptionAck):
                assert received == 0 and result.oack is None
                result.oack = dict(packet.options)
                blksize = int(result.oack.get("blksize", blksize))
                window = int(result.oack.get("windowsize", window))
                await sock.sendto(encode(Ack(0)), addr)
                continue
            assert isinstance(packet, Data), packet
            result.data_packets += 1
            if packet.block != (received + 1) % 0x10000:
                continue  # duplicate or out of order
            received += 1
            since_ack += 1
            chunks.append(packet.payload)
            last = len(packet.payload) < blksize
            if last or since_ack >= window:
                await sock.sendto(encode(Ack(received % 0x10000)), addr)
                since_ack = 0
            if last:
                break
        result.data = b"".join(chunks)
        return result
    finally:
        if own:
            sock.close()


async def put(
    port: int,
    path: str,
    data: bytes,
    *,
    mode: str = "octet",
    options: dict[str, str] | None = None,
) -> Result:
    """Upload `data` to `path` with windowsize 1 semantics."""
    options = options or {}
    result = Result()
    with await udp_socket() as sock:
        await sock.sendto(encode(Request(Opcode.WRQ, path, mode, tuple(options.items()))),
                          (HOST, port))
        packet, addr = await recv_packet(sock)
        result.server = addr
        if isinstance(packet, Error):
            raise TftpError(packet.code, packet.message)
        blksize = 512
        if isinstance(packet, OptionAck):
            result.oack = dict(packet.options)
            blksize = int(result.oack.get("blksize", blksize))
        else:
            assert packet == Ack(0), packet
        block = 0
        offset = 0
        while True:
            payload = data[offset: offset + blksize]
            block += 1
            await sock.sendto(encode(Data(block % 0x10000, payload)), addr)
            packet, _ = await recv_packet(sock)
            if isinstance(packet, Error):
                raise TftpError(packet.code, packet.message)
            assert packet == Ack(block % 0x10000), packet
            offset += blksize
            if len(payload) < blksize:
                return result
