"""One process's staged rollouts: the state in the log, the shares its engines read, the checks.

``Rollouts`` is what the Workspace holds and the app API calls: ``status`` (where each rollout
stands and what its guardrails say now), ``advance`` and ``rollback`` (compare-and-set changes
in the log), ``evaluate`` (the guardrails, acting on a breach and auto-advancing) and ``watch``
(``evaluate`` on each rollout's ``evaluate_every``, in the serving process). Every change this
process makes, and every state it reads, updates the shares its engines split by at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from sqlalchemy import Engine

from console.core.policy.rollout_schema import AutoAdvance, Rollout, duration_seconds
from console.core.policy.schema import Policy
from console.core.rollout import state as store
from console.core.rollout.arms import arm_traffic, requests_since
from console.core.rollout.guardrails import BREACH, GuardrailCheck, evaluate
from console.core.rollout.shares import RolloutShares
from console.core.rollout.split import BASELINE, CANDIDATE
from console.core.rollout.state import ACTIVE, RolloutConflict, RolloutError, RolloutEvent, RolloutState

log = logging.getLogger(__name__)

#: How often ``watch`` reads the rollouts' state from the log (another process may have changed it).
TICK_S = 1.0


@dataclass(frozen=True)
class RolloutStatus:
    """A rollout now: its state, its settings, its guardrails over ``period`` and what was done.

    Attributes:
        state: where it stands in the log.
        rollout: its settings in the policy.
        checks: each guardrail's verdict over ``period`` (epoch seconds, since → until).
        action: what ``evaluate`` did: "", "rollback", "hold" or "advance".
    """

    state: RolloutState
    rollout: Rollout
    checks: list[GuardrailCheck]
    period: tuple[float, float]
    action: str = ""
    events: list[RolloutEvent] = field(default_factory=list)

    @property
    def breached(self) -> list[GuardrailCheck]:
        return [c for c in self.checks if c.status == BREACH]

    def lines(self) -> list[str]:
        """What ``routedesk rollout status`` prints for it."""
        s = self.state
        out = [f"{s.route}: {s.describe()}", f"  steps: {', '.join(f'{x:g}%' for x in s.steps)}; "
               f"sticky by {self.rollout.sticky_by}; advance: {_advance_text(self.rollout)}; "
               f"on breach: {self.rollout.on_breach}"]
        seconds = self.period[1] - self.period[0]
        out.append(f"  guardrails over the last {seconds / 60:.1f} min of this step:")
        out.extend(f"    {c.sentence()}" for c in self.checks)
        if self.action:
            out.append(f"  now: {self.action}")
        for event in self.events[-5:]:
            out.append(f"  {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(event.ts))} UTC  {event.action} → "
                       f"{event.share:g}% ({event.by})" + (_breach_text(event) if event.detail.get("breached") else ""))
        return out


def _advance_text(rollout: Rollout) -> str:
    a = rollout.advance
    return a if isinstance(a, str) else f"after {a.after} with {a.min_requests} requests per arm"


def _breach_text(event: RolloutEvent) -> str:
    return ": " + "; ".join(
        f"{b['name']} B−A {b['estimate']:+.4f} [{b['lower']:+.4f}, {b['upper']:+.4f}] > margin {b['margin']:g}"
        for b in event.detail["breached"] if b.get("estimate") is not None and b.get("lower") is not None
        and b.get("upper") is not None)


class Rollouts:
    """The rollouts of one process.

    Attributes:
        shares: what this process's engines split by (refreshed from the log).
    """

    def __init__(self, db: Callable[[], Engine | None], *, shares: RolloutShares | None = None,
                 flush: Callable[[], None] | None = None, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self.shares = shares if shares is not None else RolloutShares()
        self._flush = flush
        self._clock = clock
        self._last_check: dict[tuple[str, str], float] = {}
        self._watching = False

    def _log(self) -> Engine:
        db = self._db()
        if db is None:
            raise RolloutError("rollouts live in the routing log, and there is none (--no-log, or it cannot be opened)")
        return db

    # --- state ------------------------------------------------------------------------------

    def sync(self, policy: Policy, *, by: str = "policy") -> dict[str, RolloutState]:
        """Start the policy's rollouts that the log lacks; the shares follow the log."""
        if not any(r.rollout for r in policy.routes.values()):
            return {}
        db = self._log()
        try:
            states = store.sync_with_policy(db, policy, by=by, now=self._clock())
        except RolloutConflict:  # another process synced the same change at the same moment
            states = store.sync_with_policy(db, policy, by=by, now=self._clock())
        self.refresh()
        return states

    def refresh(self) -> None:
        """Read every rollout's share from the log (what another process did shows here now)."""
        db = self._db()
        if db is None:
            return
        self.shares.replace((key, s.share) for key, s in store.read_states(db).items())

    def _spec(self, policy: Policy, route: str) -> Rollout:
        spec = policy.routes.get(route)
        if spec is None or spec.rollout is None:
            names = [n for n, r in policy.routes.items() if r.rollout]
            raise RolloutError(f"route '{route}' of policy '{policy.name}' has no rollout; routes in rollout: "
                               + (", ".join(names) if names else "none"))
        return spec.rollout

    def _current(self, policy: Policy, route: str) -> RolloutState:
        self._spec(policy, route)
        state = self.sync(policy).get(route)
        assert state is not None
        return state

    def advance(self, policy: Policy, route: str, *, by: str, expected_step: int | None = None) -> RolloutState:
        """One step on; ``expected_step`` (0-based) refuses if the rollout is no longer there."""
        state = self._current(policy, route)
        if expected_step is not None and state.step != expected_step:
            raise RolloutConflict(f"the rollout of '{route}' is at step {state.step + 1}, not {expected_step + 1}", state)
        try:
            return store.advance(self._log(), state, by=by, now=self._clock())
        finally:
            self.refresh()

    def rollback(self, policy: Policy, route: str, *, by: str) -> RolloutState:
        state = self._current(policy, route)
        try:
            return store.rollback(self._log(), state, by=by, detail={"reason": f"rolled back by {by}"}, now=self._clock())
        finally:
            self.refresh()

    def history(self, policy: Policy, route: str) -> list[RolloutEvent]:
        self._spec(policy, route)
        return store.read_events(self._log(), policy.name, route)

    # --- the guardrails ---------------------------------------------------------------------

    def status(self, policy: Policy, route: str | None = None, *, act: bool = False, by: str = "guardrail") -> list[RolloutStatus]:
        """Each rollout of ``policy`` (or just ``route``) with its guardrails over the step so far.

        ``act``: a breach rolls back or holds (as configured) and a rollout due to advance
        advances — what the periodic check does. Without it nothing changes."""
        routes = [route] if route is not None else [n for n, r in policy.routes.items() if r.rollout]
        for name in routes:
            self._spec(policy, name)
        if self._flush is not None:
            self._flush()  # this process's requests are in the log before it is read
        states = self.sync(policy)
        db = self._log()
        out = []
        for name in routes:
            out.append(self._judge(db, policy, states[name], act, by))
        if act:
            self.refresh()
        return out

    def _judge(self, db: Engine, policy: Policy, state: RolloutState, act: bool, by: str) -> RolloutStatus:
        rollout = self._spec(policy, state.route)
        now = self._clock()
        since = max(state.step_ts, now - duration_seconds(rollout.guardrails.window))
        period = (since, now)
        checks = evaluate(rollout.guardrails, arm_traffic(db, policy.name, state.route, since, now + 1))
        action = ""
        if act:
            self._last_check[state.key] = now
        if act and state.status == ACTIVE:
            breached = [c for c in checks if c.status == BREACH]
            try:
                if breached:
                    detail = {"breached": [c.as_dict() for c in breached], "checks": [c.as_dict() for c in checks],
                              "period": list(period)}
                    change = store.rollback if rollout.on_breach == "rollback" else store.hold
                    state = change(db, state, by=by, detail=detail, now=now)
                    action = rollout.on_breach
                    log.warning("rollout of '%s' %s: %s", state.route, "rolled back" if action == "rollback" else "held",
                                "; ".join(c.sentence() for c in breached))
                elif self._due(db, policy.name, state, rollout.advance, now):
                    state = store.advance(db, state, by="auto-advance",
                                          detail={"checks": [c.as_dict() for c in checks], "period": list(period)},
                                          now=now)
                    action = "advance"
            except RolloutConflict as conflict:  # another process acted first: its state stands
                state = conflict.now or state
        return RolloutStatus(state, rollout, checks, period, action, store.read_events(db, policy.name, state.route))

    @staticmethod
    def _due(db: Engine, policy_name: str, state: RolloutState, advance: object, now: float) -> bool:
        if not isinstance(advance, AutoAdvance) or state.next_share is None:
            return False
        if now - state.step_ts < duration_seconds(advance.after):
            return False
        counts = requests_since(db, policy_name, state.route, state.step_ts)
        return min(counts.get(BASELINE, 0), counts.get(CANDIDATE, 0)) >= advance.min_requests

    def due(self, policy: Policy) -> list[str]:
        """Routes whose ``evaluate_every`` has passed since this process last checked them."""
        now = self._clock()
        return [name for name, r in policy.routes.items() if r.rollout is not None and now - self._last_check.get(
            (policy.name, name), 0.0) >= duration_seconds(r.rollout.guardrails.evaluate_every)]

    async def watch(self, policies: Callable[[], Iterable[Policy]], *, tick_s: float = TICK_S) -> None:
        """Until cancelled: read the shares every ``tick_s``; check each rollout when it is due.

        Runs once per process (a second call returns at once); the log is read off the event loop."""
        if self._watching:
            return
        self._watching = True
        try:
            while True:
                try:
                    await asyncio.to_thread(self._tick, list(policies()))
                except RolloutError:
                    pass  # no log: nothing to watch (said where the log's health is shown)
                except Exception:  # noqa: BLE001 - a failed check must not stop the next one
                    log.exception("checking the rollouts failed; trying again in %.0f s", tick_s)
                await asyncio.sleep(tick_s)
        finally:
            self._watching = False

    def _tick(self, policies: list[Policy]) -> None:
        if not any(route.rollout for policy in policies for route in policy.routes.values()):
            return  # nothing in rollout: the log is not read at all
        for policy in policies:
            due = self.due(policy)
            for route in due:
                self.status(policy, route, act=True)
        self.refresh()
