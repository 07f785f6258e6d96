"""Digest and Basic answers, against the published vectors of RFC 2617 and RFC 7616."""

from __future__ import annotations

import hashlib

import pytest
from provhost.sip.auth import (
    AuthError,
    AuthMode,
    answer_challenge,
    digest_authorization,
    digest_response,
    parse_challenge,
)
from provhost.sip.message import parse_response


def test_rfc2617_example() -> None:
    # RFC 2617 section 3.5
    assert digest_response(username="Mufasa", password="Circle Of Life",
                           realm="testrealm@host.com", method="GET", uri="/dir/index.html",
                           nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", qop="auth",
                           cnonce="0a4f113b", nc="00000001") == "6629fae49393a05397450978507c4ef1"


RFC7616 = dict(username="Mufasa", password="Circle of Life", realm="http-auth@example.org",
               method="GET", uri="/dir/index.html",
               nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", qop="auth",
               cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", nc="00000001")


def test_rfc7616_md5_and_sha256_examples() -> None:
    # RFC 7616 section 3.9.1
    assert digest_response(**RFC7616) == "8ca523f5e9506fed4657c9700eebdbec"
    assert digest_response(**RFC7616, algorithm="SHA-256") == (
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")


def test_no_qop_is_rfc2069_style() -> None:
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    expected = md5(f"{md5('10:r:pw')}:n1:{md5('NOTIFY:sip:10@192.0.2.1:5060')}")
    assert digest_response(username="10", password="pw", realm="r", method="NOTIFY",
                           uri="sip:10@192.0.2.1:5060", nonce="n1") == expected


def test_md5_sess_hashes_nonce_and_cnonce_into_ha1() -> None:
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    ha1 = md5(f"{md5('u:r:p')}:n:c")
    expected = md5(f"{ha1}:n:00000001:c:auth:{md5('NOTIFY:sip:u@h')}")
    assert digest_response(username="u", password="p", realm="r", method="NOTIFY",
                           uri="sip:u@h", nonce="n", algorithm="MD5-sess", qop="auth",
                           cnonce="c") == expected


def test_authorization_header_carries_the_challenge_back() -> None:
    ch = parse_challenge('Digest realm="pbx", nonce="abc", qop="auth,auth-int", '
                         'opaque="o\\"q", algorithm=MD5')
    value = digest_authorization(ch, username="10", password="pw", method="NOTIFY",
                                 uri="sip:10@192.0.2.1:5060", cnonce="cafe")
    response = digest_response(username="10", password="pw", realm="pbx", method="NOTIFY",
                               uri="sip:10@192.0.2.1:5060", nonce="abc", qop="auth",
                               cnonce="cafe")
    assert value == ('Digest username="10", realm="pbx", nonce="abc", '
                     f'uri="sip:10@192.0.2.1:5060", response="{response}", algorithm=MD5, '
                     'qop=auth, nc=00000001, cnonce="cafe", opaque="o\\"q"')


def test_parse_challenge_unquotes_and_lowercases() -> None:
    ch = parse_challenge('Digest REALM="a, b", nonce=xyz,stale=TRUE')
    assert ch.scheme == "digest"
    assert ch.params == {"realm": "a, b", "nonce": "xyz", "stale": "TRUE"}


@pytest.mark.parametrize("value, message", [
    ('Digest realm="unterminated', "unterminated"),
    ("Digest realm", "malformed parameter"),
    ("Digest realm=a b", "malformed value"),
    ('"Digest" realm=x', "does not start with a scheme"),
])
def test_parse_challenge_errors(value: str, message: str) -> None:
    with pytest.raises(AuthError, match=message):
        parse_challenge(value)


def test_unsupported_digest_variants_are_explained() -> None:
    with pytest.raises(AuthError, match="algorithm 'AKAv1-MD5'"):
        digest_authorization(parse_challenge('Digest realm="r", nonce="n", algorithm=AKAv1-MD5'),
                             username="u", password="p", method="NOTIFY", uri="sip:u@h",
                             cnonce="c")
    with pytest.raises(AuthError, match="only qop='auth-conf'"):
        digest_authorization(parse_challenge('Digest realm="r", nonce="n", qop="auth-conf"'),
                             username="u", password="p", method="NOTIFY", uri="sip:u@h",
                             cnonce="c")
    with pytest.raises(AuthError, match="lacks a realm or a nonce"):
        digest_authorization(parse_challenge('Digest realm="r"'), username="u", password="p",
                             method="NOTIFY", uri="sip:u@h", cnonce="c")


def _challenge(code: int, *headers: str) -> bytes:
    name = "WWW-Authenticate" if code == 401 else "Proxy-Authenticate"
    lines = [f"SIP/2.0 {code} Auth", "Via: SIP/2.0/UDP h;branch=z9hG4bKx", "Call-ID: c",
             "CSeq: 1 NOTIFY", *(f"{name}: {h}" for h in headers), "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(data: bytes, mode: AuthMode, password: str | None = "pw") -> tuple[str, str]:
    return answer_challenge(parse_response(data), mode, username="10", password=password,
                            method="NOTIFY", uri="sip:10@h", cnonce="c")


def test_modes_choose_the_scheme() -> None:
    both = _challenge(401, 'Basic realm="r"', 'Digest realm="r", nonce="n"')
    assert _answer(both, AuthMode.AUTO)[1].startswith("Digest ")
    assert _answer(both, AuthMode.DIGEST)[1].startswith("Digest ")
    assert _answer(both, AuthMode.BASIC) == ("Authorization", "Basic MTA6cHc=")
    basic_only = _challenge(401, 'Basic realm="r"')
    assert _answer(basic_only, AuthMode.AUTO) == ("Authorization", "Basic MTA6cHc=")
    with pytest.raises(AuthError, match="asks for basic authentication, but SIPNOTIFY_auth is "
                                        "'digest'"):
        _answer(basic_only, AuthMode.DIGEST)
    with pytest.raises(AuthError, match="SIPNOTIFY_auth is 'none'"):
        _answer(both, AuthMode.NONE)


def test_407_is_answered_with_proxy_authorization() -> None:
    name, value = _answer(_challenge(407, 'Digest realm="r", nonce="n"'), AuthMode.DIGEST)
    assert name == "Proxy-Authorization" and value.startswith('Digest username="10"')


def test_missing_password_or_challenge_is_explained() -> None:
    with pytest.raises(AuthError, match="no SIP password is known"):
        _answer(_challenge(401, 'Digest realm="r", nonce="n"'), AuthMode.DIGEST, password=None)
    with pytest.raises(AuthError, match="no usable Www-Authenticate header"):
        _answer(_challenge(401), AuthMode.AUTO)
    with pytest.raises(AuthError, match=r"no usable .*\(.*unterminated"):
        _answer(_challenge(401, 'Digest realm="r'), AuthMode.AUTO)
