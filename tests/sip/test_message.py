"""The NOTIFY on the wire, and the response parser on good, odd and hostile input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from provhost.sip.message import NotifyRequest, SipParseError, event_header, parse_response


def _request(**overrides: object) -> NotifyRequest:
    fields: dict[str, object] = dict(
        user="10", phone_ip="192.0.2.7", phone_port=5060, local_ip="192.0.2.1",
        local_port=40000, event="check-sync;reboot=true", call_id="cid@provhost",
        from_tag="tag1", branch="z9hG4bKbr1")
    fields.update(overrides)
    return NotifyRequest(**fields)  # type: ignore[arg-type]


def test_notify_on_the_wire() -> None:
    assert _request().render() == (
        b"NOTIFY sip:10@192.0.2.7:5060 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.1:40000;branch=z9hG4bKbr1;rport\r\n"
        b"Max-Forwards: 70\r\n"
        b'From: "provhost" <sip:provhost@192.0.2.1:40000>;tag=tag1\r\n'
        b"To: <sip:10@192.0.2.7:5060>\r\n"
        b"Call-ID: cid@provhost\r\n"
        b"CSeq: 1 NOTIFY\r\n"
        b"Contact: <sip:provhost@192.0.2.1:40000>\r\n"
        b"Event: check-sync;reboot=true\r\n"
        b"Subscription-State: terminated\r\n"
        b"User-Agent: provhost\r\n"
        b"Content-Length: 0\r\n"
        b"\r\n")


def test_authorization_goes_before_content_length() -> None:
    wire = _request(cseq=2, authorization=("Proxy-Authorization", 'Digest x="y"')).render()
    assert b"CSeq: 2 NOTIFY\r\n" in wire
    assert wire.endswith(b'Proxy-Authorization: Digest x="y"\r\nContent-Length: 0\r\n\r\n')


def test_ipv6_and_odd_user_names() -> None:
    req = _request(user="ext 10@x", phone_ip="2001:db8::7", local_ip="2001:db8::1")
    assert req.request_uri == "sip:ext%2010%40x@[2001:db8::7]:5060"
    assert b"Via: SIP/2.0/UDP [2001:db8::1]:40000;" in req.render()


@pytest.mark.parametrize("event, arg, expected", [
    ("check-sync", None, "check-sync"),
    ("check-sync", "", "check-sync"),
    ("check-sync", "reboot=true", "check-sync;reboot=true"),
    ("check-sync", ";reboot=false; x", "check-sync;reboot=false;x"),
    ("resync", 'profile="a b"', 'resync;profile="a b"'),
])
def test_event_header(event: str, arg: str | None, expected: str) -> None:
    assert event_header(event, arg) == expected


@pytest.mark.parametrize("event, arg, field", [
    ("check-sync\r\nX-Evil: 1", None, "SIPNOTIFY_event"),
    ("check sync", None, "SIPNOTIFY_event"),
    ("", None, "SIPNOTIFY_event"),
    ("check-sync", "reboot=true\r\nX-Evil: 1", "SIPNOTIFY_arg"),
    ("check-sync", "reboot=", "SIPNOTIFY_arg"),
    ("check-sync", 'a="unterminated', "SIPNOTIFY_arg"),
])
def test_event_header_refuses_injection(event: str, arg: str | None, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        event_header(event, arg)


def test_empty_user_refused() -> None:
    with pytest.raises(ValueError, match="user name is empty"):
        _request(user="").render()


OK = (b"SIP/2.0 200 OK\r\n"
      b"v: SIP/2.0/UDP 192.0.2.1:40000;rport=40000;branch=z9hG4bKbr1;received=192.0.2.1,"
      b" SIP/2.0/UDP proxy;branch=z9hG4bKother\r\n"
      b"From: <sip:provhost@192.0.2.1>;tag=tag1\r\n"
      b"To: <sip:10@192.0.2.7>;tag=p\r\n"
      b"i: cid@provhost\r\n"
      b"CSeq: 1   NOTIFY\r\n"
      b"Server: Phone\r\n"
      b" 1.0\r\n"
      b"l: 5\r\n"
      b"\r\n"
      b"hello and more")


def test_parse_a_response_with_compact_folded_and_multi_value_headers() -> None:
    r = parse_response(OK)
    assert (r.code, r.reason) == (200, "OK")
    assert r.top_via_branch == "z9hG4bKbr1"
    assert (r.cseq_number, r.cseq_method, r.call_id) == (1, "NOTIFY", "cid@provhost")
    assert r.get("server") == "Phone 1.0"
    assert r.body == b"hello"  # Content-Length wins over trailing bytes


@pytest.mark.parametrize("data, message", [
    (b"", "empty datagram"),
    (b"\x00" * 40, "no empty line"),
    (b"SIP/2.0 200 OK\r\nVia: x\r\n", "no empty line"),
    (b"NOTIFY sip:a@b SIP/2.0\r\n\r\n", "expected a response, got a request"),
    (b"HTTP/1.1 200 OK\r\n\r\n", "start line is not 'SIP/2.0 CODE REASON'"),
    (b"SIP/2.0 2000 OK\r\n\r\n", "status code must be 3 digits"),
    (b"SIP/2.0 099 Low\r\n\r\n", "outside 100-699"),
    (b"SIP/2.0 \xd9\xa2\xd9\xa0\xd9\xa0 OK\r\n\r\n", "3 digits"),  # Arabic-Indic digits
    (b"SIP/2.0 200 OK\r\n\xff\xfe\r\n\r\n", "not UTF-8"),
    (b"SIP/2.0 200 OK\r\nVia x\r\n\r\n", "malformed header line"),
    (b"SIP/2.0 200 OK\r\n folded\r\n\r\n", "continuation line comes before any header"),
    (b"SIP/2.0 200 OK\r\nCSeq: 1 NOTIFY\r\nCall-ID: c\r\n\r\n", "no Via header"),
    (b"SIP/2.0 200 OK\r\nVia: v\r\nCSeq: one NOTIFY\r\nCall-ID: c\r\n\r\n", "CSeq must be"),
    (b"SIP/2.0 200 OK\r\nVia: v\r\nCSeq: 1 NOTIFY\r\nCall-ID: c\r\nContent-Length: -1\r\n\r\n",
     "Content-Length is not a number"),
    (b"SIP/2.0 200 OK\r\nVia: v\r\nCSeq: 1 NOTIFY\r\nCall-ID: c\r\nContent-Length: 9\r\n\r\nab",
     "Content-Length 9 but only 2"),
    (b"SIP/2.0 200 OK\rX\r\nVia: v\r\n\r\n", "bare CR"),
    (b"SIP/2.0 200 OK" + b"x" * 70000 + b"\r\n\r\n", "larger than any UDP datagram"),
])
def test_garbage_gets_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(SipParseError, match=message):
        parse_response(data)


@given(st.binary(max_size=600))
def test_parser_is_total_on_random_bytes(data: bytes) -> None:
    with contextlib.suppress(SipParseError):
        parse_response(data)


@given(st.lists(st.sampled_from([
    b"SIP/2.0 ", b"200", b" OK", b"\r\n", b"Via:", b" SIP/2.0/UDP h;branch=", b"z9hG4bK",
    b",", b";", b"CSeq: ", b"1 ", b"NOTIFY", b"Call-ID: ", b"Content-Length: ", b"5", b" ",
    b"\t", b'"', b"\\", b"\xc3", b"=", b":", b"\x00",
]), max_size=40))
def test_parser_is_total_on_sip_looking_fragments(parts: list[bytes]) -> None:
    with contextlib.suppress(SipParseError):
        parse_response(b"".join(parts))
