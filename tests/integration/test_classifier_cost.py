"""The classifier model's call is billed, so it is counted: in the request's cost, in the budgets
and in the log (as an attempt with role "classify" that is not part of the attempt chain)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from console.core.ledger.writer import LedgerWriter
from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.workspace import Workspace
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture


def policy(server: FaultServer, classifier_model: str) -> Policy:
    return Policy.model_validate(
        {
            "name": "classified",
            "providers": {"up": {"kind": "openai-compatible", "base_url": server.url}},
            "models": {
                # the fault server echoes the prompt, so a request reading "support" is labelled support
                "labeller": {"provider": "up", "model": classifier_model, "prices": {"input": 2000, "output": 4000}},
                "answerer": {"provider": "up", "model": "ok#cls-answer", "prices": {"input": 1, "output": 2}},
            },
            "tasks": {"support": {}, "other": {}},
            "classification": {"method": "model", "default": "other", "model": {"model": "labeller"}},
            "routes": {"support": {"candidates": ["answerer"]}, "other": {"candidates": ["answerer"]}},
            "budgets": [{"name": "all", "limit_usd": 100, "action": "warn"}],
        }
    )


def test_the_classifier_call_is_in_the_cost_the_budget_and_the_log(fault_server: FaultServer, tmp_path: Path) -> None:
    workspace = Workspace(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    engine = workspace.engine(policy(fault_server, "ok#cls-labeller"))

    async def go():  # type: ignore[no-untyped-def]
        try:
            return await engine.route(Request.from_prompt("support"))
        finally:
            await engine.aclose()  # on the loop its connections belong to

    result = asyncio.run(go())
    assert result.ok and result.plan.task == "support"
    classifier = result.classifier
    assert classifier is not None and classifier.role == "classify" and classifier.model_alias == "labeller"
    assert classifier.cost_usd > 0 and classifier.outcome is Outcome.OK
    assert [a.model_alias for a in result.attempts] == ["answerer"]  # the chain is the answer's only
    assert result.total_cost_usd == pytest.approx(classifier.cost_usd + result.attempts[0].cost_usd, abs=1e-12)
    assert engine.budgets.snapshot()["all"] == pytest.approx(result.total_cost_usd, abs=1e-12)

    workspace.flush_log()
    writer = workspace.recorder
    assert isinstance(writer, LedgerWriter)
    with writer.db.connect() as conn:
        rows = conn.execute(text("SELECT role, position, model_alias, cost_usd FROM attempt ORDER BY position")).all()
        request = conn.execute(text(
            "SELECT first_model, fell_back, attempt_count, total_cost_usd FROM request")).one()
        spent = conn.execute(text("SELECT SUM(cost_usd) FROM attempt_hour")).scalar()
    assert [(r.role, r.position, r.model_alias) for r in rows] == [("classify", -1, "labeller"), ("route", 0, "answerer")]
    assert tuple(request[:3]) == ("answerer", 0, 1)  # not a fallback, one attempt in the chain
    assert request[3] == pytest.approx(result.total_cost_usd, abs=1e-12)
    assert spent == pytest.approx(result.total_cost_usd, abs=1e-12)  # the spend charts include it
    asyncio.run(workspace.aclose())


def test_a_classifier_that_fails_is_logged_and_the_rules_decide(fault_server: FaultServer, tmp_path: Path) -> None:
    workspace = Workspace(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    engine = workspace.engine(policy(fault_server, "500#cls-broken"))

    async def go():  # type: ignore[no-untyped-def]
        try:
            return await engine.route(Request.from_prompt("support"))
        finally:
            await engine.aclose()

    result = asyncio.run(go())
    assert result.ok and result.plan.task == "other"  # the default: no rule matched
    assert result.classifier is not None and result.classifier.outcome is Outcome.SERVER_ERROR
    assert result.classifier.cost_usd == 0  # nothing billed
    workspace.flush_log()
    with workspace.recorder.db.connect() as conn:  # type: ignore[attr-defined]
        outcomes = conn.execute(text("SELECT role, outcome FROM attempt ORDER BY position")).all()
    assert [tuple(o) for o in outcomes] == [("classify", "server_error"), ("route", "ok")]
    asyncio.run(workspace.aclose())


def test_the_log_shows_the_classifier_apart_from_the_chain(fault_server: FaultServer, tmp_path: Path) -> None:
    from console.core.ledger.chains import requests_behind
    from console.core.ledger.filters import Filters
    from console.ui.pages.dashboard.requests_model import chain_text

    workspace = Workspace(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    engine = workspace.engine(policy(fault_server, "ok#cls-shown"))

    async def go() -> None:
        try:
            await engine.route(Request.from_prompt("support"))
        finally:
            await engine.aclose()

    asyncio.run(go())
    workspace.flush_log()
    [chain] = requests_behind(workspace.recorder.db, Filters(kind=None))  # type: ignore[attr-defined]
    assert chain_text(chain) == "classified by labeller ✓; answerer ✓"
    asyncio.run(workspace.aclose())
