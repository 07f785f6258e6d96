"""send_notify against a real SIP peer: SIPp as the phone (UAS) on 127.0.0.1.

Each test checks both verdicts: SIPp's exit code (its scenario checks what we sent: the
Event header, the digest, the retransmission) and our NotifyResult (what we made of what
SIPp answered).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import trio
from provhost.sip import Outcome, send_notify

from .sipp import SCENARIOS, free_udp_port, sipp_uas

T1 = 0.1  # fast retransmissions, but timer F (6.4 s) leaves SIPp ample time


async def test_notify_accepted_with_snom_event(tmp_path: Path) -> None:
    async with sipp_uas("notify_ok.xml", tmp_path) as uas:
        result = await send_notify("127.0.0.1", uas.port, user="10", password=None,
                                   arg="reboot=true", t1=T1)
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    assert result.outcome is Outcome.ACCEPTED
    assert (result.code, result.reason, result.authenticated) == (200, "OK", False)
    assert "Event header:  check-sync;reboot=true" in uas.diagnostics()


async def test_wrong_event_header_fails_the_scenario(tmp_path: Path) -> None:
    """The scenario's Event check is real: plain check-sync (no reboot=true) fails it."""
    async with sipp_uas("notify_ok.xml", tmp_path) as uas:
        await send_notify("127.0.0.1", uas.port, user="10", password=None, t1=T1)
        rc = await uas.finish()
    assert rc == 1
    assert "Failed regexp match" in uas.diagnostics()


async def test_digest_challenge_answered(tmp_path: Path) -> None:
    keys = {"user": "10", "password": "s3cret:x", "qop_param": ', qop="auth"'}
    async with sipp_uas("notify_digest.xml", tmp_path, keys) as uas:
        result = await send_notify("127.0.0.1", uas.port, user="10", password="s3cret:x",
                                   auth="digest", arg="reboot=true", t1=T1)
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    assert result.outcome is Outcome.ACCEPTED and result.authenticated
    assert result.sends == 2
    assert "(authenticated)" in result.detail


async def test_digest_without_qop_answered_in_auto_mode(tmp_path: Path) -> None:
    keys = {"user": "10", "password": "secret", "qop_param": ""}
    async with sipp_uas("notify_digest.xml", tmp_path, keys) as uas:
        result = await send_notify("127.0.0.1", uas.port, user="10", password="secret",
                                   auth="auto", t1=T1)
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    assert result.outcome is Outcome.ACCEPTED and result.authenticated


async def test_wrong_password_is_rejected_and_fails_verifyauth(tmp_path: Path) -> None:
    keys = {"user": "10", "password": "secret", "qop_param": ', qop="auth"'}
    async with sipp_uas("notify_digest.xml", tmp_path, keys) as uas:
        result = await send_notify("127.0.0.1", uas.port, user="10", password="old-password",
                                   auth="digest", t1=T1)
        rc = await uas.finish()
    assert rc == 1  # SIPp's verifyauth refused our digest
    assert result.outcome is Outcome.REJECTED
    assert (result.code, result.reason) == (403, "Wrong digest")


async def test_challenge_with_auth_none_is_a_rejection(tmp_path: Path) -> None:
    keys = {"user": "10", "password": "secret", "qop_param": ""}
    async with sipp_uas("notify_digest.xml", tmp_path, keys) as uas:
        result = await send_notify("127.0.0.1", uas.port, user="10", password="secret",
                                   auth="none", t1=T1)
        # we never send the second NOTIFY: SIPp is left waiting and is killed
    assert result.outcome is Outcome.REJECTED
    assert result.code == 401
    assert "SIPNOTIFY_auth is 'none'" in result.detail
    assert result.sends == 1


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


async def test_proxy_digest_407(tmp_path: Path) -> None:
    port = free_udp_port()
    uri = f"sip:10@127.0.0.1:{port}"
    # RFC 2617 3.2.2.1 without qop, computed here independently of provhost.sip.auth
    expected = _md5(f"{_md5('10:provhost-test:secret')}:c0ffee407:{_md5(f'NOTIFY:{uri}')}")
    scenario = tmp_path / "notify_proxy_digest.xml"
    scenario.write_text((SCENARIOS / "notify_proxy_digest.xml").read_text()
                        .replace("@URI@", uri).replace("@RESPONSE@", expected))
    async with sipp_uas("", tmp_path, scenario_file=scenario, port=port) as uas:
        result = await send_notify("127.0.0.1", uas.port, user="10", password="secret",
                                   auth="digest", t1=T1)
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    assert result.outcome is Outcome.ACCEPTED and result.authenticated


async def test_basic_credentials(tmp_path: Path) -> None:
    async with sipp_uas("notify_basic.xml", tmp_path) as uas:
        result = await send_notify("127.0.0.1", uas.port, user="10", password="secret",
                                   auth="basic", t1=T1)
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    assert result.outcome is Outcome.ACCEPTED and result.authenticated


async def test_wrong_basic_password_fails_the_scenario(tmp_path: Path) -> None:
    async with sipp_uas("notify_basic.xml", tmp_path) as uas:
        await send_notify("127.0.0.1", uas.port, user="10", password="old", auth="basic",
                          t1=T1)
        rc = await uas.finish()
    assert rc == 1
    assert "Failed regexp match" in uas.diagnostics()


async def test_basic_challenge_refused_in_digest_mode(tmp_path: Path) -> None:
    async with sipp_uas("notify_basic.xml", tmp_path) as uas:
        result = await send_notify("127.0.0.1", uas.port, user="10", password="secret",
                                   auth="digest", t1=T1)
    assert result.outcome is Outcome.REJECTED
    assert "asks for basic authentication, but SIPNOTIFY_auth is 'digest'" in result.detail


async def test_forbidden_is_rejected(tmp_path: Path) -> None:
    async with sipp_uas("notify_forbidden.xml", tmp_path) as uas:
        result = await send_notify("127.0.0.1", uas.port, user="10", password=None, t1=T1)
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    assert result.outcome is Outcome.REJECTED
    assert (result.code, result.reason) == (403, "Forbidden")
    assert result.detail == "the phone answered 403 Forbidden"


async def test_lost_first_notify_is_retransmitted(tmp_path: Path) -> None:
    async with sipp_uas("notify_drop_first.xml", tmp_path) as uas:
        result = await send_notify("127.0.0.1", uas.port, user="10", password=None, t1=T1)
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    assert result.outcome is Outcome.ACCEPTED
    assert result.sends >= 2  # 350 ms unanswered, T1 = 100 ms
    # SIPp saw every retransmission of the same transaction (identical datagrams)
    assert uas.counts()["0_NOTIFY_Retrans"] == result.sends - 1


async def test_nobody_listening_is_no_answer(tmp_path: Path) -> None:
    port = free_udp_port()  # nothing bound there
    with trio.fail_after(5):
        result = await send_notify("127.0.0.1", port, user="10", password=None, t1=0.01)
    assert result.outcome is Outcome.NO_ANSWER
    assert result.code is None
    # timer F = 64 * T1 = 0.64 s: sends at 0, .01, .03, .07, .15, .31 and .63 s
    assert result.sends == 7
    assert "no answer from 127.0.0.1" in result.detail


async def test_provisional_response_slows_retransmission_to_t2(tmp_path: Path) -> None:
    async with sipp_uas("notify_trying.xml", tmp_path) as uas:
        result = await send_notify("127.0.0.1", uas.port, user="10", password=None, t1=0.25)
        rc = await uas.finish()
    assert rc == 0, uas.diagnostics()
    assert result.outcome is Outcome.ACCEPTED
    # The 100 comes back well within T1 on loopback.  Timer E, armed at T1, still fires once
    # in Proceeding (RFC 3261 17.1.2.2) and is then re-armed at T2 = 4 s: two sends in all,
    # where Trying alone would have sent at 0, 0.25 and 0.75 s before the 200 at 1.2 s.
    assert result.sends == 2
    assert uas.counts()["0_NOTIFY_Retrans"] == 1
