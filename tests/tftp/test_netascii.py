"""Netascii translation both ways."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from provhost.tftp.netascii import from_netascii, to_netascii


def test_to_netascii_maps_lf_and_bare_cr() -> None:
    assert to_netascii(b"a\nb\rc\r\n") == b"a\r\nb\r\0c\r\0\r\n"


def test_from_netascii_maps_back_and_keeps_stray_cr() -> None:
    assert from_netascii(b"a\r\nb\r\0c\rd\r") == b"a\nb\rc\rd\r"


@given(st.binary(max_size=300))
def test_round_trip(local: bytes) -> None:
    assert from_netascii(to_netascii(local)) == local


@given(st.binary(max_size=300), st.integers(0, 300))
def test_chunked_translation_equals_whole(local: bytes, cut: int) -> None:
    assert to_netascii(local[:cut]) + to_netascii(local[cut:]) == to_netascii(local)
