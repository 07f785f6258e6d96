"""The pure Range-header decision (RFC 9110 section 14)."""

from __future__ import annotations

import pytest
from provhost.server.ranges import ByteRange, Unsatisfiable, byte_range


@pytest.mark.parametrize(("header", "expected"), [
    (None, None),
    ("bytes=0-9", ByteRange(0, 9)),
    ("bytes=90-", ByteRange(90, 99)),
    ("bytes=-5", ByteRange(95, 99)),
    ("bytes=-500", ByteRange(0, 99)),
    ("bytes=50-5000", ByteRange(50, 99)),
    ("BYTES = 1-1".replace(" ", ""), ByteRange(1, 1)),
    ("bytes=0-1,5-6", None),  # several ranges: the whole file
    ("items=0-1", None),
    ("bytes=9-1", None),
    ("bytes=a-b", None),
    ("bytes=-", None),
    ("bytes=5", None),
])
def test_range_header(header: str | None, expected: ByteRange | None) -> None:
    assert byte_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=500-600", "bytes=-0"])
def test_unsatisfiable(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        byte_range(header, 100)


def test_content_range_text() -> None:
    assert ByteRange(5, 9).content_range(100) == "bytes 5-9/100"
