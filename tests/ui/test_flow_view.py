"""The route flow: only fallbacks that apply, wraps to fit, and reorders/edits the route from the boxes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.ui.pages.policy_editor.flow_view import FlowView, route_steps

DATA = {
    "models": {"a": {"provider": "p1"}, "b": {"provider": "p2"}, "c": {"provider": "p1"}, "cheap": {"provider": "p1"}},
    "routes": {"chat": {"candidates": ["a", "b"], "confidence": {"escalate_to": "big"}},
               "big": {"candidates": ["c"]}},
    "budgets": [
        {"name": "all", "action": "fallback", "fallback_model": "cheap", "limit_usd": 1},
        {"name": "warn-only", "action": "warn", "fallback_model": "c", "limit_usd": 1},
        {"name": "other-task", "action": "fallback", "fallback_model": "c", "limit_usd": 1, "scope": {"task": "big"}},
        {"name": "other-provider", "action": "fallback", "fallback_model": "c", "limit_usd": 1,
         "scope": {"provider": "p9"}},
        {"name": "already-a-candidate", "action": "fallback", "fallback_model": "b", "limit_usd": 1},
        {"name": "on-b", "action": "fallback", "fallback_model": "c", "limit_usd": 1, "scope": {"model": "b"}},
    ],
}


def test_only_fallbacks_that_can_change_the_route_are_drawn() -> None:
    steps = route_steps("chat", DATA)
    assert [(s.label, s.kind) for s in steps] == [("chat", "task"), ("a", "candidate"), ("b", "candidate"),
                                                  ("cheap", "budget"), ("c", "budget")]
    assert "on-b is spent (b)" in steps[-1].detail
    # escalation shows once the route checks confidence (only an unsure answer escalates)
    checked = {**DATA, "routes": {**DATA["routes"], "chat": {"candidates": ["a"], "confidence": {
        "escalate_to": "big", "validator_regex": "^ok"}}}}
    assert route_steps("chat", checked)[-1].kind == "escalate"


def test_the_flow_wraps_to_fit_a_narrow_view(qtbot: QtBot) -> None:
    view = FlowView()
    qtbot.addWidget(view)
    view.set_steps(route_steps("chat", DATA))
    wide, narrow = view.box_rects(2000), view.box_rects(360)
    assert len({r.top() for r in wide}) == 1 and len({r.top() for r in narrow}) > 1
    assert all(r.right() <= 360 for r in narrow)
    assert view.heightForWidth(360) > view.heightForWidth(2000)


def test_reorder_remove_and_edit_from_the_flow(qtbot: QtBot, policy_file: Path) -> None:
    from console.ui.pages.policy_editor.editor_tab import PolicyEditorTab, open_document

    editor = PolicyEditorTab(open_document(policy_file))
    qtbot.addWidget(editor)
    editor.resize(1440, 860)
    editor.show()
    routes = editor.routes
    editor.sections.setCurrentWidget(routes)
    routes.select_task("code")
    flow = routes.flow
    qtbot.waitUntil(lambda: flow.width() > 0)
    assert all(r.right() <= flow.width() for r in flow.box_rects())  # fits beside Try it at 1440 px
    rects = flow.box_rects()
    labels = [s.label for s in flow.steps]
    first, third = rects[labels.index("gpt-big")].center().toPoint(), rects[labels.index("smol")].center().toPoint()
    qtbot.mousePress(flow, Qt.MouseButton.LeftButton, pos=first)
    assert routes.candidates.currentRow() == 0  # a click selects the candidate in the list too
    qtbot.mouseRelease(flow, Qt.MouseButton.LeftButton, pos=third)  # dragged onto smol: takes its place
    assert editor.document.get(("routes", "code", "candidates")) == ["gpt-small", "smol", "gpt-big"]
    assert editor.stack.undoText() == "try gpt-big later on code"
    editor.stack.undo()
    assert editor.document.get(("routes", "code", "candidates")) == ["gpt-big", "gpt-small", "smol"]

    menu = flow.context_menu_for(labels.index("gpt-small"))
    by_text = {a.text(): a for a in menu.actions()}
    by_text["Try earlier"].trigger()
    assert editor.document.get(("routes", "code", "candidates")) == ["gpt-small", "gpt-big", "smol"]
    assert not flow.context_menu_for(0)  # the task box has no menu
    menu = flow.context_menu_for([s.label for s in flow.steps].index("smol"))
    assert not {a.text(): a for a in menu.actions()}["Try later"].isEnabled()  # already last
    {a.text(): a for a in menu.actions()}["Remove from this route"].trigger()
    assert editor.document.get(("routes", "code", "candidates")) == ["gpt-small", "gpt-big"]
    qtbot.mouseDClick(flow, Qt.MouseButton.LeftButton, pos=flow.box_rects()[1].center().toPoint())
    assert editor.sections.currentWidget() is editor.models
    assert editor.models.model.row_path(editor.models.view.currentIndex().row()) == ("models", "gpt-small")
    editor.stack.setClean()
