"""A fake worker that speaks the wire protocol and then misbehaves (for host-side tests).

argv: IN_FD OUT_FD MODE
"""

import os
import struct
import sys

import msgpack


def frame(kind: int, body: object) -> bytes:
    payload = msgpack.packb(body, use_bin_type=True)
    return struct.pack(">IBB", len(payload) + 2, 1, kind) + payload


def main() -> None:
    fd_in, fd_out, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    os.write(fd_out, frame(16, {"php": "stub"}))
    os.read(fd_in, 1 << 20)  # the RUN frame
    if mode == "garbage":
        os.write(fd_out, b"\xde\xad\xbe\xef" * 64)
    elif mode == "oversize":
        os.write(fd_out, struct.pack(">IBB", 0x7FFFFFFF, 1, 18))
    elif mode == "ready_again":
        os.write(fd_out, frame(16, {}))
    elif mode == "bogus_action":
        os.write(fd_out, frame(18, {"action": "format_disk"}))
    elif mode == "bad_call":
        os.write(fd_out, frame(17, {"not": "a list"}))
    elif mode == "exit":
        sys.exit(3)
    os.read(fd_in, 1 << 20)  # wait to be killed


if __name__ == "__main__":
    main()
