"""Where each staged rollout stands, kept in the routing log, and every change to it as an event.

One ``rollout_state`` row per (policy name, route). Every change is a compare-and-set on the
revision and step this process last read (``UPDATE ... WHERE revision = :seen AND step = :expected``)
with its event in the same transaction: if another process (the window, ``routedesk serve``, a
CLI call) changed the rollout first, the update matches no row and ``RolloutConflict`` says what
it is now, so two processes advancing at once move it one step, never two. A restart reads the
row back and goes on from there.

Statuses: ``active`` (the share applies; guardrails watch; auto-advance may move it on),
``held`` (a breach held it: the share stays, nothing moves by itself), ``rolled_back`` (share 0),
``complete`` (the last step reached).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from console.core.ledger.rollouts import rollout_event_table, rollout_state_table
from console.core.policy.rollout_schema import Rollout
from console.core.policy.schema import Policy

ACTIVE, HELD, ROLLED_BACK, COMPLETE = "active", "held", "rolled_back", "complete"


class RolloutError(Exception):
    """A rollout cannot do what was asked (unknown route, already at the last step, ...); says why."""


class RolloutConflict(RolloutError):
    """Another process changed the rollout after it was read; ``now`` is where it stands."""

    def __init__(self, message: str, now: "RolloutState | None") -> None:
        super().__init__(message)
        self.now = now


@dataclass(frozen=True)
class RolloutState:
    """One rollout as the log holds it (see ``ledger/rollouts.py`` for the columns)."""

    policy_name: str
    route: str
    candidate: str
    replaces: str
    steps: tuple[float, ...]
    step: int
    share: float
    status: str
    revision: int
    started_ts: float
    step_ts: float
    updated_ts: float

    @property
    def key(self) -> tuple[str, str]:
        return self.policy_name, self.route

    @property
    def next_share(self) -> float | None:
        """The share ``advance`` would set; None at the last step."""
        if self.status == ROLLED_BACK:
            return self.steps[0]
        return self.steps[self.step + 1] if self.step + 1 < len(self.steps) else None

    def describe(self) -> str:
        where = f"step {self.step + 1} of {len(self.steps)}"
        if self.status == ROLLED_BACK:
            return f"rolled back at {where}: 0% on {self.candidate}"
        return f"{self.status}, {where}: {self.share:g}% on {self.candidate} in place of {self.replaces}"


@dataclass(frozen=True)
class RolloutEvent:
    ts: float
    policy_name: str
    route: str
    action: str
    step: int
    share: float
    by: str
    detail: dict[str, Any]


def _state(row: Any) -> RolloutState:  # a RowMapping
    return RolloutState(
        row["policy_name"], row["route"], row["candidate"], row["replaces"], tuple(json.loads(row["steps_json"])),
        row["step"], row["share"], row["status"], row["revision"], row["started_ts"], row["step_ts"], row["updated_ts"])


def read_states(db: Engine, policy_name: str | None = None) -> dict[tuple[str, str], RolloutState]:
    table = rollout_state_table()
    stmt = select(table)
    if policy_name is not None:
        stmt = stmt.where(table.c.policy_name == policy_name)
    with db.connect() as conn:
        return {(s.policy_name, s.route): s for s in (_state(r._mapping) for r in conn.execute(stmt))}


def read_state(db: Engine, policy_name: str, route: str) -> RolloutState | None:
    table = rollout_state_table()
    with db.connect() as conn:
        row = conn.execute(select(table).where(table.c.policy_name == policy_name, table.c.route == route)).first()
    return _state(row._mapping) if row is not None else None


def read_events(db: Engine, policy_name: str, route: str, limit: int = 1000) -> list[RolloutEvent]:
    """The rollout's events, oldest first (the last ``limit``)."""
    table = rollout_event_table()
    stmt = (select(table).where(table.c.policy_name == policy_name, table.c.route == route)
            .order_by(table.c.id.desc()).limit(limit))
    with db.connect() as conn:
        rows = conn.execute(stmt).all()
    return [RolloutEvent(r.ts, r.policy_name, r.route, r.action, r.step, r.share, r.by, json.loads(r.detail_json))
            for r in reversed(rows)]


def _event(policy_name: str, route: str, action: str, step: int, share: float, by: str, detail: Mapping[str, Any],
           now: float) -> dict[str, Any]:
    return {"ts": now, "policy_name": policy_name, "route": route, "action": action, "step": step, "share": share,
            "by": by, "detail_json": json.dumps(dict(detail), sort_keys=True)}


def start(db: Engine, policy_name: str, route: str, rollout: Rollout, *, by: str, now: float | None = None) -> RolloutState:
    """The rollout's state, created at its first step when the log has none (another process may
    create it at the same moment: then its row is read back)."""
    now = time.time() if now is None else now
    found = read_state(db, policy_name, route)
    if found is not None:
        return found
    row = {"policy_name": policy_name, "route": route, "candidate": rollout.candidate, "replaces": rollout.replaces,
           "steps_json": json.dumps(rollout.steps), "step": 0, "share": rollout.steps[0], "status": ACTIVE,
           "revision": 0, "started_ts": now, "step_ts": now, "updated_ts": now}
    try:
        with db.begin() as conn:
            conn.execute(insert(rollout_state_table()), row)
            conn.execute(insert(rollout_event_table()), _event(
                policy_name, route, "start", 0, rollout.steps[0], by,
                {"candidate": rollout.candidate, "replaces": rollout.replaces, "steps": rollout.steps}, now))
    except IntegrityError:  # started by another process meanwhile
        pass
    found = read_state(db, policy_name, route)
    assert found is not None
    return found


def change(db: Engine, seen: RolloutState, *, action: str, step: int, share: float, status: str, by: str,
           detail: Mapping[str, Any] | None = None, now: float | None = None, new_step: bool = True,
           steps: tuple[float, ...] | None = None, candidate: str | None = None,
           replaces: str | None = None) -> RolloutState:
    """Compare-and-set: move ``seen`` to (step, share, status) if nobody changed it since it was read."""
    now = time.time() if now is None else now
    table = rollout_state_table()
    values: dict[str, Any] = {"step": step, "share": share, "status": status, "revision": seen.revision + 1,
                              "updated_ts": now}
    if new_step:
        values["step_ts"] = now  # the guardrails and auto-advance count from here
    if steps is not None:
        values["steps_json"] = json.dumps(list(steps))
    if candidate is not None and replaces is not None:
        values |= {"candidate": candidate, "replaces": replaces, "started_ts": now}
    with db.begin() as conn:
        changed = conn.execute(update(table).where(
            table.c.policy_name == seen.policy_name, table.c.route == seen.route,
            table.c.revision == seen.revision, table.c.step == seen.step).values(values)).rowcount
        if changed == 1:
            conn.execute(insert(rollout_event_table()), _event(
                seen.policy_name, seen.route, action, step, share, by, detail or {}, now))
    if changed != 1:
        now_state = read_state(db, seen.policy_name, seen.route)
        raise RolloutConflict(
            f"the rollout of '{seen.route}' was changed by another process meanwhile; it is now "
            + (now_state.describe() if now_state else "gone"), now_state)
    found = read_state(db, seen.policy_name, seen.route)
    assert found is not None
    return found


def advance(db: Engine, seen: RolloutState, *, by: str, detail: Mapping[str, Any] | None = None,
            now: float | None = None) -> RolloutState:
    """One step on (a rolled-back rollout starts again at its first step); never more than one."""
    if seen.status == ROLLED_BACK:
        return change(db, seen, action="resume", step=0, share=seen.steps[0], status=ACTIVE, by=by, detail=detail,
                      now=now)
    to = seen.step + 1
    if to >= len(seen.steps):
        raise RolloutError(f"the rollout of '{seen.route}' is at its last step ({seen.share:g}%): nothing to advance to")
    status = COMPLETE if to == len(seen.steps) - 1 else ACTIVE
    return change(db, seen, action="advance", step=to, share=seen.steps[to], status=status, by=by, detail=detail,
                  now=now)


def rollback(db: Engine, seen: RolloutState, *, by: str, detail: Mapping[str, Any] | None = None,
             now: float | None = None, action: str = "rollback") -> RolloutState:
    """Share 0: every request of the route back on the model it replaces."""
    if seen.status == ROLLED_BACK:
        raise RolloutError(f"the rollout of '{seen.route}' is already rolled back")
    # The step's clock stays: the guardrails still show the period that led to the rollback.
    return change(db, seen, action=action, step=seen.step, share=0.0, status=ROLLED_BACK, by=by, detail=detail,
                  now=now, new_step=False)


def hold(db: Engine, seen: RolloutState, *, by: str, detail: Mapping[str, Any] | None = None,
         now: float | None = None, action: str = "hold") -> RolloutState:
    """Keep the share; nothing advances by itself until someone advances or rolls back."""
    return change(db, seen, action=action, step=seen.step, share=seen.share, status=HELD, by=by, detail=detail,
                  now=now, new_step=False)


def sync_with_policy(db: Engine, policy: Policy, *, by: str, now: float | None = None) -> dict[str, RolloutState]:
    """Start the rollouts ``policy`` declares and the log lacks; a rollout whose candidate or
    replaced model changed in the policy starts again from its first step (its steps are taken
    as the policy now says). Returns the policy's rollouts by route."""
    out: dict[str, RolloutState] = {}
    for route, spec in policy.routes.items():
        rollout = spec.rollout
        if rollout is None:
            continue
        state = start(db, policy.name, route, rollout, by=by, now=now)
        if (state.candidate, state.replaces) != (rollout.candidate, rollout.replaces):
            state = change(db, state, action="restart", step=0, share=rollout.steps[0], status=ACTIVE, by=by,
                           detail={"candidate": rollout.candidate, "replaces": rollout.replaces,
                                   "was": f"{state.candidate} in place of {state.replaces}"},
                           now=now, steps=tuple(rollout.steps), candidate=rollout.candidate, replaces=rollout.replaces)
        elif state.steps != tuple(rollout.steps):
            step = min(state.step, len(rollout.steps) - 1)
            share = 0.0 if state.status == ROLLED_BACK else rollout.steps[step]
            state = change(db, state, action="steps", step=step, share=share, status=state.status, by=by,
                           detail={"steps": rollout.steps}, now=now, new_step=False, steps=tuple(rollout.steps))
        out[route] = state
    return out
