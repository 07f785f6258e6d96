"""The upgrade state machine alone (pure): order, rollback order, kill -9 at every step."""

from __future__ import annotations

import pytest
from provhost.release import machine
from provhost.release.machine import Journal


def _j() -> Journal:
    return Journal(id="t", from_version="1.0", to_version="2.0")


def _run_forward(j: Journal, until: str | None = None) -> Journal:
    while True:
        act = machine.next_action(j)
        if act.kind != "do" or act.state == until:
            return j
        j = machine.completed(machine.starting(j, act.state), act.state)


def _rollback_actions(j: Journal) -> list[str]:
    out = []
    while (act := machine.next_action(j)).kind == "undo":
        out.append(act.action)
        j = machine.undone(j, act.state)
    assert act.kind == "finish"
    out.append(act.state)
    return out


def test_forward_runs_every_state_in_the_table_order() -> None:
    j = _run_forward(_j())
    assert j.done == machine.STATES
    assert machine.next_action(j) == machine.Action("finish", "done", "")


def test_failure_before_the_snapshot_is_an_abort_that_removes_the_new_release() -> None:
    j = _run_forward(_j(), until="pre-scripts")
    j = machine.failed(machine.starting(j, "pre-scripts"), "pre-scripts", "exit 3")
    assert _rollback_actions(j) == ["remove_release", "aborted"]


def test_failing_health_check_undoes_everything_newest_first() -> None:
    j = _run_forward(_j(), until="healthy")
    j = machine.failed(machine.starting(j, "healthy"), "healthy", "no answer")
    assert _rollback_actions(j) == ["stop_new", "switch_back", "restore_snapshot",
                                    "start_old", "remove_release", "rolled-back"]
    assert j.error == "healthy: no answer"


def test_a_step_in_progress_is_undone_too() -> None:
    """Killed during the migration: the store may be half-migrated, so it is restored."""
    j = _run_forward(_j(), until="migrated")
    j = machine.interrupted(machine.starting(j, "migrated"))
    assert j.phase == "rollback"
    assert _rollback_actions(j) == ["restore_snapshot", "start_old", "remove_release",
                                    "rolled-back"]


@pytest.mark.parametrize("state", machine.STATES)
@pytest.mark.parametrize("between", [False, True])
def test_kill_at_any_point_is_completed_or_rolled_back(state: str, between: bool) -> None:
    """kill -9 while `state` runs (or just before it started): the journal, reloaded, ends
    in done or rolled-back/aborted, and only the last health check is completed."""
    j = _run_forward(_j(), until=state)
    if not between:
        j = machine.starting(j, state)
    j = Journal.from_json(j.to_json())  # what the next upgrader reads back
    j = machine.interrupted(j)
    if state == "healthy":
        assert j.phase == "forward" and machine.next_action(j).state == "healthy"
        return
    actions = _rollback_actions(j)
    assert actions[-1] == ("aborted" if state in ("fetched", "confirmed", "pre-scripts",
                                                  "installed", "snapshotted")
                           else "rolled-back")
    assert actions[-2] == "remove_release"
    if "migrated" in j.done or j.attempting == "migrated":
        assert "restore_snapshot" in actions


def test_undo_failure_stops_for_the_administrator() -> None:
    j = _run_forward(_j(), until="post-scripts")
    j = machine.failed(machine.starting(j, "post-scripts"), "post-scripts", "exit 1")
    j = machine.undo_failed(j, "switched", "permission denied")
    assert machine.next_action(j) == machine.Action("finish", "failed", "")
    assert "rollback of switched failed" in j.error
    retried = machine.interrupted(Journal.from_json(j.to_json()))  # upgrade --resume
    assert machine.next_action(retried) == machine.Action("undo", "switched", "switch_back")


def test_journal_refuses_unknown_states() -> None:
    bad = {**_j().to_json(), "done": ["fetched", "teleported"]}
    with pytest.raises(ValueError):
        Journal.from_json(bad)
