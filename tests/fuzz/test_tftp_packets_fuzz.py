"""Fuzzing the TFTP wire decoder: whatever arrives on UDP port 69 becomes either a packet or
a MalformedPacket with a reason the server can echo, never another exception, and what the
decoder accepts re-encodes to a datagram that decodes to the same packet."""

from __future__ import annotations

import struct

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from provhost.tftp.packets import (
    MAX_REQUEST_SIZE,
    Ack,
    Data,
    Error,
    MalformedPacket,
    Opcode,
    OptionAck,
    Packet,
    Request,
    decode,
    encode,
)

from .conftest import FUZZ
from .strategies import mutate, mutations

# Datagrams built from TFTP-ish pieces reach deeper than uniform random bytes.
_opcode = st.integers(0, 8).map(lambda n: struct.pack("!H", n))
_piece = st.one_of(
    st.sampled_from([b"\0", b"octet", b"netascii", b"OCTET", b"blksize", b"tsize", b"1468",
                     b"windowsize", b"timeout", b"/spa504G.cfg", b"\xff", b"\x7f", b" "]),
    st.binary(max_size=12),
)
tftpish = st.builds(lambda op, parts: op + b"".join(parts), _opcode, st.lists(_piece, max_size=40))

VALID = [
    b"\x00\x01/spa504G.cfg\x00octet\x00",
    b"\x00\x01/y000000000028.cfg\x00netascii\x00blksize\x001468\x00tsize\x000\x00",
    b"\x00\x02upload.log\x00octet\x00windowsize\x008\x00",
    b"\x00\x03\x00\x01" + b"x" * 512,
    b"\x00\x04\xff\xff",
    b"\x00\x05\x00\x01File not found\x00",
    b"\x00\x06blksize\x001468\x00",
]


def _check(datagram: bytes) -> Packet | None:
    try:
        packet = decode(datagram)
    except MalformedPacket as exc:
        assert str(exc), "a rejection must say why"
        return None
    assert isinstance(packet, Request | Data | Ack | Error | OptionAck)
    return packet


def _canonical_round_trip(packet: Packet) -> None:
    """Re-encoding an accepted packet gives a datagram that decodes to the same packet."""
    again = decode(encode(packet))
    if isinstance(packet, Error):
        # ERROR text is decoded leniently (odd bytes become U+FFFD, sent back as '?'): only
        # the code and the ASCII-printable text are promised to survive.
        assert again.code == packet.code
        assert len(again.message) == len(packet.message)
        return
    assert again == packet


@FUZZ
@given(st.binary(max_size=700))
@example(b"")
@example(b"\x00")
@example(b"\x00\x01\x00\x00")  # RRQ with empty filename and mode
@example(b"\x00\x01a\x00b")  # mode without its NUL
@example(b"\x00\x05\x00")  # ERROR shorter than its header
@example(b"\x00\x06\x00")  # OACK with an empty option name
def test_arbitrary_bytes_decode_or_are_malformed(datagram: bytes) -> None:
    packet = _check(datagram)
    if packet is not None:
        _canonical_round_trip(packet)


@FUZZ
@given(tftpish)
def test_tftp_shaped_bytes_decode_or_are_malformed(datagram: bytes) -> None:
    packet = _check(datagram)
    if packet is not None:
        _canonical_round_trip(packet)


@FUZZ
@given(st.sampled_from(VALID), mutations)
def test_mutated_valid_datagrams(datagram: bytes, changes: list) -> None:  # type: ignore[type-arg]
    packet = _check(mutate(datagram, changes))
    if packet is not None:
        _canonical_round_trip(packet)


@FUZZ
@given(tftpish)
def test_accepted_requests_obey_the_documented_rules(datagram: bytes) -> None:
    """Filename/mode non-empty printable ASCII, lower-cased mode and option names, no
    repeated option, the size limit: the codec's docstring, checked on what it accepts."""
    try:
        packet = decode(datagram)
    except MalformedPacket:
        return
    if not isinstance(packet, Request):
        return
    assert len(datagram) <= MAX_REQUEST_SIZE
    assert packet.filename and packet.mode == packet.mode.lower()
    names = [name for name, _ in packet.options]
    assert all(n and n == n.lower() for n in names)
    assert len(set(names)) == len(names)
    for text in (packet.filename, packet.mode, *names, *(v for _, v in packet.options)):
        assert all(0x20 <= ord(c) <= 0x7E for c in text)


@pytest.mark.parametrize("packet", [Data(0x10000, b""), Ack(-1), Error(70000, "x")])
def test_encode_refuses_numbers_outside_16_bits(packet: Packet) -> None:
    with pytest.raises(struct.error):
        encode(packet)


def test_oversized_request_names_the_limit() -> None:
    with pytest.raises(MalformedPacket, match=str(MAX_REQUEST_SIZE)):
        decode(struct.pack("!H", Opcode.RRQ) + b"a" * 600 + b"\0octet\0")


# ---------------------------------------------------------------- option negotiation
_opt_name = st.sampled_from(["blksize", "windowsize", "timeout", "tsize", "multicast", "x"])
_opt_value = st.one_of(
    st.sampled_from(["", "0", "1", "7", "8", "512", "1468", "65464", "65465", "255", "256",
                     "999999999999", "9999999999999", "-1", "+5", " 5", "1e3", "0x10", "08"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=14),
)


@FUZZ
@given(st.dictionaries(_opt_name, _opt_value, max_size=5), st.booleans(),
       st.integers(8, 65464), st.integers(1, 65535))
def test_negotiation_of_decoded_options(options: dict[str, str], write: bool, max_blksize: int,
                                        max_windowsize: int) -> None:
    """Whatever options a decodable request carries: agreed parameters inside the
    configured bounds, or OptionRefused naming the option."""
    from provhost.tftp.options import OptionRefused, negotiate

    datagram = encode(Request(Opcode.WRQ if write else Opcode.RRQ, "f", "octet",
                              tuple(options.items())))
    try:
        request = decode(datagram)
    except MalformedPacket:
        return  # e.g. too long for one request: the decoder already refused it
    assert isinstance(request, Request)
    try:
        agreed = negotiate(request.options, write=write, max_blksize=max_blksize,
                           max_windowsize=max_windowsize)
    except OptionRefused as exc:
        assert any(name in str(exc) for name, _ in request.options)
        return
    assert 8 <= agreed.blksize <= max_blksize or agreed.blksize == 512
    assert 1 <= agreed.windowsize <= max_windowsize
    assert agreed.timeout is None or 1 <= agreed.timeout <= 255
    names = [n for n, _ in agreed.accepted]
    assert set(names) <= {"blksize", "windowsize", "timeout", "tsize"}
    assert all(n != "tsize" for n, _ in agreed.oack(None))
    if not write and agreed.tsize_requested:
        assert dict(agreed.oack(1234))["tsize"] == "1234"
