"""The RFC 3261 17.1.2 state machine, driven by hand with a fake clock."""

from __future__ import annotations

import pytest
from provhost.sip.transaction import (
    TRANSITIONS,
    ClientTransaction,
    Deliver,
    Event,
    Send,
    State,
    TimedOut,
    Timers,
    TransactionError,
    TransportFailed,
)


def run_until_silent(tx: ClientTransaction, until: float) -> list[tuple[float, object]]:
    """Advance the clock from deadline to deadline, collecting (time, effect)."""
    log: list[tuple[float, object]] = []
    while (deadline := tx.next_deadline()) is not None and deadline <= until:
        log += [(deadline, effect) for effect in tx.advance(deadline)]
    return log


def test_retransmission_schedule_and_timer_f_with_default_timers() -> None:
    tx = ClientTransaction()
    assert tx.start(0.0) == [Send(retransmission=False)]
    assert tx.state is State.TRYING
    log = run_until_silent(tx, 100)
    sends = [t for t, e in log if e == Send(retransmission=True)]
    # E doubles from T1 = 0.5 up to T2 = 4, then stays at 4; F = 64 * T1 = 32 s
    assert sends == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert log[-1] == (32.0, TimedOut())
    assert tx.state is State.TERMINATED
    assert tx.next_deadline() is None
    assert tx.sends == 11


def test_timer_f_wins_over_a_simultaneous_timer_e() -> None:
    tx = ClientTransaction(Timers(t1=1.0, t2=1.0, timer_f=3.0))  # E at 1, 2, 3; F at 3
    tx.start(0.0)
    log = run_until_silent(tx, 10)
    assert [t for t, e in log if isinstance(e, Send)] == [1.0, 2.0]
    assert log[-1] == (3.0, TimedOut())


def test_late_advance_fires_every_due_timer_in_order() -> None:
    tx = ClientTransaction(Timers(t1=0.5))
    tx.start(0.0)
    effects = tx.advance(3.6)  # E due at 0.5, 1.5 and 3.5, all late
    assert effects == [Send(True)] * 3
    assert tx.next_deadline() == 7.5  # the schedule does not drift with the caller


def test_provisional_moves_to_proceeding_and_retransmits_at_t2() -> None:
    tx = ClientTransaction()
    tx.start(0.0)
    assert tx.receive(100, "trying", 0.1) == [Deliver("trying")]
    assert tx.state is State.PROCEEDING
    log = run_until_silent(tx, 18)
    sends = [t for t, e in log if isinstance(e, Send)]
    assert sends == [0.5, 4.5, 8.5, 12.5, 16.5]  # E armed at T1 fires, then every T2
    assert tx.state is State.PROCEEDING
    log = run_until_silent(tx, 100)
    assert log[-1] == (32.0, TimedOut())  # F still counts from the start


def test_final_response_completes_then_timer_k_terminates() -> None:
    tx = ClientTransaction(Timers(t4=5.0))
    tx.start(0.0)
    tx.advance(0.5)
    assert tx.receive(200, "ok", 0.7) == [Deliver("ok")]
    assert tx.state is State.COMPLETED
    assert tx.next_deadline() == 5.7  # only K is armed: no more retransmissions
    assert tx.receive(200, "ok again", 1.0) == []  # absorbed
    assert tx.receive(180, "late", 1.1) == []
    assert tx.advance(5.7) == []
    assert tx.state is State.TERMINATED
    assert tx.receive(200, "straggler", 9.0) == []


@pytest.mark.parametrize("code", [300, 401, 403, 486, 503, 699])
def test_any_final_code_completes(code: int) -> None:
    tx = ClientTransaction()
    tx.start(0.0)
    tx.receive(180, "ringing", 0.1)
    assert tx.receive(code, "final", 0.2) == [Deliver("final")]
    assert tx.state is State.COMPLETED


def test_transport_error_terminates_at_once() -> None:
    tx = ClientTransaction()
    tx.start(0.0)
    assert tx.transport_error("network unreachable", 0.0) == [
        TransportFailed("network unreachable")]
    assert tx.state is State.TERMINATED
    assert tx.next_deadline() is None


def test_events_the_table_forbids_raise() -> None:
    tx = ClientTransaction()
    with pytest.raises(TransactionError, match="not started"):
        tx.receive(200, None, 0.0)
    tx.start(0.0)
    with pytest.raises(TransactionError, match="already started"):
        tx.start(1.0)
    with pytest.raises(TransactionError, match="100-699"):
        tx.receive(700, None, 0.0)
    tx.receive(200, None, 0.0)
    with pytest.raises(TransactionError, match="TRANSPORT_ERROR is not allowed in state COMPLETED"):
        tx.transport_error("late", 1.0)


def test_table_shape() -> None:
    """Every live state handles every response and timer F; Completed only ever waits for
    K; Terminated has no timers and no way out."""
    for state in (State.TRYING, State.PROCEEDING):
        assert set(TRANSITIONS[state]) == {Event.PROVISIONAL, Event.FINAL, Event.TIMER_E,
                                           Event.TIMER_F, Event.TRANSPORT_ERROR}
        assert TRANSITIONS[state][Event.FINAL][0] is State.COMPLETED
        assert TRANSITIONS[state][Event.TIMER_F][0] is State.TERMINATED
    assert TRANSITIONS[State.COMPLETED][Event.TIMER_K][0] is State.TERMINATED
    assert all(target is State.TERMINATED for target, _ in TRANSITIONS[State.TERMINATED].values())


@pytest.mark.parametrize("kwargs", [{"t1": 0}, {"t1": 5, "t2": 4}, {"t4": -1}, {"timer_f": 0}])
def test_bad_timers_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="bad SIP timers"):
        Timers(**kwargs)
