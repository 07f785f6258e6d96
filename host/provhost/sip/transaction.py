"""The RFC 3261 non-INVITE client transaction (section 17.1.2), as a pure state machine.

Rules
-----
* The machine never touches a socket or a clock.  The caller tells it the time (`now`, in
  seconds, any monotonic origin) and hands it responses; it answers with `Effect`s: send
  the request (again), deliver a response to the transaction user, report a timeout.
* Every state change goes through `TRANSITIONS`, a table keyed by (state, event).  An event
  the table does not list for the current state is a bug in the caller and raises
  `TransactionError`; nothing is ever silently dropped by accident.
* Only one request, one destination, unreliable transport (UDP): timers E and K run.

Theory of operation
-------------------
The request goes out when the machine starts (`start`): state Trying, timer E armed at T1,
timer F at 64*T1.  Whenever timer E fires before any response, the request is sent again and
E's interval doubles, capped at T2 (0.5, 1, 2, 4, 4, ... seconds by default).  A provisional
(1xx) response moves the machine to Proceeding: it keeps retransmitting, now every T2.
A final response (200-699) in Trying or Proceeding is delivered, and the machine waits in
Completed for timer K (T4) so that retransmitted copies of the final response are absorbed
rather than delivered twice; then it is Terminated.  If timer F fires first the machine
reports a timeout and is Terminated: the phone never answered.

    Trying --1xx--> Proceeding --final--> Completed --K--> Terminated
       |  \\__________________________/^                     ^
       |------------final---------------'                     |
       '---F (or transport error), also from Proceeding ------'

The caller's loop: `start(now)`; then repeatedly wait until `next_deadline()` for a
response, feeding it to `receive(response, now)`, or call `advance(now)` once the deadline
has passed; act on the effects; stop when `state` is Completed (if it does not care about
absorbing retransmissions) or Terminated.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto


class State(Enum):
    TRYING = auto()
    PROCEEDING = auto()
    COMPLETED = auto()
    TERMINATED = auto()


class Event(Enum):
    PROVISIONAL = auto()  # a 1xx response
    FINAL = auto()  # a 200-699 response
    TIMER_E = auto()  # retransmit the request
    TIMER_F = auto()  # give up
    TIMER_K = auto()  # stop absorbing response retransmissions
    TRANSPORT_ERROR = auto()  # the request could not be sent


class Action(Enum):
    RETRANSMIT = auto()  # send the request again
    BACKOFF_E = auto()  # re-arm E at min(2 * interval, T2)
    E_AT_T2 = auto()  # re-arm E at T2 (Proceeding)
    DELIVER = auto()  # hand the response to the transaction user
    STOP_E_F = auto()  # disarm timers E and F
    START_K = auto()  # arm timer K at T4
    REPORT_TIMEOUT = auto()  # tell the transaction user: timer F fired
    REPORT_TRANSPORT_ERROR = auto()


_FINAL = (Action.DELIVER, Action.STOP_E_F, Action.START_K)
_FAIL = (Action.STOP_E_F,)

TRANSITIONS: dict[State, dict[Event, tuple[State, tuple[Action, ...]]]] = {
    State.TRYING: {
        Event.PROVISIONAL: (State.PROCEEDING, (Action.DELIVER,)),
        Event.FINAL: (State.COMPLETED, _FINAL),
        Event.TIMER_E: (State.TRYING, (Action.RETRANSMIT, Action.BACKOFF_E)),
        Event.TIMER_F: (State.TERMINATED, (*_FAIL, Action.REPORT_TIMEOUT)),
        Event.TRANSPORT_ERROR: (State.TERMINATED, (*_FAIL, Action.REPORT_TRANSPORT_ERROR)),
    },
    State.PROCEEDING: {
        Event.PROVISIONAL: (State.PROCEEDING, (Action.DELIVER,)),
        Event.FINAL: (State.COMPLETED, _FINAL),
        Event.TIMER_E: (State.PROCEEDING, (Action.RETRANSMIT, Action.E_AT_T2)),
        Event.TIMER_F: (State.TERMINATED, (*_FAIL, Action.REPORT_TIMEOUT)),
        Event.TRANSPORT_ERROR: (State.TERMINATED, (*_FAIL, Action.REPORT_TRANSPORT_ERROR)),
    },
    State.COMPLETED: {
        # retransmissions of responses are absorbed: no action
        Event.PROVISIONAL: (State.COMPLETED, ()),
        Event.FINAL: (State.COMPLETED, ()),
        Event.TIMER_K: (State.TERMINATED, ()),
    },
    State.TERMINATED: {
        # late stragglers: the transaction is gone, nothing to do
        Event.PROVISIONAL: (State.TERMINATED, ()),
        Event.FINAL: (State.TERMINATED, ()),
    },
}


class TransactionError(RuntimeError):
    """The caller fed an event the current state does not allow."""


@dataclass(frozen=True)
class Timers:
    """RFC 3261 timer values in seconds (defaults from its table 4)."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    timer_f: float | None = None  # None: 64 * T1

    @property
    def f(self) -> float:
        return 64 * self.t1 if self.timer_f is None else self.timer_f

    def __post_init__(self) -> None:
        if not (0 < self.t1 <= self.t2) or self.t4 < 0 or self.f <= 0:
            raise ValueError(f"bad SIP timers: need 0 < T1 <= T2, T4 >= 0, F > 0 ({self})")


@dataclass(frozen=True)
class Send:
    """Send the request (first time or retransmission)."""

    retransmission: bool


@dataclass(frozen=True)
class Deliver:
    """A response for the transaction user."""

    response: object  # whatever the caller passed to receive()


@dataclass(frozen=True)
class TimedOut:
    """Timer F fired: no final response."""


@dataclass(frozen=True)
class TransportFailed:
    reason: str


Effect = Send | Deliver | TimedOut | TransportFailed


class ClientTransaction:
    """One non-INVITE request over UDP.  See the module docstring for the rules."""

    def __init__(self, timers: Timers | None = None) -> None:
        self.timers = timers or Timers()
        self.state: State | None = None  # None until start()
        self.sends = 0
        self._e_interval = self.timers.t1
        self._deadlines: dict[Event, float] = {}  # armed timers

    def start(self, now: float) -> list[Effect]:
        if self.state is not None:
            raise TransactionError("the transaction was already started")
        self.state = State.TRYING
        self._deadlines = {Event.TIMER_E: now + self.timers.t1, Event.TIMER_F: now + self.timers.f}
        self.sends = 1
        return [Send(retransmission=False)]

    def next_deadline(self) -> float | None:
        """When `advance` next has something to do; None when no timer is armed."""
        return min(self._deadlines.values(), default=None)

    def receive(self, code: int, response: object, now: float) -> list[Effect]:
        """A response (already matched to this transaction by the caller)."""
        if not 100 <= code <= 699:
            raise TransactionError(f"status code {code} is not 100-699")
        return self._fire(Event.PROVISIONAL if code < 200 else Event.FINAL, now, response)

    def transport_error(self, reason: str, now: float) -> list[Effect]:
        return self._fire(Event.TRANSPORT_ERROR, now, reason)

    def advance(self, now: float) -> list[Effect]:
        """Fire every timer whose deadline is <= now, earliest first (F before a
        simultaneous E: giving up wins over one more retransmission)."""
        effects: list[Effect] = []
        while True:
            due = [(t, ev is not Event.TIMER_F, ev.value, ev)
                   for ev, t in self._deadlines.items() if t <= now]
            if not due:
                return effects
            _, _, _, event = min(due)
            at = self._deadlines.pop(event)
            effects += self._fire(event, at, None)

    def _fire(self, event: Event, at: float, payload: object) -> list[Effect]:
        if self.state is None:
            raise TransactionError("the transaction was not started")
        try:
            new_state, actions = TRANSITIONS[self.state][event]
        except KeyError:
            raise TransactionError(f"event {event.name} is not allowed in state "
                                   f"{self.state.name}") from None
        self.state = new_state
        effects: list[Effect] = []
        for action in actions:
            match action:
                case Action.RETRANSMIT:
                    self.sends += 1
                    effects.append(Send(retransmission=True))
                case Action.BACKOFF_E:
                    self._e_interval = min(2 * self._e_interval, self.timers.t2)
                    self._deadlines[Event.TIMER_E] = at + self._e_interval
                case Action.E_AT_T2:
                    self._e_interval = self.timers.t2
                    self._deadlines[Event.TIMER_E] = at + self._e_interval
                case Action.DELIVER:
                    effects.append(Deliver(payload))
                case Action.STOP_E_F:
                    self._deadlines.pop(Event.TIMER_E, None)
                    self._deadlines.pop(Event.TIMER_F, None)
                case Action.START_K:
                    self._deadlines[Event.TIMER_K] = at + self.timers.t4
                case Action.REPORT_TIMEOUT:
                    effects.append(TimedOut())
                case Action.REPORT_TRANSPORT_ERROR:
                    effects.append(TransportFailed(str(payload)))
        return effects
