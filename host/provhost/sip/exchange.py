"""One SIPNOTIFY resync, sans-I/O: a NOTIFY, at most one authenticated retry, a result.

This is the transaction user above `ClientTransaction`.  It builds the NOTIFY, matches
incoming datagrams to the live transaction (top Via branch and CSeq, RFC 3261 17.1.3),
answers a single 401/407 challenge with a new transaction (same Call-ID and From tag,
CSeq + 1, new branch, RFC 3261 8.1.3.5 / 22.2), and turns what happened into a
`NotifyResult`.  The I/O shell (driver.py) only moves bytes and waits for deadlines.

Randomness (Call-ID, tag, branch, cnonce) comes from `token`, so tests can pin it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from provhost.sip.auth import AuthError, AuthMode, answer_challenge
from provhost.sip.message import (
    BRANCH_COOKIE,
    NotifyRequest,
    Response,
    SipParseError,
    event_header,
    parse_response,
)
from provhost.sip.transaction import (
    ClientTransaction,
    Deliver,
    Effect,
    Send,
    TimedOut,
    Timers,
    TransportFailed,
)


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # a 2xx: the phone took the resync request
    REJECTED = "rejected"  # a final response >= 300 (or a challenge we did not answer)
    NO_ANSWER = "no answer"  # timer F, or the request could not be sent


@dataclass(frozen=True)
class NotifyResult:
    outcome: Outcome
    detail: str  # one line for the administrator
    code: int | None = None  # the final status code, when there was one
    reason: str | None = None  # its reason phrase
    authenticated: bool = False  # whether the answer came to a NOTIFY with credentials
    sends: int = 0  # datagrams sent, retransmissions included

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.ACCEPTED


@dataclass(frozen=True)
class NotifyParams:
    """What the resync needs to know: where the phone is and how to talk to it."""

    user: str  # SIP user of the phone's first line, from LAST_CONFIG
    phone_ip: str
    phone_port: int = 5060
    password: str | None = None
    auth: AuthMode = AuthMode.NONE
    event: str = "check-sync"
    arg: str | None = None

    def __post_init__(self) -> None:
        if not 0 < self.phone_port < 65536:
            raise ValueError(f"phone port {self.phone_port} is not 1-65535")
        event_header(self.event, self.arg)  # raises on a bad event or arg


@dataclass(frozen=True)
class Step:
    """What the shell must do after feeding the exchange: send datagrams, maybe log."""

    datagrams: tuple[bytes, ...] = ()
    note: str | None = None  # why a datagram was ignored, for the log


@dataclass
class NotifyExchange:
    params: NotifyParams
    local_ip: str
    local_port: int
    timers: Timers = field(default_factory=Timers)
    token: Callable[[int], str] = secrets.token_hex
    result: NotifyResult | None = None

    def __post_init__(self) -> None:
        p = self.params
        self._request = NotifyRequest(
            user=p.user, phone_ip=p.phone_ip, phone_port=p.phone_port,
            local_ip=self.local_ip, local_port=self.local_port,
            event=event_header(p.event, p.arg),
            call_id=f"{self.token(12)}@provhost", from_tag=self.token(6),
            branch=BRANCH_COOKIE + self.token(10), cseq=1)
        self._wire = self._request.render()
        self._transaction = ClientTransaction(self.timers)
        self._sends_before = 0  # datagrams of earlier transactions
        self._challenged = False

    @property
    def request(self) -> NotifyRequest:
        """The NOTIFY of the live transaction."""
        return self._request

    def start(self, now: float) -> Step:
        return self._apply(self._transaction.start(now), now)

    def next_deadline(self) -> float | None:
        return None if self.result is not None else self._transaction.next_deadline()

    def advance(self, now: float) -> Step:
        if self.result is not None:
            return Step()
        return self._apply(self._transaction.advance(now), now)

    def transport_error(self, reason: str, now: float) -> Step:
        if self.result is not None:
            return Step()
        return self._apply(self._transaction.transport_error(reason, now), now)

    def datagram_received(self, data: bytes, now: float) -> Step:
        try:
            response = parse_response(data)
        except SipParseError as e:
            return Step(note=f"ignored a datagram that is not a SIP response: {e}")
        req = self._request
        if (response.top_via_branch != req.branch or response.cseq_method != "NOTIFY"
                or response.cseq_number != req.cseq or response.call_id != req.call_id):
            return Step(note=f"ignored a {response.code} that matches no live transaction "
                             f"(branch {response.top_via_branch!r}, CSeq "
                             f"{response.cseq_number} {response.cseq_method})")
        if self.result is not None:  # the transaction is Completed: absorb
            self._transaction.receive(response.code, response, now)
            return Step(note=f"absorbed a retransmitted {response.code}")
        return self._apply(self._transaction.receive(response.code, response, now), now)

    # -- internals ---------------------------------------------------------------------

    def _sends(self) -> int:
        return self._sends_before + self._transaction.sends

    def _apply(self, effects: list[Effect], now: float) -> Step:
        out: list[bytes] = []
        for effect in effects:
            match effect:
                case Send():
                    out.append(self._wire)
                case Deliver(response=Response() as response):
                    out += self._on_response(response, now)
                case TimedOut():
                    self._finish(Outcome.NO_ANSWER,
                                 f"no answer from {self._where()} after "
                                 f"{self.timers.f:g} s ({self._transaction.sends} sends)")
                case TransportFailed(reason=reason):
                    self._finish(Outcome.NO_ANSWER, f"could not send to {self._where()}: {reason}")
        return Step(tuple(out))

    def _where(self) -> str:
        p = self.params
        return f"{p.phone_ip}:{p.phone_port}"

    def _finish(self, outcome: Outcome, detail: str, response: Response | None = None) -> None:
        self.result = NotifyResult(
            outcome=outcome, detail=detail,
            code=response.code if response else None,
            reason=response.reason if response else None,
            authenticated=self._challenged, sends=self._sends())

    def _on_response(self, response: Response, now: float) -> list[bytes]:
        code, phrase = response.code, f"{response.code} {response.reason}".strip()
        if code < 200:
            return []
        if code < 300:
            auth = " (authenticated)" if self._challenged else ""
            self._finish(Outcome.ACCEPTED, f"the phone accepted the resync: {phrase}{auth}",
                         response)
            return []
        if code in (401, 407) and not self._challenged:
            return self._retry_with_credentials(response, phrase, now)
        why = " to our credentials: wrong user or password?" if code in (401, 407) else ""
        self._finish(Outcome.REJECTED, f"the phone answered {phrase}{why}", response)
        return []

    def _retry_with_credentials(self, response: Response, phrase: str, now: float
                                ) -> list[bytes]:
        p = self.params
        try:
            authorization = answer_challenge(
                response, p.auth, username=p.user, password=p.password, method="NOTIFY",
                uri=self._request.request_uri, cnonce=self.token(8))
        except AuthError as e:
            self._finish(Outcome.REJECTED, f"the phone answered {phrase}; {e}", response)
            return []
        self._challenged = True
        self._sends_before += self._transaction.sends
        self._request = replace(self._request, cseq=self._request.cseq + 1,
                                branch=BRANCH_COOKIE + self.token(10),
                                authorization=authorization)
        self._wire = self._request.render()
        self._transaction = ClientTransaction(self.timers)
        return list(self._apply(self._transaction.start(now), now).datagrams)
