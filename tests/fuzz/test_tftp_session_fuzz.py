"""Fuzzing the sans-I/O TFTP transfer state machines.

Two kinds of property:
* arbitrary input: any sequence of packets, garbage and timer expiries fed to a live
  session raises nothing (after the end, only the documented SessionFinished), its output
  is well formed, and a peer that stops making progress ends it within `retries + 1` timer
  expiries;
* interoperation: a ReadSession (sender) and a WriteSession (receiver) joined by a network
  that drops and duplicates datagrams either move the file intact or fail cleanly, and both
  always finish.
"""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from provhost.tftp.packets import Ack, Data, Error, OptionAck, Packet, Request
from provhost.tftp.session import (
    ReadSession,
    ReadState,
    SessionFinished,
    WriteSession,
    WriteState,
)

from .conftest import FUZZ

_u16 = st.integers(0, 0xFFFF)
_small_block = st.integers(0, 5)  # near the start, where most interesting ACKs land
peer_input = st.one_of(
    st.tuples(st.just("ack"), st.one_of(_small_block, _u16)),
    st.tuples(st.just("data"), st.one_of(_small_block, _u16), st.binary(max_size=20)),
    st.tuples(st.just("error"), _u16),
    st.tuples(st.just("oack")),
    st.tuples(st.just("rrq")),
    st.tuples(st.just("malformed")),
    st.tuples(st.just("timeout")),
    st.tuples(st.just("supply"), st.integers(0, 20)),
    st.tuples(st.just("verdict"), st.booleans()),
)


def _packet(op: tuple) -> Packet:  # type: ignore[type-arg]
    kind = op[0]
    if kind == "ack":
        return Ack(op[1])
    if kind == "data":
        return Data(op[1], op[2])
    if kind == "error":
        return Error(op[1], "peer gave up")
    if kind == "oack":
        return OptionAck((("blksize", "8"),))
    return Request(1, "x", "octet")  # type: ignore[arg-type]


def _apply(session: ReadSession | WriteSession, op: tuple) -> list[Packet]:  # type: ignore[type-arg]
    kind = op[0]
    if kind == "timeout":
        return session.timed_out()
    if kind == "malformed":
        return session.receive_malformed("garbage")
    if kind == "supply":
        if isinstance(session, ReadSession):
            return [session.supply(b"z" * op[1])]
        return session.receive(Data(session.received + 1, b"z" * op[1]))
    if kind == "verdict":
        if isinstance(session, WriteSession):
            return session.accept() if op[1] else session.reject(2, "no")
        return session.timed_out()
    return session.receive(_packet(op))


def _check_output(session: ReadSession | WriteSession, out: list[Packet]) -> None:
    assert isinstance(out, list)
    for p in out:
        assert isinstance(p, Data | Ack | Error | OptionAck)
        if isinstance(p, Data):
            assert 0 <= p.block <= 0xFFFF and len(p.payload) <= session.blksize
        if isinstance(p, Ack):
            assert 0 <= p.block <= 0xFFFF
    if session.state in (ReadState.FAILED, WriteState.FAILED):
        assert isinstance(session.failure, str) and session.failure


def _drive(session: ReadSession | WriteSession, ops: list) -> None:  # type: ignore[type-arg]
    _check_output(session, session.start())
    for op in ops:
        if session.finished:
            with pytest.raises(SessionFinished):
                _apply(session, ("timeout",))
            return
        try:
            out = _apply(session, op)
        except SessionFinished:
            # documented misuse only: supply() with no block wanted, a verdict out of turn,
            # or DATA while the upload awaits its verdict (the shell never does these)
            assert op[0] in ("supply", "verdict") or (
                isinstance(session, WriteSession) and session.state is WriteState.AWAIT_VERDICT)
            continue
        except ValueError:
            assert op[0] == "supply" and op[1] > session.blksize  # documented: block too big
            continue
        _check_output(session, out)
    # bounded: from here, silence ends any session within retries + 1 timer expiries
    for _ in range(session.retries + 1):
        if session.finished or (isinstance(session, WriteSession)
                                and session.state is WriteState.AWAIT_VERDICT):
            break
        _check_output(session, session.timed_out())
    assert session.finished or session.state is WriteState.AWAIT_VERDICT


_params = st.fixed_dictionaries({
    "blksize": st.integers(1, 16), "windowsize": st.integers(1, 4),
    "retries": st.integers(0, 5),
})


@FUZZ
@given(_params, st.booleans(), st.lists(peer_input, max_size=40))
@example({"blksize": 8, "windowsize": 1, "retries": 0}, False, [("timeout",), ("ack", 1)])
def test_read_session_survives_any_input(params: dict, oack: bool, ops: list) -> None:  # type: ignore[type-arg]
    session = ReadSession(**params, oack=(("blksize", str(params["blksize"])),) if oack else ())
    _drive(session, ops)


@FUZZ
@given(_params, st.booleans(), st.integers(0, 64), st.lists(peer_input, max_size=40))
def test_write_session_survives_any_input(params: dict, oack: bool, max_size: int,  # type: ignore[type-arg]
                                          ops: list) -> None:  # type: ignore[type-arg]
    session = WriteSession(**params, max_size=max_size,
                           oack=(("blksize", str(params["blksize"])),) if oack else ())
    _drive(session, ops)
    assert len(session.data) <= max_size


# ---------------------------------------------------------------- sender meets receiver
_network = st.lists(st.sampled_from(["deliver", "deliver", "deliver", "drop", "dup"]),
                    max_size=60)


@FUZZ
@given(file=st.binary(max_size=120), blksize=st.integers(1, 16), windowsize=st.integers(1, 4),
       retries=st.integers(1, 4), slack=st.integers(-8, 8), fate=_network)
@example(file=b"abcdefgh", blksize=4, windowsize=1, retries=1, slack=0,
         fate=["drop", "drop", "drop"])  # the final ACK lost until the sender gives up
def test_lossy_transfer_delivers_the_file_or_fails_cleanly(
        file: bytes, blksize: int, windowsize: int, retries: int, slack: int,
        fate: list[str]) -> None:
    max_size = max(0, len(file) + slack)
    sender = ReadSession(blksize=blksize, windowsize=windowsize, retries=retries)
    receiver = WriteSession(blksize=blksize, windowsize=windowsize, retries=retries,
                            max_size=max_size)
    to_receiver: deque[Packet] = deque()
    to_sender: deque[Packet] = deque(receiver.start())
    offset = 0
    fates = iter(fate)

    def send(queue: deque[Packet], packets: list[Packet]) -> None:
        for p in packets:
            f = next(fates, "deliver")
            if f != "drop":
                queue.append(p)
            if f == "dup":
                queue.append(p)

    steps = 0
    while not (sender.finished and receiver.finished):
        steps += 1
        assert steps < 10_000, "the transfer never ended"
        while sender.state is ReadState.SENDING and sender.blocks_wanted:
            block = file[offset:offset + blksize]
            offset += len(block)
            send(to_receiver, [sender.supply(block)])
        if to_receiver and not receiver.finished:
            out = receiver.receive(to_receiver.popleft())
            if receiver.state is WriteState.AWAIT_VERDICT:
                out += receiver.accept()
            send(to_sender, out)
        elif to_sender and not sender.finished:
            send(to_receiver, sender.receive(to_sender.popleft()))
        else:  # the network is quiet (or only talks to finished ends): timers fire
            to_receiver.clear()
            to_sender.clear()
            if not sender.finished:
                send(to_receiver, sender.timed_out())
            if not receiver.finished:
                send(to_sender, receiver.timed_out())

    if len(file) > max_size:
        assert sender.state is ReadState.FAILED and receiver.state is WriteState.FAILED
        return
    if sender.state is ReadState.DONE:
        assert receiver.data == file  # the final ACK only ever follows the whole file
    if receiver.state is WriteState.DONE:
        assert receiver.data == file
    if "drop" not in fate:
        assert sender.state is ReadState.DONE and receiver.state is WriteState.DONE


# ---------------------------------------------------------------- bounded without progress
# The shell (provhost.tftp.server._Link.drive) restarts its retransmission timer whenever
# the session emits packets.  So an input that makes no progress must either emit nothing
# (the timer keeps running and retries run out) or count against a bound; otherwise a peer
# can hold a transfer open forever.


@FUZZ
@given(_params, st.lists(peer_input.filter(lambda op: op[0] in ("ack", "timeout")), max_size=60),
       st.binary(min_size=0, max_size=80))
def test_read_session_non_progress_emits_nothing(params: dict, ops: list, file: bytes) -> None:  # type: ignore[type-arg]
    session = ReadSession(**params)
    offset = 0
    for op in ops:
        while session.blocks_wanted:
            block = file[offset:offset + session.blksize]
            offset += len(block)
            session.supply(block)
        if session.finished:
            break
        before = session.acked
        out = _apply(session, op)
        if op[0] == "ack" and session.acked == before and not session.finished:
            assert out == []  # a stale ACK must not restart the shell's timer


def _stalled_upload(retries: int) -> WriteSession:
    session = WriteSession(blksize=4, retries=retries)
    session.start()
    assert session.receive(Data(1, b"abcd")) == [Ack(1)]
    return session


def test_repeated_old_block_cannot_hold_an_upload_open_forever() -> None:
    session = _stalled_upload(retries=3)
    for _ in range(1000):
        if session.finished:
            break
        session.receive(Data(1, b"abcd"))  # arrives before each timer expiry
    assert session.finished


def test_repeated_final_block_cannot_keep_dallying_forever() -> None:
    session = WriteSession(blksize=4, retries=3)
    session.start()
    session.receive(Data(1, b"ab"))
    session.accept()
    assert session.state is WriteState.DALLYING
    for _ in range(1000):
        if session.finished:
            break
        session.receive(Data(1, b"ab"))
    assert session.finished


def test_a_legitimate_duplicate_is_still_reacked() -> None:
    """The fix for the two bugs above must keep RFC 1350's behaviour for a real loss: the
    first few duplicates of a block (our ACK was lost) are answered."""
    session = _stalled_upload(retries=3)
    for _ in range(3):
        assert session.receive(Data(1, b"abcd")) == [Ack(1)]
    assert session.receive(Data(2, b"ef")) == []  # final block: ACK waits for the verdict
    assert session.state is WriteState.AWAIT_VERDICT
