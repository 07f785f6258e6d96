"""Byte-level mutation shared by the fuzz tests: start from something valid, then damage it
the way a broken client, a truncated download or an attacker would."""

from __future__ import annotations

from hypothesis import strategies as st

# (operation, position as a fraction of the length, a byte or a length)
_mutation = st.tuples(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "dup"]),
                      st.floats(0, 1, exclude_max=True), st.integers(0, 255))


def mutate(data: bytes, mutations: list[tuple[str, float, int]]) -> bytes:
    buf = bytearray(data)
    for op, where, value in mutations:
        i = int(where * len(buf)) if buf else 0
        if op == "flip" and buf:
            buf[i] ^= 1 << (value % 8)
        elif op == "set" and buf:
            buf[i] = value
        elif op == "insert":
            buf[i:i] = bytes([value]) * (1 + value % 4)
        elif op == "delete" and buf:
            del buf[i:i + 1 + value % 8]
        elif op == "truncate":
            del buf[i:]
        elif op == "dup" and buf:
            buf[i:i] = buf[i:i + 1 + value % 16]
    return bytes(buf)


mutations = st.lists(_mutation, min_size=1, max_size=6)
