"""Fuzzing the host side of the worker wire protocol: every byte a (compromised) PHP worker
sends is hostile.  The frame decoder yields frames or a ProtocolError, however the stream
is split, stays broken after an error, and the conversation checker refuses any order but
the documented one."""

from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from provhost.runtime.ipc import (
    HOST_SENDS,
    WIRE_VERSION,
    WORKER_SENDS,
    Conversation,
    Frame,
    FrameDecoder,
    Kind,
    ProtocolError,
    State,
    encode_frame,
)

from .conftest import FUZZ
from .strategies import mutate, mutations

_msgpack_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False)
    | st.text(max_size=20) | st.binary(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4),
    max_leaves=12,
)
_frames = st.lists(st.tuples(st.sampled_from(list(Kind)), _msgpack_values), max_size=5)
_cuts = st.lists(st.integers(0, 400), max_size=8)


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)] or [b""]


def _decode_all(decoder: FrameDecoder, chunks: list[bytes]) -> tuple[list[Frame], bool]:
    frames: list[Frame] = []
    for chunk in chunks:
        decoder.feed(chunk)
        while True:
            try:
                frame = decoder.next_frame()
            except ProtocolError as exc:
                assert str(exc)
                with pytest.raises(ProtocolError):  # broken for good
                    decoder.next_frame()
                return frames, True
            if frame is None:
                break
            assert isinstance(frame.kind, Kind)
            frames.append(frame)
    return frames, False


@FUZZ
@given(st.binary(max_size=300), _cuts, st.integers(2, 300))
@example(b"\x00\x00\x00\x01\x01", [], 100)  # length below the header
@example(b"\xff\xff\xff\xff", [], 100)  # 4 GiB announced
@example(b"\x00\x00\x00\x02\x01\x10", [1, 2, 3, 4, 5], 100)  # READY with an empty body
@example(b"\x00\x00\x00\x07\x01\x11\xdd\xff\xff\xff\xff", [], 100)  # array of 4G items
@example(b"\x00\x00\x00\x07\x01\x11\xdb\xff\xff\xff\xff", [], 100)  # str of 4 GiB
def test_arbitrary_streams(data: bytes, cuts: list[int], max_frame: int) -> None:
    _decode_all(FrameDecoder(max_frame=max_frame), _chunks(data, cuts))


@FUZZ
@given(_frames, _cuts)
def test_any_split_of_valid_frames_round_trips(frames: list, cuts: list[int]) -> None:  # type: ignore[type-arg]
    wire = b"".join(encode_frame(k, body) for k, body in frames)
    got, broken = _decode_all(FrameDecoder(), _chunks(wire, cuts))
    assert not broken
    assert [(f.kind, f.body) for f in got] == [
        (k, _normalised(body)) for k, body in frames]


def _normalised(value: object) -> object:
    """msgpack gives lists for tuples and keeps everything else."""
    if isinstance(value, list | tuple):
        return [_normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items()}
    return value


@FUZZ
@given(_frames, mutations, _cuts)
def test_damaged_valid_streams(frames: list, changes: list, cuts: list[int]) -> None:  # type: ignore[type-arg]
    wire = b"".join(encode_frame(k, body) for k, body in frames) or b"\x00\x00\x00\x02\x01\x10"
    _decode_all(FrameDecoder(max_frame=4096), _chunks(mutate(wire, changes), cuts))


@FUZZ
@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=20))
def test_header_fields_are_checked(version: int, kind: int, body: bytes) -> None:
    wire = struct.pack(">IBB", len(body) + 2, version, kind) + body
    frames, broken = _decode_all(FrameDecoder(), [wire])
    if version != WIRE_VERSION or kind not in {k.value for k in Kind}:
        assert broken and not frames


@FUZZ
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(list(Kind))), max_size=12))
def test_conversation_accepts_only_the_table(steps: list[tuple[bool, Kind]]) -> None:
    conv = Conversation()
    state = State.STARTING
    for from_worker, kind in steps:
        table = WORKER_SENDS if from_worker else HOST_SENDS
        expected = table.get((state, kind))
        try:
            if from_worker:
                conv.received(Frame(kind, None))
            else:
                conv.sending(kind)
        except ProtocolError:
            assert expected is None
            assert conv.state is State.BROKEN
            return
        assert expected is not None and conv.state is expected
        state = expected
