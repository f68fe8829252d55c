"""``routedesk explain``: the task, its reason and the plan, through the app API, calling no model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.cli.main import run

DEMO = Path(__file__).resolve().parents[2] / "policies" / "demo.yaml"


def test_explain_prints_the_rules_task_and_the_ordered_plan(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["explain", "-p", str(DEMO), "please summarize this", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["task"] == "summarize"
    assert [c["model"] for c in plan["candidates"]][:2] == ["smollm2", "smollm2-cpu"] and plan["candidates"][0]["kept"]
