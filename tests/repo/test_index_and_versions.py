"""Pure rules of repositories: the seed's version bumps, and every reason a server refuses an
index (forged, tampered, expired, rolled back, replayed with other contents)."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from provhost.moduleformat.info import compare_versions
from provhost.repo.index import (
    IndexEntry,
    IndexRefused,
    RepoIndex,
    Seen,
    encode,
    sign,
    verify,
)
from provhost.repo.versions import bump, bump_info_text
from provhost.signing import public_bytes

KEY = Ed25519PrivateKey.generate()
PUB = public_bytes(KEY)
NOW = 1_800_000_000.0


@pytest.mark.parametrize(("version", "release", "expected"), [
    ("0.4", False, "0.4.01"), ("0.4.01", False, "0.4.02"), ("0.4.08", False, "0.4.09"),
    ("0.4.02", True, "0.5"), ("0.4", True, "0.5"), ("1.1.1", False, "1.1.1.01"),
    ("1.1.1", True, "1.1.2"), ("8.7.3.25", False, "8.7.3.25.01"),
])
def test_bump_follows_the_seed(version: str, release: bool, expected: str) -> None:
    assert bump(version, release=release) == expected
    assert compare_versions(expected, version) > 0  # always upward


def test_nine_development_versions_then_release() -> None:
    with pytest.raises(ValueError, match=r"release it with --release \(0\.5\)"):
        bump("0.4.09")


def test_versions_order_as_the_seed_says() -> None:
    chain = ["0.4", "0.4.01", "0.4.02", "0.5"]
    assert all(compare_versions(a, b) < 0 for a, b in itertools.pairwise(chain))
    assert compare_versions("8.7.3.25", "8.7.3.25.5") < 0


def test_bump_info_keeps_the_rest_of_the_file() -> None:
    text = "# mine\n[module]\nid = probe\nversion = 0.4\nname = Probe\n"
    new, old, version = bump_info_text(text)
    assert (old, version) == ("0.4", "0.4.01")
    assert new == text.replace("version = 0.4\n", "version = 0.4.01\n")


def _signed(serial: int = 3, expires: float = NOW + 3600, channel: str = "testing",
            key: Ed25519PrivateKey = KEY) -> tuple[bytes, bytes]:
    entry = IndexEntry("probe", "0.4", "Probe", "", ["probe_t"], 10, "a" * 64, "probe-0.4.zip")
    data = encode(RepoIndex("r", channel, serial, expires, NOW, [entry]))
    return data, sign(data, key)


def test_a_good_index_is_accepted() -> None:
    data, sig = _signed()
    index = verify(data, sig, PUB, where="w", channel="testing", now=NOW, seen=Seen(3, hashlib.sha256(data).hexdigest()))
    assert index.serial == 3 and index.modules[0].id == "probe"


def test_refusals() -> None:
    data, sig = _signed()
    cases = {
        "tampered": (data.replace(b'"0.4"', b'"0.5"'), sig, None, "does not verify"),
        "other key": (*_signed(key=Ed25519PrivateKey.generate()), None, "does not verify"),
        "garbage signature": (data, b"!!!", None, "does not verify"),
        "expired": (*_signed(expires=NOW - 1), None, "expired"),
        "rolled back": (data, sig, Seen(4, "x"), "older than serial 4"),
        "same serial, other bytes": (data, sig, Seen(3, "0" * 64), "other contents"),
        "wrong channel": (*_signed(channel="stable"), None, "not 'testing'"),
    }
    for name, (d, s, seen, fragment) in cases.items():
        with pytest.raises(IndexRefused) as refused:
            verify(d, s, PUB, where="repo x", channel="testing", now=NOW, seen=seen)
        assert fragment in str(refused.value), name
        assert str(refused.value).startswith("repo x: "), name
