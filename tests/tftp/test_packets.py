"""The codec: exact wire bytes, precise rejections, and property-based robustness."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from provhost.tftp.packets import (
    MAX_REQUEST_SIZE,
    Ack,
    Data,
    Error,
    MalformedPacket,
    Opcode,
    OptionAck,
    Request,
    decode,
    encode,
)


def test_rrq_wire_format_and_case_folding() -> None:
    packet = decode(b"\x00\x01/Cisco/SPA.cfg\x00NetASCII\x00BLKSIZE\x001024\x00tsize\x000\x00")
    assert packet == Request(
        Opcode.RRQ, "/Cisco/SPA.cfg", "netascii", (("blksize", "1024"), ("tsize", "0"))
    )


def test_encodings_are_the_rfc_layouts() -> None:
    assert encode(Data(258, b"xy")) == b"\x00\x03\x01\x02xy"
    assert encode(Ack(65535)) == b"\x00\x04\xff\xff"
    assert encode(Error(1, "nope")) == b"\x00\x05\x00\x01nope\x00"
    assert encode(OptionAck((("blksize", "8"),))) == b"\x00\x06blksize\x008\x00"


@pytest.mark.parametrize(
    ("datagram", "reason"),
    [
        (b"", "too short for an opcode"),
        (b"\x00", "too short for an opcode"),
        (b"\x00\x09abc", "unknown opcode 9"),
        (b"\x00\x01file\x00octet", "does not end with a NUL"),
        (b"\x00\x01file\x00", "lacks a NUL-terminated mode"),
        (b"\x00\x01\x00octet\x00", "empty filename"),
        (b"\x00\x02f\x00\x00", "empty mode"),
        (b"\x00\x01caf\xc3\xa9\x00octet\x00", "non-ASCII"),
        (b"\x00\x01a\x07b\x00octet\x00", "non-printable"),
        (b"\x00\x01f\x00octet\x00blksize\x00", "has no value"),
        (b"\x00\x01f\x00octet\x00blksize\x008\x00BlkSize\x0016\x00", "repeats option 'blksize'"),
        (b"\x00\x01f\x00octet\x00\x008\x00", "empty name"),
        (b"\x00\x01" + b"a" * MAX_REQUEST_SIZE + b"\x00octet\x00", "exceeds the 512-byte limit"),
        (b"\x00\x01f\x00octet\x00" + b"".join(b"o%d\x001\x00" % i for i in range(17)),
         "17 options, limit 16"),
        (b"\x00\x03\x00", "shorter than its 4-byte header"),
        (b"\x00\x03\x00\x01" + b"x" * 65465, "exceeds 65464"),
        (b"\x00\x04\x00\x01\x00", "ACK packet must be 4 bytes"),
        (b"\x00\x05\x00", "shorter than its 4-byte header"),
        (b"\x00\x06blksize\x00", "has no value"),
    ],
)
def test_malformed_packets_are_rejected_with_a_reason(datagram: bytes, reason: str) -> None:
    with pytest.raises(MalformedPacket, match=reason):
        decode(datagram)


def test_error_message_is_decoded_leniently() -> None:
    assert decode(b"\x00\x05\x00\x08no nul \xff") == Error(8, "no nul \ufffd")


@given(st.binary(max_size=700))
def test_decode_raises_only_malformed_packet(datagram: bytes) -> None:
    with contextlib.suppress(MalformedPacket):
        decode(datagram)


@given(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 0, 256]), st.binary(max_size=600))
def test_decode_of_known_opcodes_with_garbage(opcode: int, body: bytes) -> None:
    with contextlib.suppress(MalformedPacket):
        decode(opcode.to_bytes(2, "big") + body)


_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30)
_u16 = st.integers(0, 0xFFFF)
_options = st.dictionaries(_text.map(str.lower), st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=10), max_size=5
).map(lambda d: tuple(d.items()))
_packets = st.one_of(
    st.builds(Request, st.sampled_from([Opcode.RRQ, Opcode.WRQ]), _text,
              _text.map(str.lower), _options),
    st.builds(Data, _u16, st.binary(max_size=1500)),
    st.builds(Ack, _u16),
    st.builds(Error, _u16, st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E))),
    st.builds(OptionAck, _options),
)


@given(_packets)
def test_encode_decode_round_trip(packet) -> None:  # type: ignore[no-untyped-def]
    assert decode(encode(packet)) == packet
