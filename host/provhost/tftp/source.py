"""Cuts a handler's reply into TFTP blocks, reading `FileReply`s in bounded chunks.

Why a separate piece: the session is pure and wants blocks one at a time, while a
`FileReply` is read asynchronously; reading 64 KiB at a time keeps handler calls few
even at blksize 8, and memory bounded for any file size.
"""

from __future__ import annotations

from .netascii import to_netascii
from .types import BytesReply, FileReply

READ_CHUNK = 64 * 1024


class SourceError(Exception):
    """The reply's reader failed or ended early; str() says how (for the log)."""


class BlockSource:
    """Yields consecutive blocks of `blksize` bytes; a shorter one (maybe empty) is last."""

    def __init__(self, reply: BytesReply | FileReply, blksize: int, *, netascii: bool) -> None:
        self._blksize = blksize
        self._netascii = netascii
        self._buffer = bytearray()
        self._read_offset = 0  # in the reply's own (local) bytes
        if isinstance(reply, BytesReply):
            data = to_netascii(reply.data) if netascii else reply.data
            self._file: FileReply | None = None
            self._buffer += data
            self._local_size = len(reply.data)
            self._read_offset = self._local_size
            self.size: int | None = len(data)
        else:
            if reply.size < 0:
                raise SourceError(f"FileReply size {reply.size} is negative")
            self._file = reply
            self._local_size = reply.size
            # netascii grows the file by an amount we only learn by reading it all
            self.size = None if netascii else reply.size

    async def next_block(self) -> bytes:
        """The next block; keep calling until one shorter than `blksize` comes back."""
        while len(self._buffer) < self._blksize and self._read_offset < self._local_size:
            await self._read_more()
        block = bytes(self._buffer[: self._blksize])
        del self._buffer[: self._blksize]
        return block

    async def _read_more(self) -> None:
        assert self._file is not None
        length = min(READ_CHUNK, self._local_size - self._read_offset)
        try:
            chunk = await self._file.read(self._read_offset, length)
        except Exception as exc:
            raise SourceError(f"read({self._read_offset}, {length}) failed: {exc!r}") from exc
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise SourceError(f"read() returned {type(chunk).__name__}, not bytes")
        if not chunk:
            raise SourceError(
                f"read() returned no data at offset {self._read_offset} of {self._local_size}"
            )
        chunk = bytes(chunk[:length])
        self._read_offset += len(chunk)
        self._buffer += to_netascii(chunk) if self._netascii else chunk
