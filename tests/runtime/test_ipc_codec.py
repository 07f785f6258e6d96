"""The sans-I/O wire codec and conversation rules (no processes)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from provhost.runtime import ipc


def frames(data: bytes, max_frame: int = 1 << 20) -> list[ipc.Frame]:
    dec = ipc.FrameDecoder(max_frame)
    dec.feed(data)
    out = []
    while (f := dec.next_frame()) is not None:
        out.append(f)
    return out


def test_roundtrip_split_at_every_byte():
    wire = ipc.encode_frame(ipc.Kind.CALL, ["setMarker", ["a", b"\x00\xff"]]) + \
        ipc.encode_frame(ipc.Kind.DONE, {"action": "ok"})
    for cut in range(len(wire) + 1):
        dec = ipc.FrameDecoder()
        got = []
        for part in (wire[:cut], wire[cut:]):
            dec.feed(part)
            while (f := dec.next_frame()) is not None:
                got.append(f)
        assert got == [ipc.Frame(ipc.Kind.CALL, ["setMarker", ["a", b"\x00\xff"]]),
                       ipc.Frame(ipc.Kind.DONE, {"action": "ok"})]


def test_php_strings_with_invalid_utf8_survive():
    raw = b"\xa3\xff\xfe\x00"  # msgpack str of 3 bytes, not UTF-8
    wire = struct.pack(">IBB", len(raw) + 2, 1, ipc.Kind.DONE) + raw
    (f,) = frames(wire)
    assert f.body.encode("utf-8", "surrogateescape") == b"\xff\xfe\x00"


@pytest.mark.parametrize("wire, message", [
    (struct.pack(">IBB", 1 << 30, 1, 18), "exceeds the limit"),
    (struct.pack(">I", 1), "shorter than its header"),
    (struct.pack(">IBB", 3, 9, 18) + b"\xc0", "wire version 9"),
    (struct.pack(">IBB", 3, 1, 99) + b"\xc0", "unknown frame kind 99"),
    (struct.pack(">IBB", 3, 1, 18) + b"\xc1", "not valid msgpack"),
    (struct.pack(">IBB", 4, 1, 18) + b"\xc0\xc0", "not valid msgpack"),
])
def test_malformed_frames_are_protocol_errors(wire, message):
    with pytest.raises(ipc.ProtocolError, match=message):
        frames(wire)


def test_decoder_stays_broken_after_an_error():
    dec = ipc.FrameDecoder()
    dec.feed(struct.pack(">I", 0))
    with pytest.raises(ipc.ProtocolError):
        dec.next_frame()
    dec.feed(ipc.encode_frame(ipc.Kind.READY, {}))
    with pytest.raises(ipc.ProtocolError):
        dec.next_frame()


def test_encoder_refuses_oversize():
    with pytest.raises(ipc.ProtocolError):
        ipc.encode_frame(ipc.Kind.RUN, b"x" * 100, max_frame=50)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_decoder_never_raises_anything_but_protocol_error(data):
    dec = ipc.FrameDecoder(max_frame=1024)
    dec.feed(data)
    try:
        while dec.next_frame() is not None:
            pass
    except ipc.ProtocolError:
        pass


def test_conversation_tables():
    c = ipc.Conversation()
    c.received(ipc.Frame(ipc.Kind.READY, {}))
    c.sending(ipc.Kind.RUN)
    c.received(ipc.Frame(ipc.Kind.CALL, ["f", []]))
    c.sending(ipc.Kind.RET)
    c.received(ipc.Frame(ipc.Kind.DONE, {}))
    assert c.state is ipc.State.IDLE


@pytest.mark.parametrize("steps", [
    [("recv", ipc.Kind.DONE)],  # outcome before READY
    [("recv", ipc.Kind.READY), ("recv", ipc.Kind.CALL)],  # call while idle
    [("recv", ipc.Kind.READY), ("send", ipc.Kind.RUN), ("recv", ipc.Kind.READY)],
    [("recv", ipc.Kind.READY), ("send", ipc.Kind.RUN), ("recv", ipc.Kind.CALL),
     ("recv", ipc.Kind.DONE)],  # outcome while the host owes a reply
    [("recv", ipc.Kind.READY), ("send", ipc.Kind.RET)],
])
def test_conversation_rejects_out_of_order(steps):
    c = ipc.Conversation()
    with pytest.raises(ipc.ProtocolError):
        for who, kind in steps:
            if who == "recv":
                c.received(ipc.Frame(kind, None))
            else:
                c.sending(kind)
    assert c.state is ipc.State.BROKEN
