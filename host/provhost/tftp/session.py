"""Per-transfer TFTP state machines, sans I/O: packets and timer expiries in, packets out.

Rules
-----
* A session never touches sockets, clocks or files.  The server feeds it what arrived
  from the transfer's peer (`receive`), tells it when the retransmission timer fired
  (`timed_out`), and sends whatever packets the call returns.  Packets from other
  addresses (unknown TIDs) never reach a session: the server answers them with error 5.
* Each input is first *classified* into an event; the tables `READ_TRANSITIONS` and
  `WRITE_TRANSITIONS` then give, for (state, event), the next state and the name of the
  action to run.  A (state, event) pair missing from a table is a bug in the caller
  and raises `SessionFinished` (only terminal states lack entries).
* No Sorcerer's Apprentice: the sender transmits DATA only when an ACK *advances* the
  acknowledged point or when the timer fires.  A duplicate or stale ACK changes nothing
  and sends nothing.
* Every retransmission consumes one retry; `retries` consecutive timer expiries without
  progress end the session in FAILED (after a courtesy error 0).  Progress resets it.
* Re-ACKs are bounded too.  The shell restarts its timer whenever a session emits
  packets, so an answer that makes no progress must count against a bound or a peer
  could hold a transfer open forever by resending one old block.  The receiver re-ACKs
  only a repeat of the newest block it holds (a retransmitted window always ends there
  or brings new data, so one lost ACK costs one re-ACK whatever the window); older
  repeats are ignored.  Each re-ACK is a *stall*; storing a new block resets the count.
  The budget is `retries` plus two per extra block of the window: an ACK that reaches
  the sender in mid-window makes it resend the rest of that window (RFC 7440), so ACKs
  still in flight can bring our newest block back up to windowsize - 1 more times, and
  a duplicating network doubles each of those.  The repeat that would exceed the budget
  fails an upload (courtesy error 0), or ends the dally quietly (the peer has had that
  many copies of the final ACK).  With windowsize 1 the budget is exactly `retries`.
* Block numbers are 16 bits on the wire and roll over from 65535 to 0 (not 1), as
  tftp-hpa, iPXE, U-Boot and most phone firmwares expect, so files of any size stream.
  Internally blocks are counted without bound; an ACK is matched by its offset from the
  last acknowledged block, which is unambiguous because a window holds < 65536 blocks.
* Windows (RFC 7440): the sender keeps up to `windowsize` unacknowledged blocks in
  flight.  An advancing ACK that leaves blocks outstanding means the receiver lost the
  rest of that window, so those are resent at once and the window refilled.  The
  receiver ACKs at each window's end, at the final block, and once per gap it detects.

Theory of operation
-------------------
Read transfer (we send a file; `ReadSession`)::

    start -> [OACK sent]  AWAIT_OACK_ACK --ACK 0--> SENDING
          -> [no options] SENDING
    SENDING: the server asks `blocks_wanted`, reads that many blocks from its source and
             hands each to `supply`, which returns the DATA packet to send.  A block
             shorter than `blksize` (possibly empty) is the last one.
    SENDING --ACK of the last block--> DONE

Write transfer (we receive an upload; `WriteSession`)::

    start -> OACK or ACK 0 sent, AWAIT_DATA
    AWAIT_DATA --short DATA block--> AWAIT_VERDICT (all data in; final ACK withheld)
    AWAIT_VERDICT --accept()--> DALLYING (final ACK sent) --quiet timer--> DONE
                  --reject()--> FAILED (error sent instead of the final ACK)
    DALLYING re-ACKs a repeated final block, in case our final ACK was lost, as often
    as the stall budget allows; the next repeat (or the quiet timer) ends it in DONE.

Either session: an ERROR from the peer ends it in FAILED silently; any other unexpected
packet ends it in FAILED with error 4; `failure` then says why, for the log.
"""

from __future__ import annotations

import enum
from collections import deque

from .packets import Ack, Data, Error, ErrorCode, OptionAck, Packet

_WIRE = 0x10000


class SessionFinished(RuntimeError):
    """Input fed to a session that has already ended (a bug in the caller)."""


class ReadState(enum.Enum):
    AWAIT_OACK_ACK = "await-oack-ack"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"


class ReadEvent(enum.Enum):
    ACK_OPENS = "ack-opens"  # ACK 0 answering our OACK
    ACK_ADVANCES = "ack-advances"  # acknowledges new blocks, more to come
    ACK_COMPLETES = "ack-completes"  # acknowledges the final block
    ACK_STALE = "ack-stale"  # duplicate, old or unknown block: ignored
    PEER_ERROR = "peer-error"
    ILLEGAL = "illegal"  # any other packet, or garbage, from the peer
    TIMEOUT = "timeout"
    RETRIES_EXHAUSTED = "retries-exhausted"


_READ_COMMON = {
    ReadEvent.PEER_ERROR: (ReadState.FAILED, "peer_aborted"),
    ReadEvent.ILLEGAL: (ReadState.FAILED, "abort_illegal"),
    ReadEvent.RETRIES_EXHAUSTED: (ReadState.FAILED, "give_up"),
}

READ_TRANSITIONS: dict[ReadState, dict[ReadEvent, tuple[ReadState, str]]] = {
    ReadState.AWAIT_OACK_ACK: {
        ReadEvent.ACK_OPENS: (ReadState.SENDING, "progress"),
        ReadEvent.ACK_STALE: (ReadState.AWAIT_OACK_ACK, "ignore"),
        ReadEvent.TIMEOUT: (ReadState.AWAIT_OACK_ACK, "retransmit"),
        **_READ_COMMON,
    },
    ReadState.SENDING: {
        ReadEvent.ACK_ADVANCES: (ReadState.SENDING, "slide_window"),
        ReadEvent.ACK_COMPLETES: (ReadState.DONE, "progress"),
        ReadEvent.ACK_STALE: (ReadState.SENDING, "ignore"),
        ReadEvent.TIMEOUT: (ReadState.SENDING, "retransmit"),
        **_READ_COMMON,
    },
    ReadState.DONE: {},
    ReadState.FAILED: {},
}


class WriteState(enum.Enum):
    AWAIT_DATA = "await-data"
    AWAIT_VERDICT = "await-verdict"
    DALLYING = "dallying"
    DONE = "done"
    FAILED = "failed"


class WriteEvent(enum.Enum):
    DATA_NEXT = "data-next"  # the expected block, full size
    DATA_LAST = "data-last"  # the expected block, short: end of file
    DATA_REPEAT = "data-repeat"  # the newest block we hold again: our ACK was lost
    DATA_OLD = "data-old"  # an older block we already have: ignored
    STALLS_EXHAUSTED = "stalls-exhausted"  # one repeat more than the re-ACK budget allows
    DATA_AHEAD = "data-ahead"  # a block past the expected one: something was lost
    DATA_OVERSIZED = "data-oversized"  # payload larger than the negotiated blksize
    DATA_OVER_LIMIT = "data-over-limit"  # upload would exceed the size limit
    PEER_ERROR = "peer-error"
    ILLEGAL = "illegal"
    TIMEOUT = "timeout"
    RETRIES_EXHAUSTED = "retries-exhausted"
    ACCEPTED = "accepted"  # the upload handler took the file
    REJECTED = "rejected"  # the upload handler refused it


WRITE_TRANSITIONS: dict[WriteState, dict[WriteEvent, tuple[WriteState, str]]] = {
    WriteState.AWAIT_DATA: {
        WriteEvent.DATA_NEXT: (WriteState.AWAIT_DATA, "store"),
        WriteEvent.DATA_LAST: (WriteState.AWAIT_VERDICT, "store_last"),
        WriteEvent.DATA_REPEAT: (WriteState.AWAIT_DATA, "reack"),
        WriteEvent.DATA_OLD: (WriteState.AWAIT_DATA, "ignore"),
        WriteEvent.STALLS_EXHAUSTED: (WriteState.FAILED, "give_up_stalled"),
        WriteEvent.DATA_AHEAD: (WriteState.AWAIT_DATA, "ack_gap"),
        WriteEvent.DATA_OVERSIZED: (WriteState.FAILED, "abort_illegal"),
        WriteEvent.DATA_OVER_LIMIT: (WriteState.FAILED, "abort_too_large"),
        WriteEvent.PEER_ERROR: (WriteState.FAILED, "peer_aborted"),
        WriteEvent.ILLEGAL: (WriteState.FAILED, "abort_illegal"),
        WriteEvent.TIMEOUT: (WriteState.AWAIT_DATA, "retransmit"),
        WriteEvent.RETRIES_EXHAUSTED: (WriteState.FAILED, "give_up"),
    },
    WriteState.AWAIT_VERDICT: {
        WriteEvent.ACCEPTED: (WriteState.DALLYING, "final_ack"),
        WriteEvent.REJECTED: (WriteState.FAILED, "reject"),
    },
    WriteState.DALLYING: {
        WriteEvent.DATA_REPEAT: (WriteState.DALLYING, "reack"),
        WriteEvent.DATA_OLD: (WriteState.DALLYING, "ignore"),
        WriteEvent.STALLS_EXHAUSTED: (WriteState.DONE, "ignore"),
        WriteEvent.DATA_NEXT: (WriteState.DALLYING, "ignore"),
        WriteEvent.DATA_LAST: (WriteState.DALLYING, "ignore"),
        WriteEvent.DATA_AHEAD: (WriteState.DALLYING, "ignore"),
        WriteEvent.DATA_OVERSIZED: (WriteState.DALLYING, "ignore"),
        WriteEvent.DATA_OVER_LIMIT: (WriteState.DALLYING, "ignore"),
        WriteEvent.ILLEGAL: (WriteState.DALLYING, "ignore"),
        WriteEvent.PEER_ERROR: (WriteState.DONE, "ignore"),
        WriteEvent.TIMEOUT: (WriteState.DONE, "ignore"),
        WriteEvent.RETRIES_EXHAUSTED: (WriteState.DONE, "ignore"),
    },
    WriteState.DONE: {},
    WriteState.FAILED: {},
}


class _Session:
    """Shared plumbing: table dispatch, retry accounting, failure reason."""

    _table: dict
    state: enum.Enum

    def __init__(self, *, blksize: int, windowsize: int, timeout: float, retries: int) -> None:
        if not 1 <= windowsize < _WIRE:
            raise ValueError(f"windowsize {windowsize} outside 1..{_WIRE - 1}")
        self.blksize = blksize
        self.windowsize = windowsize
        self.timeout = timeout  # seconds; the server arms its timer with this
        self.retries = retries
        self.retries_used = 0
        self.stalls = 0  # re-ACKs since the last progress (receiver only)
        self.failure: str | None = None
        self._reason = ""  # detail of the event being handled, for error messages

    @property
    def finished(self) -> bool:
        return not self._table[self.state]

    def _fire(self, event: enum.Enum, reason: str = "") -> list[Packet]:
        try:
            next_state, action = self._table[self.state][event]
        except KeyError:
            raise SessionFinished(f"{event} in state {self.state}") from None
        self._reason = reason
        self.state = next_state
        return getattr(self, "_do_" + action)()

    def timed_out(self) -> list[Packet]:
        """The retransmission timer fired without progress."""
        if self.retries_used >= self.retries:
            return self._fire(self._events.RETRIES_EXHAUSTED)
        return self._fire(self._events.TIMEOUT)

    def receive_malformed(self, reason: str) -> list[Packet]:
        """The peer sent something our decoder rejected."""
        return self._fire(self._events.ILLEGAL, reason)

    # actions common to both directions
    def _do_ignore(self) -> list[Packet]:
        return []

    def _do_peer_aborted(self) -> list[Packet]:
        self.failure = f"peer sent error: {self._reason}"
        return []

    def _do_abort_illegal(self) -> list[Packet]:
        self.failure = f"illegal packet from peer: {self._reason}"
        return [Error(ErrorCode.ILLEGAL_OPERATION, self._reason)]

    def _do_give_up(self) -> list[Packet]:
        self.failure = f"no answer after {self.retries} retransmissions"
        return [Error(ErrorCode.NOT_DEFINED, "timed out waiting for the peer")]


class ReadSession(_Session):
    """Sends one file: DATA out, ACKs in (see module docstring)."""

    _table = READ_TRANSITIONS
    _events = ReadEvent

    def __init__(
        self,
        *,
        blksize: int = 512,
        windowsize: int = 1,
        timeout: float = 1.0,
        retries: int = 5,
        oack: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(blksize=blksize, windowsize=windowsize, timeout=timeout, retries=retries)
        self._oack = OptionAck(oack) if oack else None
        self.state: ReadState = ReadState.AWAIT_OACK_ACK if oack else ReadState.SENDING
        self.acked = 0  # blocks acknowledged so far (unbounded count)
        self._outstanding: deque[Data] = deque()  # sent, not yet acknowledged, in order
        self._last_supplied = False

    def start(self) -> list[Packet]:
        """Packets to send right away: the OACK, if any options were accepted."""
        return [self._oack] if self._oack else []

    @property
    def blocks_wanted(self) -> int:
        """How many more blocks `supply` accepts now (window room, until the last)."""
        if self.state is not ReadState.SENDING or self._last_supplied:
            return 0
        return self.windowsize - len(self._outstanding)

    @property
    def last_block_sent(self) -> bool:
        """The final (short) block has been handed out; only ACKs remain."""
        return self._last_supplied

    def supply(self, payload: bytes) -> Data:
        """Take the next block of the file; returns its DATA packet to send."""
        if self.blocks_wanted <= 0:
            raise SessionFinished("supply() while no block is wanted")
        if len(payload) > self.blksize:
            raise ValueError(f"block of {len(payload)} bytes exceeds blksize {self.blksize}")
        number = self.acked + len(self._outstanding) + 1
        packet = Data(number % _WIRE, payload)
        self._outstanding.append(packet)
        self._last_supplied = len(payload) < self.blksize
        return packet

    def receive(self, packet: Packet) -> list[Packet]:
        """A packet from the peer; returns packets to send."""
        if isinstance(packet, Ack):
            return self._fire(self._classify_ack(packet.block))
        if isinstance(packet, Error):
            return self._fire(ReadEvent.PEER_ERROR, f"{packet.code} {packet.message}")
        return self._fire(
            ReadEvent.ILLEGAL, f"unexpected {type(packet).__name__} during a read transfer"
        )

    def _classify_ack(self, block: int) -> ReadEvent:
        if self.state is ReadState.AWAIT_OACK_ACK:
            return ReadEvent.ACK_OPENS if block == 0 else ReadEvent.ACK_STALE
        advance = (block - self.acked) % _WIRE
        self._advance = advance
        if not 1 <= advance <= len(self._outstanding):
            return ReadEvent.ACK_STALE
        if self._last_supplied and advance == len(self._outstanding):
            return ReadEvent.ACK_COMPLETES
        return ReadEvent.ACK_ADVANCES

    def _do_progress(self) -> list[Packet]:
        self.retries_used = 0
        if self.state is ReadState.DONE:
            self.acked += len(self._outstanding)
            self._outstanding.clear()
        return []

    def _do_slide_window(self) -> list[Packet]:
        self.retries_used = 0
        self.acked += self._advance
        for _ in range(self._advance):
            self._outstanding.popleft()
        return list(self._outstanding)  # the rest of that window was lost: resend it

    def _do_retransmit(self) -> list[Packet]:
        self.retries_used += 1
        if self.state is ReadState.AWAIT_OACK_ACK:
            return [self._oack] if self._oack else []
        return list(self._outstanding)


class WriteSession(_Session):
    """Receives one upload: DATA in, ACKs out (see module docstring)."""

    _table = WRITE_TRANSITIONS
    _events = WriteEvent

    def __init__(
        self,
        *,
        blksize: int = 512,
        windowsize: int = 1,
        timeout: float = 1.0,
        retries: int = 5,
        max_size: int = 1 << 20,
        oack: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(blksize=blksize, windowsize=windowsize, timeout=timeout, retries=retries)
        self._oack = OptionAck(oack) if oack else None
        self.max_size = max_size
        self.state: WriteState = WriteState.AWAIT_DATA
        self.received = 0  # in-order blocks received (unbounded count)
        self._chunks: list[bytes] = []
        self._size = 0
        self._since_ack = 0
        self._gap_acked_at = -1  # `received` when we last ACKed a detected gap
        self._pending: bytes = b""

    def start(self) -> list[Packet]:
        """Packets to send right away: OACK if options were accepted, else ACK 0."""
        return [self._oack] if self._oack else [Ack(0)]

    @property
    def data(self) -> bytes:
        """Everything received in order so far."""
        return b"".join(self._chunks)

    def receive(self, packet: Packet) -> list[Packet]:
        """A packet from the peer; returns packets to send."""
        if isinstance(packet, Data):
            return self._fire(*self._classify_data(packet))
        if isinstance(packet, Error):
            return self._fire(WriteEvent.PEER_ERROR, f"{packet.code} {packet.message}")
        return self._fire(
            WriteEvent.ILLEGAL, f"unexpected {type(packet).__name__} during a write transfer"
        )

    def accept(self) -> list[Packet]:
        """The upload handler took the file: send the final ACK."""
        return self._fire(WriteEvent.ACCEPTED)

    def reject(self, code: int, message: str) -> list[Packet]:
        """The upload handler refused the file: send its error instead of the final ACK."""
        self._verdict = Error(code, message)
        return self._fire(WriteEvent.REJECTED, message)

    def _classify_data(self, packet: Data) -> tuple[WriteEvent, str]:
        offset = (packet.block - self.received - 1) % _WIRE
        if offset == _WIRE - 1:  # the newest block we hold
            if self.stalls >= self.stall_budget:
                return WriteEvent.STALLS_EXHAUSTED, f"block {packet.block}"
            return WriteEvent.DATA_REPEAT, ""
        if offset >= _WIRE // 2:
            return WriteEvent.DATA_OLD, ""  # before the newest block we hold
        if offset:
            return WriteEvent.DATA_AHEAD, ""
        if self.state is not WriteState.AWAIT_DATA:
            return WriteEvent.DATA_NEXT, ""
        size = len(packet.payload)
        if size > self.blksize:
            return WriteEvent.DATA_OVERSIZED, (
                f"DATA block {packet.block} carries {size} bytes, "
                f"more than the negotiated blksize {self.blksize}"
            )
        if self._size + size > self.max_size:
            return WriteEvent.DATA_OVER_LIMIT, ""
        self._pending = packet.payload
        return (WriteEvent.DATA_LAST if size < self.blksize else WriteEvent.DATA_NEXT), ""

    @property
    def stall_budget(self) -> int:
        """Re-ACKs allowed without progress (see the module rules)."""
        return self.retries + 2 * (self.windowsize - 1)

    def _ack_now(self) -> Ack:
        self._since_ack = 0
        return Ack(self.received % _WIRE)

    def _progress(self) -> None:
        self.retries_used = 0
        self.stalls = 0

    def _do_store(self) -> list[Packet]:
        self._progress()
        self._chunks.append(self._pending)
        self._size += len(self._pending)
        self.received += 1
        self._since_ack += 1
        return [self._ack_now()] if self._since_ack >= self.windowsize else []

    def _do_store_last(self) -> list[Packet]:
        self._progress()
        self._chunks.append(self._pending)
        self._size += len(self._pending)
        self.received += 1
        return []  # the final ACK waits for the verdict

    def _do_reack(self) -> list[Packet]:
        self.stalls += 1
        return [self._ack_now()]

    def _do_give_up_stalled(self) -> list[Packet]:
        self.failure = (f"peer resent {self._reason} after {self.stalls} re-ACKs "
                        "without sending anything new")
        return [Error(ErrorCode.NOT_DEFINED, "too many repeated blocks without progress")]

    def _do_ack_gap(self) -> list[Packet]:
        if self._gap_acked_at == self.received:
            return []  # already told the sender where the gap is
        self._gap_acked_at = self.received
        return [self._ack_now()]

    def _do_retransmit(self) -> list[Packet]:
        self.retries_used += 1
        if self.received == 0 and self._oack:
            return [self._oack]
        return [self._ack_now()]

    def _do_abort_too_large(self) -> list[Packet]:
        self.failure = f"upload exceeds the {self.max_size}-byte limit"
        return [Error(ErrorCode.DISK_FULL, self.failure)]

    def _do_final_ack(self) -> list[Packet]:
        self._progress()
        return [self._ack_now()]

    def _do_reject(self) -> list[Packet]:
        self.failure = f"upload rejected: {self._reason}"
        return [self._verdict]
