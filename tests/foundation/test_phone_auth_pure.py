"""auth/digest.py without a server: digest verification (RFC 7616, MD5 and SHA-256,
qop=auth) against our own digest client, stateless nonces (tampering, binding, expiry,
stale only with the right password), the replay guard's bound; and the store's
provisioning-credential states."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from provhost.auth import digest as phone_auth
from provhost.auth.digest import Check, ReplayGuard, Verdict
from provhost.sip.auth import digest_authorization, parse_challenge
from provhost.store.base import StoreError
from provhost.store.sqlite import SqliteStore

KEY = b"k" * 32
CLIENT = "192.0.2.10"
NOW = 1_700_000_000.0
USER, PASSWORD = "0004f2a1b2c3", "S3cretS3cretS3cretS3cret"
PATH = "/Cisco/SPA504G/0004f2a1b2c3.cfg"
SALT = b"\x01" * phone_auth.SALT_SIZE


def _auth(nonce: str, *, algorithm: str = "SHA-256", password: str = PASSWORD,
          user: str = USER, uri: str = PATH, method: str = "GET", nc: int = 1,
          realm: str = phone_auth.REALM) -> str:
    challenge = parse_challenge(f'Digest realm="{realm}", nonce="{nonce}", qop="auth", '
                                f"algorithm={algorithm}")
    return digest_authorization(challenge, username=user, password=password, method=method,
                                uri=uri, cnonce="abcdef", nc=nc)


def _verify(header: str | None, *, now: float = NOW, client: str = CLIENT,
            path: str = PATH, method: str = "GET") -> Check:
    return phone_auth.verify(header, key=KEY, client=client, method=method, path=path,
                             user=USER, password=PASSWORD, now=now)


def _nonce(now: float = NOW, client: str = CLIENT, key: bytes = KEY) -> str:
    return phone_auth.make_nonce(key, client, now, SALT)


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_our_digest_client_is_accepted(algorithm: str) -> None:
    check = _verify(_auth(_nonce(), algorithm=algorithm), now=NOW + 10)
    assert check.verdict is Verdict.OK and check.nc == "00000001"


def test_challenges_offer_sha256_then_md5_with_one_nonce() -> None:
    values = phone_auth.challenges(KEY, CLIENT, NOW, SALT)
    parsed = [parse_challenge(v) for v in values]
    assert [c.params["algorithm"] for c in parsed] == ["SHA-256", "MD5"]
    assert {c.params["nonce"] for c in parsed} == {_nonce()}
    assert all(c.scheme == "digest" and c.params["qop"] == "auth"
               and c.params["realm"] == phone_auth.REALM and "stale" not in c.params
               for c in parsed)
    stale = phone_auth.challenges(KEY, CLIENT, NOW, SALT, stale=True)
    assert all(parse_challenge(v).params["stale"] == "true" for v in stale)


def test_missing_or_other_schemes_ask_for_a_challenge() -> None:
    assert _verify(None).verdict is Verdict.MISSING
    assert _verify("  ").verdict is Verdict.MISSING
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    check = _verify(basic)
    assert check.verdict is Verdict.MISSING and "only Digest" in check.reason


@pytest.mark.parametrize(("header", "reason"), [
    ('Digest username="x"', "lack"),
    ("Digest realm=", "malformed"),
    ("Digest " + "x" * 10, "malformed"),
])
def test_malformed_headers_are_refused_with_a_reason(header: str, reason: str) -> None:
    check = _verify(header)
    assert check.verdict is Verdict.REFUSED and reason in check.reason


def test_each_wrong_part_is_refused() -> None:
    nonce = _nonce()
    cases = {
        "wrong password": _auth(nonce, password="guess"),
        "not this phone's": _auth(nonce, user="0004f2000000"),
        "not ours": _auth(nonce, realm="elsewhere"),
        "not the requested path": _auth(nonce, uri="/Cisco/SPA504G/0004f2000000.cfg"),
        "algorithm": _auth(nonce, algorithm="SHA-512-256"),
        "not issued": _auth(_nonce(key=b"another key")),
    }
    for reason, header in cases.items():
        check = _verify(header)
        assert check.verdict is Verdict.REFUSED and reason in check.reason, (reason, check)
    # the response covers the method: a GET's answer is no good for a HEAD
    assert _verify(_auth(nonce), method="HEAD").verdict is Verdict.REFUSED
    no_qop = _auth(nonce).replace(", qop=auth", "")
    assert "qop" in _verify(no_qop).reason


def test_uri_may_be_absolute_or_percent_encoded_or_carry_a_query() -> None:
    nonce = _nonce()
    for uri in (f"http://192.0.2.1:8080{PATH}", PATH.replace("SPA", "%53PA"), PATH + "?x=1"):
        assert _verify(_auth(nonce, uri=uri)).verdict is Verdict.OK, uri


def test_nonce_is_bound_to_the_client_address() -> None:
    check = _verify(_auth(_nonce(client="192.0.2.99")))
    assert check.verdict is Verdict.REFUSED and "this address" in check.reason


def test_expired_nonce_is_stale_only_with_the_right_password() -> None:
    old = _nonce(now=NOW - phone_auth.NONCE_LIFETIME - 1)
    assert _verify(_auth(old)).verdict is Verdict.STALE
    assert _verify(_auth(old, password="guess")).verdict is Verdict.REFUSED
    edge = _nonce(now=NOW - phone_auth.NONCE_LIFETIME)
    assert _verify(_auth(edge)).verdict is Verdict.OK
    future = _nonce(now=NOW + phone_auth.MAX_SKEW + 5)
    assert _verify(_auth(future)).verdict is Verdict.REFUSED


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=5))
def test_any_altered_nonce_is_not_ours(position: int, bit: int) -> None:
    nonce = _nonce()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    i = position % len(nonce)
    changed = alphabet[alphabet.index(nonce[i]) ^ (1 << bit)]
    altered = nonce[:i] + changed + nonce[i + 1:]
    # the last character holds only 2 significant bits: flipping a padding bit may decode
    # to the same bytes, which is the same nonce and rightly accepted
    same = base64.urlsafe_b64decode(altered + "=") == base64.urlsafe_b64decode(nonce + "=")
    assert (phone_auth.nonce_issued(KEY, CLIENT, altered) is None) or same


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_nonces_never_crash_and_are_refused(text: str) -> None:
    assert phone_auth.nonce_issued(KEY, CLIENT, text) is None
    header = f'Digest username="{USER}", realm="{phone_auth.REALM}", nonce="{text}", ' \
             f'uri="{PATH}", response="00", qop=auth, nc=00000001, cnonce="x"'
    assert _verify(header).verdict in (Verdict.REFUSED,)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_headers_never_crash(text: str) -> None:
    assert _verify(text).verdict in set(Verdict) - {Verdict.OK, Verdict.STALE}


def test_replay_guard_refuses_a_repeat_and_forgets_with_age() -> None:
    guard = ReplayGuard(lifetime=100)
    ok = _verify(_auth(_nonce()))
    assert guard.admit(ok, NOW) is ok
    assert guard.admit(ok, NOW + 1).verdict is Verdict.STALE
    nc2 = _verify(_auth(_nonce(), nc=2))
    assert guard.admit(nc2, NOW + 2).verdict is Verdict.OK
    refused = _verify(_auth(_nonce(), password="guess"))
    assert guard.admit(refused, NOW + 3) is refused and len(guard) == 2
    guard.admit(_verify(_auth(_nonce(), nc=3)), NOW + 1000)  # the old entries expire
    assert len(guard) == 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10_000), max_size=300))
def test_replay_guard_memory_is_bounded(ncs: list[int]) -> None:
    guard = ReplayGuard(max_entries=16)
    for nc in ncs:
        guard.admit(Check(Verdict.OK, "", "n", "c", f"{nc:08x}"), NOW)
        assert len(guard) <= 16


def test_store_credential_states(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite")
    assert store.schema_version() >= 4  # the credentials migration applied
    plain = store.create_phone("0004f2000001", "spa504g", "cisco-spa", "", auto_line=False)
    assert (plain.provision_auth, plain.provision_user, plain.provision_password) == ("off", "", "")
    assert store.require_provision_auth(plain.mac) is False  # only pending ones move
    new = store.create_phone("0004f2000002", "spa504g", "cisco-spa", "", auto_line=False,
                             provision_auth=True)
    assert new.provision_auth == "pending" and new.provision_user == new.mac
    assert len(new.provision_password) == 24 and new.provision_password.isalnum()
    assert store.require_provision_auth(new.mac) is True
    assert store.get_phone(new.mac).provision_auth == "required"
    assert store.require_provision_auth(new.mac) is False
    with pytest.raises(StoreError, match="one of off, pending, required"):
        store.set_provision_auth(new.mac, "maybe", "", "")
    with pytest.raises(StoreError, match="no phone"):
        store.set_provision_auth("0004f2999999", "off", "", "")
    store.set_provision_auth(new.mac, "off", "", "")
    assert store.get_phone(new.mac).provision_auth == "off"
    store.close()


def test_migration_4_upgrades_an_existing_database(tmp_path: Path) -> None:
    import sqlite3

    from provhost.store.migrations import MIGRATIONS

    db = sqlite3.connect(tmp_path / "old.sqlite", isolation_level=None)
    for version, sql in MIGRATIONS[:3]:
        for statement in sql.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {version}")
    db.execute("INSERT INTO phones(mac, phone_type, module_id, last_ip, first_seen, last_seen, "
               "admin_password) VALUES('0004f2000003', 'spa504g', 'cisco-spa', '', 0, 0, 'pw')")
    db.close()
    store = SqliteStore(tmp_path / "old.sqlite")
    assert store.schema_version() >= 4
    phone = store.get_phone("0004f2000003")
    assert phone is not None and phone.provision_auth == "off" and phone.provision_user == ""
    store.close()
