"""The upgrade as a pure, table-driven state machine (no I/O here; upgrade.py does it).

Forward, one step per row, each reaching the state named in the row:

    state        step (forward action)                    undo (rollback action)    if killed
    fetched      download, verify, unpack, make venv      remove the new release     roll back
    confirmed    show versions, ask (or --yes)            -                          roll back
    pre-scripts  run pre-upgrade.d/* (old CLI on PATH)    -                          roll back
    installed    worker and php.wasm (reused by hash)     -                          roll back
    snapshotted  SQLite online backup of the store        -                          roll back
    drained      SIGTERM the old server, wait for it      start the old server       roll back
    migrated     apply the new release's migrations       restore the snapshot       roll back
    switched     point `current` at the new release       point it back              roll back
    post-scripts run post-upgrade.d/* (new CLI on PATH)   -                          roll back
    restarted    start the new server                     stop the new server        roll back
    healthy      HTTP, TFTP and API answer, new version   -                          complete

Rollback undoes, newest first, every step that completed *and the one in progress* (a
kill -9 may have stopped it half-way), so every undo is idempotent.  The rows' order makes
the undo order right: stop new server, switch back, restore the snapshot, start the old
server, remove the new release.  A step before `snapshotted` failing means nothing was
changed; the outcome is then "aborted", else "rolled-back".

A journal (dataclass `Journal`) is the whole state; `next_action` says what to do next and
`completed`/`failed`/`undone`/`interrupted` return the journal after an event.  The driver
persists the journal after every event, so a killed upgrader is resumed from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

STEPS: tuple[tuple[str, str, str | None, Literal["rollback", "complete"]], ...] = (
    # (state reached, forward action, undo action, what to do when found interrupted)
    ("fetched", "fetch", "remove_release", "rollback"),
    ("confirmed", "confirm", None, "rollback"),
    ("pre-scripts", "pre_scripts", None, "rollback"),
    ("installed", "install", None, "rollback"),
    ("snapshotted", "snapshot", None, "rollback"),
    ("drained", "drain", "start_old", "rollback"),
    ("migrated", "migrate", "restore_snapshot", "rollback"),
    ("switched", "switch", "switch_back", "rollback"),
    ("post-scripts", "post_scripts", None, "rollback"),
    ("restarted", "restart", "stop_new", "rollback"),
    ("healthy", "health", None, "complete"),
)
STATES = tuple(row[0] for row in STEPS)
_ROW = {row[0]: row for row in STEPS}
FIRST_CHANGE = "snapshotted"  # a failure before this state changed nothing

Phase = Literal["forward", "rollback", "done", "rolled-back", "aborted", "failed"]
TERMINAL: tuple[str, ...] = ("done", "rolled-back", "aborted", "failed")


@dataclass(frozen=True)
class Journal:
    id: str
    from_version: str
    to_version: str
    phase: Phase = "forward"
    done: tuple[str, ...] = ()  # states reached, in order
    attempting: str | None = None  # the state whose step is running (None: between steps)
    undone: tuple[str, ...] = ()  # states whose undo completed
    error: str = ""
    data: dict[str, str] = field(default_factory=dict)  # paths, ports: what the driver needs

    def to_json(self) -> dict[str, object]:
        d = dataclasses.asdict(self)
        d["done"], d["undone"] = list(self.done), list(self.undone)
        return d

    @classmethod
    def from_json(cls, d: dict[str, object]) -> Journal:
        phase = str(d.get("phase", "forward"))
        if phase not in ("forward", "rollback", *TERMINAL):
            raise ValueError(f"unknown phase {phase!r}")
        done = tuple(str(s) for s in d.get("done", []))  # type: ignore[union-attr]
        undone = tuple(str(s) for s in d.get("undone", []))  # type: ignore[union-attr]
        attempting = d.get("attempting")
        for s in (*done, *undone, *([attempting] if attempting else [])):
            if s not in _ROW:
                raise ValueError(f"unknown state {s!r}")
        raw = d.get("data", {})
        return cls(id=str(d["id"]), from_version=str(d["from_version"]),
                   to_version=str(d["to_version"]), phase=phase,  # type: ignore[arg-type]
                   done=done, attempting=str(attempting) if attempting else None,
                   undone=undone, error=str(d.get("error", "")),
                   data={str(k): str(v) for k, v in raw.items()}  # type: ignore[union-attr]
                   if isinstance(raw, dict) else {})


@dataclass(frozen=True)
class Action:
    kind: Literal["do", "undo", "finish"]
    state: str  # the state the step reaches (do), the state to undo (undo), or the outcome
    action: str  # the driver's function name ("" for finish)


def next_action(j: Journal) -> Action:
    """What the driver does next, from the journal alone."""
    if j.phase in TERMINAL:
        return Action("finish", j.phase, "")
    if j.phase == "forward":
        if len(j.done) == len(STEPS):
            return Action("finish", "done", "")
        state, action, _undo, _ = STEPS[len(j.done)]
        return Action("do", state, action)
    for state in reversed(_to_undo(j)):
        if state not in j.undone:
            undo = _ROW[state][2]
            assert undo is not None
            return Action("undo", state, undo)
    return Action("finish", "aborted" if FIRST_CHANGE not in j.done else "rolled-back", "")


def _to_undo(j: Journal) -> list[str]:
    """States with an undo that were reached or were in progress, in forward order."""
    touched = list(j.done) + ([j.attempting] if j.attempting and j.attempting not in j.done
                              else [])
    return [s for s in STATES if s in touched and _ROW[s][2] is not None]


def starting(j: Journal, state: str) -> Journal:
    """The step reaching `state` is about to run (persist this before running it)."""
    _expect(j, "forward")
    if STATES[len(j.done)] != state:
        raise ValueError(f"out of order: {state} after {j.done}")
    return dataclasses.replace(j, attempting=state)


def completed(j: Journal, state: str) -> Journal:
    _expect(j, "forward")
    if j.attempting != state:
        raise ValueError(f"{state} completed but {j.attempting} was running")
    done = (*j.done, state)
    phase: Phase = "done" if len(done) == len(STEPS) else "forward"
    return dataclasses.replace(j, done=done, attempting=None, phase=phase)


def failed(j: Journal, state: str, error: str) -> Journal:
    """A forward step failed: roll back (the failing step counts as in progress)."""
    _expect(j, "forward")
    return dataclasses.replace(j, phase="rollback", attempting=state,
                               error=f"{state}: {error}")


def undone(j: Journal, state: str) -> Journal:
    _expect(j, "rollback")
    return dataclasses.replace(j, undone=(*j.undone, state))


def undo_failed(j: Journal, state: str, error: str) -> Journal:
    """An undo failed: stop and say so; an administrator must look (nothing is guessed)."""
    _expect(j, "rollback")
    return dataclasses.replace(j, phase="failed",
                               error=f"{j.error}; rollback of {state} failed: {error}")


def finished(j: Journal, outcome: str) -> Journal:
    if outcome not in TERMINAL:
        raise ValueError(f"not an outcome: {outcome}")
    return dataclasses.replace(j, phase=outcome)  # type: ignore[arg-type]


def interrupted(j: Journal) -> Journal:
    """The journal of an upgrader that died (kill -9, power loss): complete or roll back.

    Only the final health check is completed (everything else is in place); any earlier
    interruption rolls back, so that a half-done step never stays half-done.  A rollback
    that stopped on a failed undo is retried from that undo."""
    if j.phase == "failed":  # an undo failed; the administrator fixed it: retry the rest
        return dataclasses.replace(j, phase="rollback")
    if j.phase != "forward":
        return j  # a rollback in progress simply continues
    state = j.attempting or (STATES[len(j.done)] if len(j.done) < len(STEPS) else None)
    if state is None:
        return dataclasses.replace(j, phase="done")
    if _ROW[state][3] == "complete":
        return dataclasses.replace(j, attempting=None)
    return dataclasses.replace(j, phase="rollback", attempting=state,
                               error=f"{state}: the upgrader was interrupted (killed?) "
                                     "during this step")


def _expect(j: Journal, phase: str) -> None:
    if j.phase != phase:
        raise ValueError(f"journal is {j.phase}, not {phase}")
