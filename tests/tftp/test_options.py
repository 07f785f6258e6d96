"""Option negotiation rules (RFC 2347/2348/2349/7440)."""

from __future__ import annotations

import pytest
from provhost.tftp.options import Negotiated, OptionRefused, negotiate


def _neg(options: dict[str, str], write: bool = False) -> Negotiated:
    return negotiate(options, write=write, max_blksize=1468, max_windowsize=64)


def test_no_options_means_rfc1350_defaults_and_no_oack() -> None:
    result = _neg({})
    assert (result.blksize, result.windowsize, result.timeout) == (512, 1, None)
    assert result.oack(123) == ()


def test_all_options_accepted_in_client_order() -> None:
    result = _neg({"windowsize": "4", "tsize": "0", "blksize": "1024", "timeout": "3"})
    assert (result.blksize, result.windowsize, result.timeout) == (1024, 4, 3.0)
    assert result.oack(5000) == (
        ("windowsize", "4"), ("tsize", "5000"), ("blksize", "1024"), ("timeout", "3"))


def test_large_blksize_and_windowsize_are_clamped() -> None:
    result = _neg({"blksize": "65464", "windowsize": "65535"})
    assert result.oack(None) == (("blksize", "1468"), ("windowsize", "64"))
    assert _neg({"blksize": "99999999"}).blksize == 1468


def test_unknown_options_are_ignored() -> None:
    result = _neg({"utimeout": "1000", "multicast": ""})
    assert result.oack(10) == ()


def test_tsize_is_omitted_when_size_unknown() -> None:
    assert _neg({"tsize": "0", "blksize": "8"}).oack(None) == (("blksize", "8"),)


def test_wrq_tsize_is_the_clients_size() -> None:
    result = _neg({"tsize": "777"}, write=True)
    assert result.client_tsize == 777
    assert result.oack(result.client_tsize) == (("tsize", "777"),)


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"blksize": "7"}, "blksize=7 is outside the valid range 8"),
        ({"blksize": "abc"}, "blksize='abc' is not a decimal integer"),
        ({"blksize": "-8"}, "not a decimal integer"),
        ({"windowsize": "0"}, "windowsize=0 is outside"),
        ({"timeout": "0"}, r"timeout=0 is outside the valid range 1\.\.255"),
        ({"timeout": "256"}, "outside the valid range 1..255"),
        ({"timeout": "1.5"}, "not a decimal integer"),
        ({"tsize": "x"}, "tsize='x'"),
        ({"blksize": "9" * 40}, "not a decimal integer"),
    ],
)
def test_bad_values_of_known_options_are_refused(options: dict[str, str], reason: str) -> None:
    with pytest.raises(OptionRefused, match=reason):
        _neg(options)
