"""The host <-> PHP worker wire protocol, sans I/O.

Rules
-----
* A frame is ``u32 big-endian N | u8 version | u8 kind | N-2 bytes of msgpack``.
  N counts version, kind and body; 2 <= N <= max_frame.
* The worker speaks first (READY), then the conversation alternates by these tables::

      state      who sends   kind    next state
      STARTING   worker      READY   IDLE
      IDLE       host        RUN     RUNNING
      RUNNING    worker      CALL    IN_CALL
      RUNNING    worker      DONE    IDLE
      IN_CALL    host        RET     RUNNING

  Anything else -- a frame in the wrong state, an unknown kind or version, a frame over the
  limit, a body that is not msgpack -- is a `ProtocolError`.  The host treats every byte the
  worker sends as hostile: a protocol error ends that worker, never the host.

Theory of operation
-------------------
`FrameDecoder` turns received bytes into frames (`feed()` then `next_frame()` until None);
`encode_frame` is its inverse.  `Conversation` checks the order of frames both ways.  The
caller (provhost.runtime.native) moves the bytes.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import Any

import msgpack

WIRE_VERSION = 1
HEADER = struct.Struct(">IBB")
DEFAULT_MAX_FRAME = 64 * 1024 * 1024  # the worker's own limit (phpworker.c MAX_FRAME)


class ProtocolError(Exception):
    """The peer broke the protocol; the message says how."""


class Kind(enum.IntEnum):
    RUN = 1  # host -> worker: {"kind", "script", "variables"}
    RET = 2  # host -> worker: {"ok": value} or {"error": message}
    READY = 16  # worker -> host: {"php": version}
    CALL = 17  # worker -> host: [function, args]
    DONE = 18  # worker -> host: the outcome map


@dataclass(frozen=True)
class Frame:
    kind: Kind
    body: Any


def pack(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def unpack(data: bytes) -> Any:
    """Decode one msgpack value; invalid UTF-8 survives as surrogates (bodies are bytes)."""
    try:
        return msgpack.unpackb(
            data, raw=False, unicode_errors="surrogateescape", strict_map_key=False,
            use_list=True,
        )
    except Exception as exc:  # msgpack raises many types on hostile input
        raise ProtocolError(f"frame body is not valid msgpack: {exc.__class__.__name__}: {exc}")\
            from None


def encode_frame(kind: Kind, body: Any, max_frame: int = DEFAULT_MAX_FRAME) -> bytes:
    payload = pack(body)
    n = len(payload) + 2
    if n > max_frame:
        raise ProtocolError(f"frame of {n} bytes exceeds the limit of {max_frame}")
    return HEADER.pack(n, WIRE_VERSION, int(kind)) + payload


class FrameDecoder:
    """Incremental decoder: bytes in, `Frame`s out.  After an error it stays broken."""

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._buf = bytearray()
        self._error: ProtocolError | None = None

    def feed(self, data: bytes) -> None:
        self._buf += data

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def next_frame(self) -> Frame | None:
        if self._error:
            raise self._error
        try:
            return self._next()
        except ProtocolError as exc:
            self._error = exc
            raise

    def _next(self) -> Frame | None:
        if len(self._buf) < 4:
            return None
        n = int.from_bytes(self._buf[:4], "big")
        if n < 2:
            raise ProtocolError(f"frame length {n} is shorter than its header")
        if n > self.max_frame:
            raise ProtocolError(f"frame of {n} bytes exceeds the limit of {self.max_frame}")
        if len(self._buf) < 4 + n:
            return None
        version, kind = self._buf[4], self._buf[5]
        body = bytes(self._buf[6 : 4 + n])
        del self._buf[: 4 + n]
        if version != WIRE_VERSION:
            raise ProtocolError(f"wire version {version}, expected {WIRE_VERSION}")
        try:
            k = Kind(kind)
        except ValueError:
            raise ProtocolError(f"unknown frame kind {kind}") from None
        return Frame(k, unpack(body))


class State(enum.Enum):
    STARTING = "starting"
    IDLE = "idle"
    RUNNING = "running"
    IN_CALL = "in_call"
    BROKEN = "broken"


# (state, kind) -> next state; the sender is implied by the kind.
WORKER_SENDS: dict[tuple[State, Kind], State] = {
    (State.STARTING, Kind.READY): State.IDLE,
    (State.RUNNING, Kind.CALL): State.IN_CALL,
    (State.RUNNING, Kind.DONE): State.IDLE,
}
HOST_SENDS: dict[tuple[State, Kind], State] = {
    (State.IDLE, Kind.RUN): State.RUNNING,
    (State.IN_CALL, Kind.RET): State.RUNNING,
}


class Conversation:
    """Order checker for one worker's frames, both directions."""

    def __init__(self) -> None:
        self.state = State.STARTING

    def _step(self, table: dict[tuple[State, Kind], State], kind: Kind, who: str) -> None:
        nxt = table.get((self.state, kind))
        if nxt is None:
            bad = self.state
            self.state = State.BROKEN
            raise ProtocolError(f"{who} sent {kind.name} while {bad.value}")
        self.state = nxt

    def received(self, frame: Frame) -> None:
        self._step(WORKER_SENDS, frame.kind, "worker")

    def sending(self, kind: Kind) -> None:
        self._step(HOST_SENDS, kind, "host")
