"""Try it says what happened: missing keys in the plan, status while waiting, answer apart from notes,
the attempt chain with failed attempts and reasons, Ctrl+Enter to send, and the prompts tried."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import Qt

from console.core.policy.schema import Policy
from console.core.secrets import MemoryKeyStore
from console.ui.engine_bridge import EngineBridge
from console.ui.pages.policy_editor.try_it import TryItPanel
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

PROMPT = "one two three four five six"


def faulty_policy(url: str) -> Policy:
    """locked: its key is missing; cutter: cuts its stream after two chunks; good: echoes the prompt."""
    return Policy.model_validate({
        "name": "try-it-faults",
        "providers": {
            "up": {"kind": "openai-compatible", "base_url": url},
            "keyed": {"kind": "openai-compatible", "base_url": url, "key": "keyring:try-it-missing"},
        },
        "models": {
            "locked": {"provider": "keyed", "model": "ok#locked"},
            "cutter": {"provider": "up", "model": "cut:after=2#try-it"},
            "good": {"provider": "up", "model": "ok#try-it"},
        },
        "tasks": {"t": {}},
        "classification": {"default": "t"},
        "routes": {"t": {"candidates": ["locked", "cutter", "good"], "retries": {"max": 0}}},
    })


@pytest.fixture
def panel(qtbot, bridge: EngineBridge) -> TryItPanel:
    try_it = TryItPanel(bridge)
    try_it.key_store = MemoryKeyStore()  # an empty keyring: no provider has its key
    qtbot.addWidget(try_it)
    try_it.resize(700, 800)
    return try_it


def _plan_rows(panel: TryItPanel) -> dict[str, tuple[str, str]]:
    table = panel.candidates
    return {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 3).text()) for r in range(table.rowCount())}


def _show_active(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    """Shown and active, as the operator's window is: window shortcuts only reach an active window."""
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=3000)


def _wait_for_key_check(qtbot, panel: TryItPanel) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: panel.missing_keys is not None, timeout=5000)


def test_a_model_without_its_key_is_dropped_with_the_reason(qtbot, panel: TryItPanel, fault_server: FaultServer) -> None:
    panel.set_policy(faulty_policy(fault_server.url))
    _wait_for_key_check(qtbot, panel)
    panel.prompt.setPlainText(PROMPT)
    panel.explain_now()
    rows = _plan_rows(panel)
    assert rows["locked"][0] == "dropped"
    assert "no key for provider 'keyed'" in rows["locked"][1] and "try-it-missing" in rows["locked"][1]
    assert rows["good"] == ("yes", "passes every check")
    assert "keyed" in panel.keys_label.text() and panel.keys_label.isVisibleTo(panel)
    good = next(r for r in range(panel.candidates.rowCount()) if panel.candidates.item(r, 0).text() == "good")
    assert panel.candidates.item(good, 3).toolTip().endswith(  # no history yet: the route's static deadline
        "First token within 20 s: the route's first_token_s (first-token history: 0 of 20 streamed answers needed)")

    panel.key_store.set("try-it-missing", "sk-test-now-set")  # set on the Keys page meanwhile
    panel.recheck_keys()
    qtbot.waitUntil(lambda: _plan_rows(panel)["locked"] == ("yes", "passes every check"), timeout=5000)
    assert panel.missing_keys == {}
    assert not panel.keys_label.isVisibleTo(panel)


class UnlockPrompt(MemoryKeyStore):
    """A keyring whose first read waits, as a locked keyring waits for its unlock dialog."""

    def __init__(self) -> None:
        super().__init__()
        self.unlocked = threading.Event()

    def get(self, name: str) -> str | None:
        self.unlocked.wait(10)
        return super().get(name)


def test_key_check_waits_off_the_gui_thread_and_says_so(qtbot, panel: TryItPanel, fault_server: FaultServer) -> None:
    store = UnlockPrompt()
    panel.key_store = store
    panel.set_policy(faulty_policy(fault_server.url))
    panel.prompt.setPlainText(PROMPT)
    panel.explain_now()  # the GUI thread is free: the plan shows while the keyring is still locked
    assert panel.plan is not None
    assert "Checking provider keys" in panel.keys_label.text()
    store.unlocked.set()
    _wait_for_key_check(qtbot, panel)
    assert _plan_rows(panel)["locked"][0] == "dropped"


def test_ctrl_enter_sends_and_the_chain_shows_every_failed_attempt(qtbot, panel: TryItPanel,
                                                                   fault_server: FaultServer) -> None:
    panel.set_policy(faulty_policy(fault_server.url))
    _wait_for_key_check(qtbot, panel)
    _show_active(qtbot, panel)
    panel.prompt.setFocus()
    qtbot.keyClicks(panel.prompt, PROMPT)
    qtbot.keyClick(panel.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    job = panel._job
    assert job is not None, "Ctrl+Enter did not send"
    assert panel.prompt.toPlainText() == PROMPT  # the shortcut sent; it did not type a new line
    assert "Sending" in panel.outcome.status.text() or "Trying" in panel.outcome.status.text()
    with qtbot.waitSignal(job.sig_finished, timeout=20000):
        pass

    assert panel.answer.toPlainText() == PROMPT  # the answer alone: no notes, no partial text of the cut model
    notes = panel.outcome.notes.text()
    assert "cutter failed (stream_cut" in notes and "restarted" in notes
    table = panel.outcome.attempts
    chain = [(table.item(r, 1).text().split()[0], table.item(r, 2).text(), table.item(r, 3).text())
             for r in range(table.rowCount())]
    assert [(model, outcome) for model, outcome, _ in chain] == [("locked", "auth"), ("cutter", "stream_cut"),
                                                                ("good", "ok")]
    assert "provider 'keyed'" in chain[0][2]  # why it had no key: no entry, or (here) no keyring at all
    assert chain[1][2]  # the cut says why
    assert "2 failed" in panel.outcome.tabs.tabText(1)
    status = panel.outcome.status.text()
    assert status.startswith("Answered by good") and "2 failed attempt(s)" in status


def test_ctrl_enter_from_the_metadata_field_sends_too(qtbot, panel: TryItPanel, fault_server: FaultServer) -> None:
    panel.set_policy(faulty_policy(fault_server.url))
    _show_active(qtbot, panel)
    panel.prompt.setPlainText(PROMPT)
    panel.metadata.setFocus()
    qtbot.keyClick(panel.metadata, Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.KeypadModifier)
    job = panel._job
    assert job is not None
    with qtbot.waitSignal(job.sig_finished, timeout=20000):
        pass


def test_prompts_tried_come_back_newest_first(qtbot, panel: TryItPanel, fault_server: FaultServer) -> None:
    panel.set_policy(faulty_policy(fault_server.url))
    sent: list[Any] = []
    for prompt, metadata in (("first question", "team=ops"), ("second question", "")):
        panel.prompt.setPlainText(prompt)
        panel.metadata.setText(metadata)
        panel.explain_now()
        panel.send.click()
        job = panel._job
        assert job is not None
        with qtbot.waitSignal(job.sig_finished, timeout=20000):
            pass
        sent.append(job)
    assert [panel.tried.itemText(i) for i in range(panel.tried.count())] == ["second question",
                                                                             "first question  [team=ops]"]
    panel.tried.activated.emit(1)
    assert panel.prompt.toPlainText() == "first question" and panel.metadata.text() == "team=ops"
    assert panel.plan is not None


def test_the_plan_shows_the_first_token_deadline_the_logs_history_earns(qtbot, panel: TryItPanel,
                                                                        fault_server: FaultServer) -> None:
    from console.core.request import Request

    doc = faulty_policy(fault_server.url).model_dump(by_alias=True, exclude_none=True)
    doc["first_token_deadline"] = {"min_samples": 3, "floor_s": 0.5}
    policy = Policy.model_validate(doc)
    bridge = panel._bridge

    async def stream_three() -> None:  # three streamed answers by `good`, into the workspace's log
        engine = bridge.workspace.engine(policy)
        for _ in range(3):
            async for _event in engine.route_stream(Request.from_prompt(PROMPT), prefer="good"):
                pass

    job = bridge.submit(stream_three)
    with qtbot.waitSignal(job.sig_finished, timeout=20000):
        pass
    panel.set_policy(policy)
    panel.prompt.setPlainText(PROMPT)

    def good_tooltip() -> str:
        panel.explain_now()
        rows = range(panel.candidates.rowCount())
        good = next(r for r in rows if panel.candidates.item(r, 0).text() == "good")
        return str(panel.candidates.item(good, 3).toolTip())

    qtbot.waitUntil(lambda: "3 × p95 first token" in good_tooltip(), timeout=10000)
    assert "over 3 streamed answers, raised to the policy's floor 0.5 s" in good_tooltip()
    assert "First token within 0.5 s" in good_tooltip()
