"""Try it with a route that has a learned router: each model's probability, and how the order came about."""

from __future__ import annotations

import random
from pathlib import Path

from console.core.learned_router import router_file
from console.core.learned_router.training import train
from console.core.policy.schema import Policy
from console.core.secrets import MemoryKeyStore
from console.ui.engine_bridge import EngineBridge
from console.ui.pages.policy_editor.try_it import TryItPanel
from tests.support import graded_history


def test_try_it_shows_each_models_probability_and_the_routers_order(qtbot, bridge: EngineBridge,  # type: ignore[no-untyped-def]
                                                                     tmp_path: Path) -> None:
    router, _ = train(graded_history.history(150), seed=0)
    path = router_file.save(router, tmp_path / "try.router")
    policy = Policy.model_validate({
        "name": "try-router", "providers": {"p": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"}},
        "models": {name: {"provider": "p", "model": name, "prices": {"input": price, "output": price}}
                   for name, price in (("small", 0.1), ("medium", 1.0), ("large", 10.0))},
        "tasks": {"t": {}}, "classification": {"default": "t"},
        "routes": {"t": {"candidates": ["large", "medium", "small"], "router": {"file": str(path), "target": 0.95}}}})
    panel = TryItPanel(bridge)
    panel.key_store = MemoryKeyStore()
    qtbot.addWidget(panel)
    panel.set_policy(policy)
    panel.prompt.setPlainText(graded_history.prompt(0, random.Random(3)))  # an easy one: a cheap model first
    panel.explain_now()
    table = panel.candidates
    order = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert order[0] != "large" and order.index("small") < order.index("large")
    assert all("router: P(pass)" in table.item(r, 3).text() for r in range(table.rowCount()))
    assert "ordered by router" in panel.task_label.text() and "try.router" in panel.task_label.text()
