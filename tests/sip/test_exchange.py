"""One resync end to end without sockets: NotifyExchange fed by hand with a fake clock."""

from __future__ import annotations

import itertools

import pytest
from provhost.sip.auth import AuthMode, digest_response
from provhost.sip.exchange import NotifyExchange, NotifyParams, Outcome
from provhost.sip.message import NotifyRequest
from provhost.sip.transaction import Timers


def pinned_tokens() -> object:
    counter = itertools.count(1)
    return lambda n: f"t{next(counter)}"


def exchange(auth: AuthMode = AuthMode.NONE, password: str | None = "pw",
             **timers: float) -> NotifyExchange:
    params = NotifyParams(user="10", phone_ip="192.0.2.7", password=password, auth=auth,
                          arg="reboot=true")
    return NotifyExchange(params, "192.0.2.1", 40000, Timers(**timers),
                          token=pinned_tokens())  # type: ignore[arg-type]


def response(req: NotifyRequest, code: int, reason: str, *extra: str,
             branch: str | None = None) -> bytes:
    lines = [f"SIP/2.0 {code} {reason}",
             f"Via: SIP/2.0/UDP 192.0.2.1:40000;branch={branch or req.branch};rport=40000",
             f"From: <sip:provhost@192.0.2.1:40000>;tag={req.from_tag}",
             "To: <sip:10@192.0.2.7:5060>;tag=phone", f"Call-ID: {req.call_id}",
             f"CSeq: {req.cseq} NOTIFY", *extra, "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_accepted() -> None:
    ex = exchange()
    step = ex.start(0.0)
    assert step.datagrams == (ex.request.render(),)
    assert b"Event: check-sync;reboot=true\r\n" in step.datagrams[0]
    assert ex.datagram_received(response(ex.request, 200, "OK"), 0.1).datagrams == ()
    assert ex.result is not None
    assert ex.result.outcome is Outcome.ACCEPTED and ex.result.ok
    assert ex.result.detail == "the phone accepted the resync: 200 OK"
    assert ex.next_deadline() is None


def test_digest_retry_is_a_new_transaction_of_the_same_call() -> None:
    ex = exchange(AuthMode.DIGEST)
    ex.start(0.0)
    first = ex.request
    challenge = 'WWW-Authenticate: Digest realm="pbx", nonce="n1", qop="auth"'
    step = ex.datagram_received(response(first, 401, "Unauthorized", challenge), 0.2)
    second = ex.request
    assert step.datagrams == (second.render(),)
    assert (second.call_id, second.from_tag) == (first.call_id, first.from_tag)
    assert second.cseq == first.cseq + 1
    assert second.branch != first.branch and second.branch.startswith("z9hG4bK")
    assert second.authorization is not None
    name, value = second.authorization
    expected = digest_response(username="10", password="pw", realm="pbx", method="NOTIFY",
                               uri="sip:10@192.0.2.7:5060", nonce="n1", qop="auth",
                               cnonce="t4")  # Call-ID t1, tag t2, branch t3
    assert name == "Authorization" and f'response="{expected}"' in value
    # the new transaction has its own timers: retransmits the authenticated NOTIFY at T1
    assert ex.advance(0.7).datagrams == (second.render(),)
    # a late copy of the 401 belongs to the old transaction: ignored, no second retry
    step = ex.datagram_received(response(first, 401, "Unauthorized", challenge), 0.8)
    assert step.datagrams == () and "matches no live transaction" in (step.note or "")
    ex.datagram_received(response(second, 200, "OK"), 0.9)
    assert ex.result is not None and ex.result.outcome is Outcome.ACCEPTED
    assert ex.result.authenticated and ex.result.sends == 3


def test_second_challenge_is_a_rejection() -> None:
    ex = exchange(AuthMode.AUTO)
    ex.start(0.0)
    challenge = 'Proxy-Authenticate: Digest realm="pbx", nonce="n1"'
    ex.datagram_received(response(ex.request, 407, "Proxy Auth", challenge), 0.1)
    assert ex.request.authorization is not None
    assert ex.request.authorization[0] == "Proxy-Authorization"
    ex.datagram_received(response(ex.request, 407, "Proxy Auth", challenge), 0.2)
    assert ex.result is not None and ex.result.outcome is Outcome.REJECTED
    assert ex.result.code == 407
    assert "wrong user or password" in ex.result.detail


def test_rejected_keeps_code_and_reason() -> None:
    ex = exchange()
    ex.start(0.0)
    ex.datagram_received(response(ex.request, 486, "Busy Here"), 0.1)
    assert ex.result is not None
    assert (ex.result.outcome, ex.result.code, ex.result.reason) == (
        Outcome.REJECTED, 486, "Busy Here")
    # a retransmitted final response after the result changes nothing
    assert "absorbed" in (ex.datagram_received(response(ex.request, 486, "Busy Here"), 0.2)
                          .note or "")
    assert ex.result.code == 486


def test_no_answer_after_timer_f() -> None:
    ex = exchange(t1=0.5)
    ex.start(0.0)
    sends = 1
    while (deadline := ex.next_deadline()) is not None:
        sends += len(ex.advance(deadline).datagrams)
    assert ex.result is not None and ex.result.outcome is Outcome.NO_ANSWER
    assert sends == ex.result.sends == 11
    assert ex.result.detail == "no answer from 192.0.2.7:5060 after 32 s (11 sends)"


def test_transport_error_is_no_answer() -> None:
    ex = exchange()
    ex.start(0.0)
    ex.transport_error("[Errno 101] Network is unreachable", 0.0)
    assert ex.result is not None and ex.result.outcome is Outcome.NO_ANSWER
    assert "could not send to 192.0.2.7:5060: [Errno 101]" in ex.result.detail


@pytest.mark.parametrize("data, note", [
    (b"garbage", "not a SIP response"),
    (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKforeign\r\nCall-ID: c\r\n"
     b"CSeq: 1 NOTIFY\r\n\r\n", "matches no live transaction"),
])
def test_strays_are_ignored_with_a_note(data: bytes, note: str) -> None:
    ex = exchange()
    ex.start(0.0)
    step = ex.datagram_received(data, 0.1)
    assert step.datagrams == () and note in (step.note or "")
    assert ex.result is None


def test_wrong_cseq_method_does_not_match() -> None:
    ex = exchange()
    ex.start(0.0)
    data = response(ex.request, 200, "OK").replace(b"1 NOTIFY", b"1 OPTIONS")
    assert "matches no live transaction" in (ex.datagram_received(data, 0.1).note or "")


def test_bad_parameters_are_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="SIPNOTIFY_arg"):
        NotifyParams(user="10", phone_ip="192.0.2.7", arg="a\r\nb")
    with pytest.raises(ValueError, match="port 0"):
        NotifyParams(user="10", phone_ip="192.0.2.7", phone_port=0)
