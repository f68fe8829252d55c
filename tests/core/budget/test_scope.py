"""What a budget covers: the in-memory match (planner, tracker) and the log's filters (burn, dashboard) agree."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from console.core.budget.burn import budget_burn, projected_spend, scope_filters
from console.core.budget.period import period_bounds
from console.core.budget.scope import scope_covers
from console.core.ledger.bulk import write_records
from console.core.ledger.store import open_ledger
from console.core.ledger.traffic import MODELS, TASKS, TEAMS, generate
from console.core.policy.schema import Budget, BudgetScope
from console.core.records import RequestRecord

END = datetime(2026, 11, 29, 15, 20, tzinfo=timezone.utc).timestamp()
PROVIDERS = sorted({model.provider for model in MODELS.values()})

calls = st.fixed_dictionaries({
    "task": st.sampled_from(sorted(TASKS)),
    "team": st.one_of(st.none(), st.sampled_from(TEAMS)),
    "provider": st.sampled_from(PROVIDERS),
    "model": st.sampled_from(sorted(MODELS)),
})
scopes = st.builds(
    BudgetScope,
    task=st.one_of(st.none(), st.sampled_from(sorted(TASKS))),
    team=st.one_of(st.none(), st.sampled_from(TEAMS)),
    provider=st.one_of(st.none(), st.sampled_from(PROVIDERS)),
    model=st.one_of(st.none(), st.sampled_from(sorted(MODELS))),
)
FIELDS = ("task", "team", "provider", "model")


@given(calls)
def test_an_unscoped_budget_covers_every_call(call: dict[str, str | None]) -> None:
    assert scope_covers(BudgetScope(), **call)


@given(calls, st.sets(st.sampled_from(FIELDS)))
def test_a_scope_cut_from_the_call_covers_it(call: dict[str, str | None], fields: set[str]) -> None:
    scope = BudgetScope(**{f: call[f] for f in fields})
    assert scope_covers(scope, **call)


@given(calls, scopes, st.sampled_from(FIELDS))
def test_one_differing_scoped_field_uncovers(call: dict[str, str | None], scope: BudgetScope, field: str) -> None:
    if getattr(scope, field) is None or getattr(scope, field) == call[field]:
        return  # this field does not differ: nothing to say about it
    assert not scope_covers(scope, **call)


@given(scopes)
def test_the_log_filters_carry_the_scope(scope: BudgetScope) -> None:
    filters = scope_filters(scope, since=1.0, until=2.0, kind="production")
    assert (filters.task, filters.team, filters.provider, filters.model) == (scope.task, scope.team,
                                                                           scope.provider, scope.model)
    assert (filters.since, filters.until, filters.kind, filters.policy) == (1.0, 2.0, "production", None)


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, list[RequestRecord]]]:
    path: Path = tmp_path_factory.mktemp("budget") / "log.sqlite3"
    records = list(generate(1500, days=40, seed=5, end=END))
    db = open_ledger(f"sqlite:///{path}")
    write_records(db, records, batch_requests=500)
    yield db, records
    db.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scopes, st.sampled_from(("day", "month")))
def test_spend_read_from_the_log_is_what_the_match_counts(
    traffic: tuple[Engine, list[RequestRecord]], scope: BudgetScope, period: str
) -> None:
    db, records = traffic
    budget = Budget(name="b", scope=scope, period=period, limit_usd=1.0)
    start, end = period_bounds(budget.period, END)
    expected = sum(
        attempt.cost_usd
        for record in records if record.kind == "production"
        for attempt in record.attempts
        if start <= attempt.started_at.timestamp() < END
        and scope_covers(scope, task=record.task, team=record.metadata.get("team"), provider=attempt.provider,
                         model=attempt.model_alias)
    )
    (burn,) = budget_burn(db, [budget], now=END)
    assert burn.spent_usd == pytest.approx(expected, abs=1e-9)
    assert (burn.period_start, burn.period_end) == (start, end)
    assert burn.projected_usd == pytest.approx(projected_spend(expected, start=start, end=end, now=END), abs=1e-9)


@given(st.floats(0, 1e6), st.floats(1, 40 * 86400), st.floats(0.0, 1.0))
def test_projection_extends_the_average_rate(spent: float, length: float, share: float) -> None:
    start, end = 0.0, length
    now = start + length * share
    projected = projected_spend(spent, start=start, end=end, now=now)
    assert projected >= spent * (1 - 1e-12) or now - start < 60.0  # never below what is spent (past a minute)
    if now - start >= 60.0 and share == 1.0:
        assert projected == pytest.approx(spent)  # at the period's end, the projection is the spend
