"""End to end against the trio server with our own codec-built client: options, rollover,
windows, stray TIDs, garbage on the server port, limits, uploads."""

from __future__ import annotations

import trio
from provhost.tftp import BytesReply, ErrorReply, FileReply, TftpConfig, TftpRequest
from provhost.tftp.packets import Ack, Data, Error, Opcode, OptionAck, Request, encode

from .client import HOST, TftpError, get, put, recv_packet, udp_socket
from .conftest import Starter

BLOB = bytes(i * 7 % 256 for i in range(5000))


class Files:
    """A handler over an in-memory dict that records its calls."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.files = files if files is not None else {"/blob": BLOB, "/text": b"a\nb\rc"}
        self.requests: list[TftpRequest] = []
        self.reads: list[tuple[int, int]] = []

    async def __call__(self, request: TftpRequest) -> BytesReply | FileReply | ErrorReply:
        self.requests.append(request)
        if request.path.startswith("/stream"):
            data = self.files["/blob"] if request.path == "/stream" else self.files[request.path]

            async def read(offset: int, length: int) -> bytes:
                self.reads.append((offset, length))
                return data[offset: offset + min(length, 1000)]  # short reads on purpose

            return FileReply(len(data), read)
        if request.path not in self.files:
            return ErrorReply(1, "file not found")
        return BytesReply(self.files[request.path])


async def expect_error(sock: trio.socket.SocketType) -> Error:
    packet, _ = await recv_packet(sock)
    assert isinstance(packet, Error), packet
    return packet


async def test_plain_get_and_request_fields(start_server: Starter) -> None:
    files = Files()
    port = await start_server(files)
    result = await get(port, "/blob", mode="OcTeT", options={"X-Vendor": "1"})
    assert result.data == BLOB and result.oack is None  # only an unknown option: no OACK
    request = files.requests[0]
    assert request.path == "/blob" and request.mode == "octet"
    assert request.options == {"x-vendor": "1"} and request.client[0] == HOST
    assert result.server is not None and result.server[1] != port  # a fresh TID


async def test_blksize_tsize_timeout_negotiated(start_server: Starter) -> None:
    port = await start_server(Files())
    result = await get(port, "/blob", options={"blksize": "1024", "tsize": "0", "timeout": "2"})
    assert result.oack == {"blksize": "1024", "tsize": "5000", "timeout": "2"}
    assert result.data == BLOB
    assert [len(p.payload) for p in result.trace if isinstance(p, Data)] == [1024] * 4 + [904]


async def test_blksize_clamped_to_configured_maximum(start_server: Starter) -> None:
    port = await start_server(Files(), config=TftpConfig(max_blksize=1000))
    result = await get(port, "/blob", options={"blksize": "65464"})
    assert result.oack == {"blksize": "1000"} and result.data == BLOB


async def test_tsize_of_file_reply_and_netascii(start_server: Starter) -> None:
    files = Files()
    port = await start_server(files)
    result = await get(port, "/stream", options={"tsize": "0", "blksize": "1468"})
    assert result.oack == {"tsize": "5000", "blksize": "1468"} and result.data == BLOB
    assert files.reads[0] == (0, 5000) and files.reads[1] == (1000, 4000)  # short reads resumed
    result = await get(port, "/text", mode="netascii", options={"tsize": "0"})
    assert result.oack == {"tsize": "7"} and result.data == b"a\r\nb\r\0c"
    # a streamed file in netascii has no size known up front: tsize left out
    result = await get(port, "/stream", mode="netascii", options={"tsize": "0", "blksize": "8"})
    assert result.oack == {"blksize": "8"}


async def test_windowsize_sends_a_window_before_each_ack(start_server: Starter) -> None:
    port = await start_server(Files())
    result = await get(port, "/blob", options={"windowsize": "4", "blksize": "512"})
    assert result.oack == {"windowsize": "4", "blksize": "512"} and result.data == BLOB
    assert result.data_packets == 10  # 9 full blocks + short one, none duplicated


async def test_rollover_past_65535_blocks(start_server: Starter) -> None:
    big = bytes(i % 253 for i in range(8 * 65_600 + 3))  # 65601 blocks of 8 bytes
    files = Files({"/blob": BLOB, "/stream-big": big})
    port = await start_server(files)
    result = await get(port, "/stream-big", options={"blksize": "8", "windowsize": "64"})
    assert result.data == big
    blocks = [p.block for p in result.trace if isinstance(p, Data)]
    assert blocks[65534:65537] == [65535, 0, 1] and len(blocks) == 65_601


async def test_netascii_mode_names_case_insensitive(start_server: Starter) -> None:
    port = await start_server(Files())
    assert (await get(port, "/text", mode="NETASCII")).data == b"a\r\nb\r\0c"


async def test_unknown_mode_refused(start_server: Starter) -> None:
    port = await start_server(Files())
    try:
        await get(port, "/blob", mode="mail")
    except TftpError as exc:
        assert exc.code == 4 and "unsupported transfer mode 'mail'" in exc.message
    else:
        raise AssertionError("mail mode was accepted")


async def test_bad_option_value_refused_with_error_8(start_server: Starter) -> None:
    port = await start_server(Files())
    try:
        await get(port, "/blob", options={"blksize": "4"})
    except TftpError as exc:
        assert exc.code == 8 and "blksize=4" in exc.message
    else:
        raise AssertionError("blksize 4 was accepted")


async def test_client_refusing_oack_ends_transfer(start_server: Starter) -> None:
    files = Files()
    port = await start_server(files, config=TftpConfig(max_per_client=1))
    with await udp_socket() as sock:
        await sock.sendto(encode(Request(Opcode.RRQ, "/blob", "octet", (("blksize", "9"),))),
                          (HOST, port))
        packet, server = await recv_packet(sock)
        assert packet == OptionAck((("blksize", "9"),))
        await sock.sendto(encode(Error(8, "I wanted more")), server)
    # the slot is released: with a per-client limit of 1 a new transfer works
    with trio.fail_after(5):
        while True:
            try:
                assert (await get(port, "/blob")).data == BLOB
                break
            except TftpError as exc:
                assert "too many" in exc.message
                await trio.sleep(0.01)


async def test_not_found(start_server: Starter) -> None:
    port = await start_server(Files())
    try:
        await get(port, "/missing")
    except TftpError as exc:
        assert (exc.code, exc.message) == (1, "file not found")
    else:
        raise AssertionError


async def test_duplicate_ack_does_not_duplicate_data(start_server: Starter) -> None:
    port = await start_server(Files(), config=TftpConfig(timeout=30))
    with await udp_socket() as sock:
        await sock.sendto(encode(Request(Opcode.RRQ, "/blob", "octet")), (HOST, port))
        packet, server = await recv_packet(sock)
        assert packet == Data(1, BLOB[:512])
        await sock.sendto(encode(Ack(1)), server)
        await sock.sendto(encode(Ack(1)), server)  # duplicate
        assert (await recv_packet(sock))[0] == Data(2, BLOB[512:1024])
        await sock.sendto(encode(Ack(2)), server)
        # had the duplicate triggered a resend, DATA 2 would arrive again before DATA 3
        assert (await recv_packet(sock))[0] == Data(3, BLOB[1024:1536])


async def test_timeout_retransmits_then_gives_up(start_server: Starter) -> None:
    port = await start_server(Files(), config=TftpConfig(timeout=0.05, retries=2))
    with await udp_socket() as sock:
        await sock.sendto(encode(Request(Opcode.RRQ, "/blob", "octet")), (HOST, port))
        packets = [(await recv_packet(sock))[0] for _ in range(4)]
    assert packets[:3] == [Data(1, BLOB[:512])] * 3
    assert packets[3] == Error(0, "timed out waiting for the peer")
    assert (await get(port, "/blob")).data == BLOB


async def test_unknown_tid_gets_error_5_but_its_errors_get_no_answer(
    start_server: Starter,
) -> None:
    port = await start_server(Files(), config=TftpConfig(timeout=30))
    with await udp_socket() as sock, await udp_socket() as stranger:
        await sock.sendto(encode(Request(Opcode.RRQ, "/blob", "octet")), (HOST, port))
        packet, server = await recv_packet(sock)
        assert packet == Data(1, BLOB[:512])
        await stranger.sendto(encode(Ack(1)), server)
        error = await expect_error(stranger)
        assert error.code == 5 and "unknown transfer ID" in error.message
        await stranger.sendto(encode(Error(0, "x")), server)  # must not be answered
        await stranger.sendto(b"\x00\x04\x00", server)  # garbage: error 5 again
        assert (await expect_error(stranger)).code == 5  # the next reply, not one to ERROR
        await sock.sendto(encode(Ack(1)), server)  # the real peer carries on
        assert (await recv_packet(sock))[0] == Data(2, BLOB[512:1024])


async def test_unknown_tid_does_not_disturb_transfer(start_server: Starter) -> None:
    port = await start_server(Files(), config=TftpConfig(timeout=30))
    with await udp_socket() as sock, await udp_socket() as stranger:
        await sock.sendto(encode(Request(Opcode.RRQ, "/blob", "octet")), (HOST, port))
        chunks = []
        block = 1
        packet, server = await recv_packet(sock)
        while True:
            assert packet == Data(block, BLOB[(block - 1) * 512: block * 512])
            chunks.append(packet.payload)
            if block == 3:
                await stranger.sendto(encode(Data(4, b"evil")), server)
                assert (await expect_error(stranger)).code == 5
            await sock.sendto(encode(Ack(block)), server)
            if len(packet.payload) < 512:
                break
            block += 1
            packet, _ = await recv_packet(sock)
    assert b"".join(chunks) == BLOB


MALFORMED = [
    b"",
    b"\x00",
    b"\x00\x09junk",
    b"\x00\x01no-terminator",
    b"\x00\x01file\x00",
    b"\x00\x01\xff\xfe\x00octet\x00",
    b"\x00\x01f\x00octet\x00blksize\x008\x00blksize\x0016\x00",
    b"\x00\x01" + b"A" * 2000 + b"\x00octet\x00",
    b"\x00\x01f\x00octet\x00tsize\x00",
    b"\x00\x04\x00\x01",  # an ACK to the server port
    b"\x00\x03\x00\x01hello",  # DATA to the server port
    b"\x00\x06blksize\x008\x00",  # OACK to the server port
    b"\x00\x02f\x00octet\x00",  # WRQ with no upload handler
    b"\x00\x01f\x00octet\x00blksize\x00huge\x00",  # option refused
]


async def test_malformed_packets_on_server_port_then_service_continues(
    start_server: Starter,
) -> None:
    port = await start_server(Files())
    with await udp_socket() as sock:
        for datagram in MALFORMED:
            await sock.sendto(datagram, (HOST, port))
            error = await expect_error(sock)
            assert error.code in (2, 4, 8) and error.message, (datagram, error)
        await sock.sendto(b"\x00\x05\x00\x01oops\x00", (HOST, port))  # ERROR: no reply
        await sock.sendto(b"\x00\x05", (HOST, port))  # truncated ERROR: no reply either
        await sock.sendto(encode(Request(Opcode.RRQ, "/blob", "octet")), (HOST, port))
        packet, _ = await recv_packet(sock)
        assert packet == Data(1, BLOB[:512])  # the next thing we hear is real data
    assert (await get(port, "/blob")).data == BLOB


async def test_malformed_reasons_are_specific(start_server: Starter) -> None:
    port = await start_server(Files())
    with await udp_socket() as sock:
        for datagram, text in [
            (b"\x00\x09junk", "unknown opcode 9"),
            (b"\x00\x04\x00\x01", "expected RRQ or WRQ on the server port, got ACK"),
            (b"\x00\x01f\x00octet\x00blksize\x008\x00BLKSIZE\x0016\x00", "repeats option"),
        ]:
            await sock.sendto(datagram, (HOST, port))
            assert text in (await expect_error(sock)).message


async def test_slow_handler_does_not_block_others(start_server: Starter) -> None:
    release = trio.Event()
    files = Files()

    async def handler(request: TftpRequest) -> BytesReply | FileReply | ErrorReply:
        if request.path == "/slow":
            await release.wait()
        return await files(request)

    files.files["/slow"] = b"finally"
    port = await start_server(handler)
    async with trio.open_nursery() as nursery:
        slow_result: list[bytes] = []

        async def fetch_slow() -> None:
            slow_result.append((await get(port, "/slow")).data)

        nursery.start_soon(fetch_slow)
        assert (await get(port, "/blob")).data == BLOB  # served while /slow waits
        assert not slow_result
        release.set()
    assert slow_result == [b"finally"]


async def test_repeated_request_from_same_port_starts_one_transfer(start_server: Starter) -> None:
    release = trio.Event()
    calls = []

    async def handler(request: TftpRequest) -> BytesReply:
        calls.append(request.path)
        await release.wait()
        return BytesReply(b"once")

    port = await start_server(handler)
    with await udp_socket() as sock:
        for _ in range(3):
            await sock.sendto(encode(Request(Opcode.RRQ, "/f", "octet")), (HOST, port))
        await trio.testing.wait_all_tasks_blocked()
        release.set()
        packet, server = await recv_packet(sock)
        assert packet == Data(1, b"once")
        await sock.sendto(encode(Ack(1)), server)
    assert calls == ["/f"]


async def test_per_client_limit_answers_instead_of_queueing(start_server: Starter) -> None:
    release = trio.Event()

    async def handler(request: TftpRequest) -> BytesReply:
        await release.wait()
        return BytesReply(b"x")

    port = await start_server(handler, config=TftpConfig(max_per_client=2))
    with await udp_socket() as a, await udp_socket() as b, await udp_socket() as c:
        for sock in (a, b, c):
            await sock.sendto(encode(Request(Opcode.RRQ, "/f", "octet")), (HOST, port))
        error = await expect_error(c)
        assert error.code == 0 and "too many concurrent transfers from 127.0.0.1" in error.message
        release.set()
        for sock in (a, b):
            packet, server = await recv_packet(sock)
            assert packet == Data(1, b"x")
            await sock.sendto(encode(Ack(1)), server)


async def test_handler_crash_and_bad_reply_answer_error_0(start_server: Starter) -> None:
    async def handler(request: TftpRequest) -> BytesReply:
        if request.path == "/crash":
            raise RuntimeError("module blew up")
        if request.path == "/weird":
            return "not a reply"  # type: ignore[return-value]
        if request.path == "/badfile":
            async def read(offset: int, length: int) -> bytes:
                return b""
            return FileReply(100, read)  # type: ignore[return-value]
        return BytesReply(b"ok")

    port = await start_server(handler)
    for path, text in (("/crash", "internal server error"), ("/weird", "internal server error"),
                       ("/badfile", "server failed reading the file")):
        try:
            await get(port, path)
        except TftpError as exc:
            assert exc.code == 0 and text in exc.message
        else:
            raise AssertionError(path)
    assert (await get(port, "/fine")).data == b"ok"


async def test_handler_timeout(start_server: Starter) -> None:
    async def handler(request: TftpRequest) -> BytesReply:
        await trio.sleep_forever()
        raise AssertionError

    port = await start_server(handler, config=TftpConfig(handler_timeout=0.05))
    try:
        await get(port, "/f")
    except TftpError as exc:
        assert exc.code == 0 and "timed out" in exc.message
    else:
        raise AssertionError


async def test_wrq_with_options_and_netascii(start_server: Starter) -> None:
    stored: dict[str, bytes] = {}

    def upload(request: TftpRequest, data: bytes) -> None:  # a plain function works too
        stored[request.path] = data

    port = await start_server(Files(), upload_handler=upload)
    result = await put(port, "/up.bin", BLOB, options={"blksize": "1000", "tsize": "5000"})
    assert result.oack == {"blksize": "1000", "tsize": "5000"}
    await put(port, "/up.txt", b"x\r\ny\r\0z", mode="netascii")
    assert stored == {"/up.bin": BLOB, "/up.txt": b"x\ny\rz"}


async def test_wrq_size_limits(start_server: Starter) -> None:
    async def upload(request: TftpRequest, data: bytes) -> None:
        raise AssertionError("must not be called")

    port = await start_server(Files(), upload_handler=upload, max_upload=1000)
    for options in ({"tsize": "5000"}, {}):
        try:
            await put(port, "/big", BLOB, options=options)
        except TftpError as exc:
            assert exc.code == 3 and "1000-byte limit" in exc.message
        else:
            raise AssertionError(options)


async def test_wrq_dally_reacks_lost_final_ack(start_server: Starter) -> None:
    stored = []
    port = await start_server(Files(), upload_handler=lambda r, d: stored.append(d),
                              config=TftpConfig(timeout=5))
    with await udp_socket() as sock:
        await sock.sendto(encode(Request(Opcode.WRQ, "/u", "octet")), (HOST, port))
        packet, server = await recv_packet(sock)
        assert packet == Ack(0)
        await sock.sendto(encode(Data(1, b"short")), server)
        assert (await recv_packet(sock))[0] == Ack(1)
        await sock.sendto(encode(Data(1, b"short")), server)  # as if our ACK was lost
        assert (await recv_packet(sock))[0] == Ack(1)
    assert stored == [b"short"]


async def test_back_to_back_requests_from_one_port(start_server: Starter) -> None:
    """The next RRQ may reach the server before the final ACK of the previous transfer;
    it must be served, not mistaken for a retransmission."""
    files = Files({"/a": b"first", "/b": b"second"})
    port = await start_server(files)
    with await udp_socket() as sock:
        for path in ("/a", "/b", "/b", "/a"):
            assert (await get(port, path, sock=sock)).data == files.files[path]
    assert [r.path for r in files.requests] == ["/a", "/b", "/b", "/a"]
