"""The pure per-transfer state machines, driven packet by packet without any I/O."""

from __future__ import annotations

import pytest
from provhost.tftp.packets import Ack, Data, Error, Opcode, OptionAck, Request
from provhost.tftp.session import (
    READ_TRANSITIONS,
    WRITE_TRANSITIONS,
    ReadSession,
    ReadState,
    SessionFinished,
    WriteSession,
    WriteState,
)


def feed_blocks(session: ReadSession, data: bytes, offset: int) -> tuple[list, int]:
    """Supply blocks from data[offset:] as the server's shell would."""
    out = []
    while session.blocks_wanted:
        block = data[offset: offset + session.blksize]
        offset += len(block)
        out.append(session.supply(block))
    return out, offset


# ---------------------------------------------------------------- read transfers


def test_plain_read_lockstep_to_done() -> None:
    s = ReadSession(blksize=4)
    assert s.start() == [] and s.state is ReadState.SENDING
    data = b"abcdefghij"
    out, off = feed_blocks(s, data, 0)
    assert out == [Data(1, b"abcd")]
    assert s.receive(Ack(1)) == []
    out, off = feed_blocks(s, data, off)
    assert out == [Data(2, b"efgh")]
    s.receive(Ack(2))
    out, off = feed_blocks(s, data, off)
    assert out == [Data(3, b"ij")]
    assert s.blocks_wanted == 0  # short block was the last
    assert s.receive(Ack(3)) == []
    assert s.state is ReadState.DONE and s.finished and s.failure is None


def test_exact_multiple_ends_with_an_empty_block() -> None:
    s = ReadSession(blksize=4)
    out, off = feed_blocks(s, b"abcd", 0)
    s.receive(Ack(1))
    out, off = feed_blocks(s, b"abcd", off)
    assert out == [Data(2, b"")]
    s.receive(Ack(2))
    assert s.state is ReadState.DONE


def test_oack_waits_for_ack_zero() -> None:
    s = ReadSession(blksize=8, oack=(("blksize", "8"),))
    assert s.start() == [OptionAck((("blksize", "8"),))]
    assert s.state is ReadState.AWAIT_OACK_ACK and s.blocks_wanted == 0
    assert s.receive(Ack(5)) == []  # stale: ignored
    assert s.state is ReadState.AWAIT_OACK_ACK
    assert s.receive(Ack(0)) == []
    assert s.state is ReadState.SENDING and s.blocks_wanted == 1


def test_oack_retransmitted_on_timeout_then_gives_up() -> None:
    s = ReadSession(oack=(("tsize", "3"),), retries=2)
    assert s.timed_out() == [OptionAck((("tsize", "3"),))]
    assert s.timed_out() == [OptionAck((("tsize", "3"),))]
    out = s.timed_out()
    assert out[0].code == 0 and s.state is ReadState.FAILED
    assert "no answer after 2 retransmissions" in s.failure


def test_duplicate_ack_sends_nothing_sorcerers_apprentice() -> None:
    s = ReadSession(blksize=4)
    feed_blocks(s, b"a" * 20, 0)
    s.receive(Ack(1))
    out, _ = feed_blocks(s, b"a" * 20, 4)
    assert out == [Data(2, b"aaaa")]
    assert s.receive(Ack(1)) == []  # the duplicate
    assert s.blocks_wanted == 0  # and it did not open room for another block
    assert s.receive(Ack(0)) == [] and s.receive(Ack(40000)) == []  # old / unknown


def test_only_timeout_retransmits_and_progress_resets_retries() -> None:
    s = ReadSession(blksize=4, retries=2)
    feed_blocks(s, b"a" * 20, 0)
    assert s.timed_out() == [Data(1, b"aaaa")]
    assert s.timed_out() == [Data(1, b"aaaa")]
    assert s.retries_used == 2
    s.receive(Ack(1))
    assert s.retries_used == 0
    feed_blocks(s, b"a" * 20, 4)
    assert s.timed_out() == [Data(2, b"aaaa")]
    assert s.state is ReadState.SENDING


def test_retry_exhaustion_fails_cleanly() -> None:
    s = ReadSession(retries=0)
    feed_blocks(s, b"x", 0)
    out = s.timed_out()
    assert out == [Error(0, "timed out waiting for the peer")]
    assert s.state is ReadState.FAILED and s.blocks_wanted == 0
    with pytest.raises(SessionFinished):
        s.timed_out()
    with pytest.raises(SessionFinished):
        s.receive(Ack(1))


def test_peer_error_ends_silently() -> None:
    s = ReadSession()
    feed_blocks(s, b"x" * 600, 0)
    assert s.receive(Error(8, "no thanks")) == []
    assert s.state is ReadState.FAILED and "8 no thanks" in s.failure


@pytest.mark.parametrize("packet", [Data(1, b"x"), OptionAck(()), Request(Opcode.RRQ, "f", "octet")])
def test_illegal_packet_answers_error_4(packet) -> None:  # type: ignore[no-untyped-def]
    s = ReadSession()
    feed_blocks(s, b"x" * 600, 0)
    out = s.receive(packet)
    assert len(out) == 1 and out[0].code == 4
    assert s.state is ReadState.FAILED


def test_illegal_packet_during_oack_wait() -> None:
    s = ReadSession(oack=(("blksize", "8"),))
    assert s.receive_malformed("ACK packet must be 4 bytes")[0] == Error(
        4, "ACK packet must be 4 bytes")
    assert s.state is ReadState.FAILED


def test_peer_error_during_oack_wait() -> None:
    s = ReadSession(oack=(("blksize", "8"),))
    assert s.receive(Error(8, "blksize refused")) == []
    assert s.state is ReadState.FAILED


def test_block_numbers_roll_over_to_zero() -> None:
    s = ReadSession(blksize=1)
    data = b"z" * 65540
    offset = 0
    seen = []
    while not s.finished:
        out, offset = feed_blocks(s, data, offset)
        seen.extend(p.block for p in out)
        s.receive(Ack(out[-1].block))
    assert seen[65533:65538] == [65534, 65535, 0, 1, 2]
    assert len(seen) == 65541 and s.acked == 65541  # 65540 full blocks + empty last


def test_window_of_four_sends_four_then_waits() -> None:
    s = ReadSession(blksize=2, windowsize=4)
    data = b"0123456789abcdef"  # 8 full blocks + empty
    out, off = feed_blocks(s, data, 0)
    assert [p.block for p in out] == [1, 2, 3, 4]
    assert s.receive(Ack(4)) == []
    out, off = feed_blocks(s, data, off)
    assert [p.block for p in out] == [5, 6, 7, 8]
    s.receive(Ack(8))
    out, off = feed_blocks(s, data, off)
    assert out == [Data(9, b"")]
    s.receive(Ack(9))
    assert s.state is ReadState.DONE


def test_window_partial_ack_resends_the_lost_rest_once() -> None:
    s = ReadSession(blksize=2, windowsize=4)
    data = b"0123456789abcdefgh"
    _, off = feed_blocks(s, data, 0)
    resent = s.receive(Ack(2))  # receiver lost block 3
    assert [p.block for p in resent] == [3, 4]
    out, off = feed_blocks(s, data, off)
    assert [p.block for p in out] == [5, 6]
    assert s.receive(Ack(2)) == []  # the same partial ACK again: no more resending
    assert s.timed_out() == [Data(3, b"45"), Data(4, b"67"), Data(5, b"89"), Data(6, b"ab")]


def test_window_final_block_mid_window() -> None:
    s = ReadSession(blksize=2, windowsize=8)
    out, _ = feed_blocks(s, b"abcde", 0)
    assert [p.payload for p in out] == [b"ab", b"cd", b"e"]
    s.receive(Ack(2))
    assert s.state is ReadState.SENDING
    s.receive(Ack(3))
    assert s.state is ReadState.DONE


def test_supply_guards() -> None:
    s = ReadSession(blksize=2)
    with pytest.raises(ValueError, match="exceeds blksize"):
        s.supply(b"abc")
    s.supply(b"ab")
    with pytest.raises(SessionFinished):
        s.supply(b"cd")


# ---------------------------------------------------------------- write transfers


def test_plain_write_to_verdict_accept_and_dally() -> None:
    s = WriteSession(blksize=4)
    assert s.start() == [Ack(0)]
    assert s.receive(Data(1, b"abcd")) == [Ack(1)]
    assert s.receive(Data(2, b"ef")) == []  # final ACK withheld
    assert s.state is WriteState.AWAIT_VERDICT and s.data == b"abcdef"
    assert s.accept() == [Ack(2)]
    assert s.state is WriteState.DALLYING
    assert s.receive(Data(2, b"ef")) == [Ack(2)]  # our final ACK was lost
    assert s.receive(Data(3, b"zz")) == []
    assert s.receive(Ack(1)) == []
    assert s.timed_out() == [] and s.state is WriteState.DONE
    assert s.data == b"abcdef"


def test_dally_ends_on_peer_error_too() -> None:
    s = WriteSession(blksize=4)
    s.receive(Data(1, b""))
    s.accept()
    s.receive(Error(0, "bye"))
    assert s.state is WriteState.DONE


def test_write_reject_sends_the_handlers_error() -> None:
    s = WriteSession(blksize=4)
    s.receive(Data(1, b"ab"))
    assert s.reject(2, "read-only slot") == [Error(2, "read-only slot")]
    assert s.state is WriteState.FAILED and "read-only slot" in s.failure


def test_write_with_oack_and_timeout_retransmits() -> None:
    s = WriteSession(blksize=8, oack=(("blksize", "8"),), retries=1)
    assert s.start() == [OptionAck((("blksize", "8"),))]
    assert s.timed_out() == [OptionAck((("blksize", "8"),))]
    assert s.timed_out()[0].code == 0 and s.state is WriteState.FAILED


def test_write_timeout_reacks_last_block() -> None:
    s = WriteSession(blksize=4, retries=3)
    s.receive(Data(1, b"abcd"))
    assert s.timed_out() == [Ack(1)]


def test_write_duplicate_data_is_reacked_not_stored() -> None:
    s = WriteSession(blksize=4)
    s.receive(Data(1, b"abcd"))
    assert s.receive(Data(1, b"abcd")) == [Ack(1)]
    assert s.data == b"abcd"


def test_write_oversized_block_is_illegal() -> None:
    s = WriteSession(blksize=4)
    out = s.receive(Data(1, b"abcde"))
    assert out[0].code == 4 and "carries 5 bytes" in out[0].message
    assert s.state is WriteState.FAILED


def test_write_size_limit() -> None:
    s = WriteSession(blksize=4, max_size=6)
    s.receive(Data(1, b"abcd"))
    out = s.receive(Data(2, b"efgh"))
    assert out == [Error(3, "upload exceeds the 6-byte limit")]
    assert s.state is WriteState.FAILED


def test_write_unexpected_packet_and_peer_error() -> None:
    s = WriteSession()
    assert s.receive(Ack(0))[0].code == 4 and s.state is WriteState.FAILED
    s = WriteSession()
    assert s.receive(Error(0, "cancelled")) == [] and s.state is WriteState.FAILED
    s = WriteSession()
    assert s.receive_malformed("garbage")[0] == Error(4, "garbage")


def test_write_window_acks_at_window_end_and_once_per_gap() -> None:
    s = WriteSession(blksize=2, windowsize=3)
    assert s.receive(Data(1, b"ab")) == []
    assert s.receive(Data(2, b"cd")) == []
    assert s.receive(Data(3, b"ef")) == [Ack(3)]
    assert s.receive(Data(5, b"ij")) == [Ack(3)]  # block 4 lost
    assert s.receive(Data(6, b"kl")) == []  # same gap: no ACK storm
    assert s.receive(Data(4, b"gh")) == []
    assert s.receive(Data(5, b"ij")) == []
    assert s.receive(Data(6, b"k")) == []
    assert s.state is WriteState.AWAIT_VERDICT and s.data == b"abcdefghijk"


def test_write_rollover() -> None:
    s = WriteSession(blksize=1, max_size=1 << 20)
    for n in range(1, 65540):
        assert s.receive(Data(n % 65536, b"x")) == [Ack(n % 65536)]
    s.receive(Data(65540 % 65536, b""))
    assert s.accept() == [Ack(4)]
    assert len(s.data) == 65539


def test_verdict_state_accepts_nothing_else() -> None:
    s = WriteSession()
    s.receive(Data(1, b""))
    with pytest.raises(SessionFinished):
        s.receive(Data(1, b""))


def test_every_live_state_handles_timer_and_peer_errors() -> None:
    """Guards the tables' shape: each non-terminal state handles timer and peer errors."""
    for state, row in READ_TRANSITIONS.items():
        if row:
            assert {e.name for e in row} >= {"TIMEOUT", "PEER_ERROR", "ILLEGAL"}, state
    for state, row in WRITE_TRANSITIONS.items():
        if row and state is not WriteState.AWAIT_VERDICT:
            assert {e.name for e in row} >= {"TIMEOUT", "PEER_ERROR", "ILLEGAL"}, state
