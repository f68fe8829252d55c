"""The Rollout page: real traffic in a real log, one panel per route in rollout, buttons that change the log's state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from console.core.active_policy import PolicyChoice
from console.core.app.rollout import open_rollouts, rollout_history
from console.core.policy.loader import load_policy_or_raise
from console.core.policy.schema import Policy
from console.ui.engine_bridge import EngineBridge
from console.ui.pages.rollout.page import RolloutPage
from console.ui.pages.rollout.panel import panel_text
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture
from tests.ui.rollout_scene import write_scene


def _shown(qtbot: QtBot, page: RolloutPage) -> list:
    with qtbot.waitSignal(page.sig_statuses_shown, timeout=30000) as shown:
        page.refresh()
    return shown.args[0]


def _scene_page(qtbot: QtBot, tmp_path: Path, fault_server: FaultServer,
                ask: Callable[[str, str], bool] = lambda _title, _question: True,
                ) -> tuple[Path, Policy, str, EngineBridge, RolloutPage]:
    """The rollout scene's policy and log, and a Rollout page on them that has shown it (the caller shuts the bridge)."""
    path, url = write_scene(tmp_path, fault_server.url)
    policy = load_policy_or_raise(path)
    bridge = EngineBridge()
    bridge.log_url = url
    page = RolloutPage(bridge, ask=ask)
    qtbot.addWidget(page)
    try:
        with qtbot.waitSignal(page.sig_statuses_shown, timeout=30000):
            page.follow(PolicyChoice(path, policy, path.name))
    except BaseException:
        bridge.shutdown()
        raise
    return path, policy, url, bridge, page


def test_the_page_shows_each_rollout_and_its_buttons_change_the_log(qtbot: QtBot, tmp_path: Path,
                                                                    fault_server: FaultServer) -> None:
    _path, policy, url, bridge, page = _scene_page(qtbot, tmp_path, fault_server)
    try:
        assert set(page.panels) == {"support", "code"}
        support, code = page.panels["support"], page.panels["code"]
        text = panel_text(support)
        assert "active, step 2 of 4: 25% on cheap in place of premium" in text and "Advance to 50%" in text
        assert "failure rate" in text and "pass" in text and "+2.00 pts" in text  # guardrail, verdict, margin
        code_text = panel_text(code)
        assert "rolled back at step 1 of 2" in code_text and "breach" in code_text and "Resume at 50%" in code_text
        assert "Last breach (rollback" in code.message.text() and "margin +2.00 pts" in code.message.text()
        assert not code.rollback_button.isEnabled()
        times, shares = code.curve.getData()
        assert list(shares) == [50, 50, 0, 0]  # the share over time: started at 50 %, rolled back to 0

        with qtbot.waitSignal(page.sig_statuses_shown, timeout=30000):
            support.advance_button.click()
        assert "active, step 3 of 4: 50%" in panel_text(support)
        with qtbot.waitSignal(page.sig_statuses_shown, timeout=30000):
            support.rollback_button.click()
        assert "rolled back at step 3 of 4" in panel_text(support)
        with open_rollouts(url) as rollouts:  # what the CLI and routedesk serve see: the same state
            events = rollout_history(rollouts, policy, "support")
        assert [(e.action, e.by) for e in events][-2:] == [("advance", "window"), ("rollback", "window")]
    finally:
        bridge.shutdown()


def test_each_button_asks_first_and_a_no_changes_nothing(qtbot: QtBot, tmp_path: Path,
                                                          fault_server: FaultServer) -> None:
    # Both buttons move live traffic in every serving process at once: a stray click must not.
    asked: list[str] = []
    answer = [False]
    _path, policy, url, bridge, page = _scene_page(
        qtbot, tmp_path, fault_server, ask=lambda _title, question: asked.append(question) or answer[0])
    try:
        support = page.panels["support"]
        support.advance_button.click()
        support.rollback_button.click()
        assert asked == ["Send 50% of route 'support' to cheap (in place of premium) now? Every serving process "
                         "follows within a second.",
                         "Send all of route 'support' back to premium now? The rollout stops until someone resumes it."]
        _shown(qtbot, page)
        assert "active, step 2 of 4: 25%" in panel_text(support)
        with open_rollouts(url) as rollouts:  # the scene's start and advance, nothing since
            assert [e.by for e in rollout_history(rollouts, policy, "support")] == ["policy", "window"]
        answer[0] = True
        with qtbot.waitSignal(page.sig_statuses_shown, timeout=30000):
            support.advance_button.click()
        assert "active, step 3 of 4: 50%" in panel_text(support)
    finally:
        bridge.shutdown()


def test_advance_on_a_state_another_process_moved_is_refused_with_a_sentence(qtbot: QtBot, tmp_path: Path,
                                                                            fault_server: FaultServer) -> None:
    _path, policy, url, bridge, page = _scene_page(qtbot, tmp_path, fault_server)
    try:
        with open_rollouts(url) as rollouts:  # the CLI advances it meanwhile: the panel still shows step 2
            rollouts.advance(policy, "support", by="cli")
        support = page.panels["support"]
        with qtbot.waitSignal(page.sig_statuses_shown, timeout=30000):
            support.advance_button.click()
        assert "is at step 3, not 2" in support.error.text()
        assert "active, step 3 of 4" in panel_text(support)  # one step, not two
    finally:
        bridge.shutdown()


def test_a_policy_without_rollouts_says_how_to_start_one(qtbot: QtBot) -> None:
    from tests.ui.conftest import SAMPLE_POLICY

    bridge = EngineBridge()
    page = RolloutPage(bridge, ask=lambda _title, _question: True)
    qtbot.addWidget(page)
    try:
        page.follow(PolicyChoice(SAMPLE_POLICY, load_policy_or_raise(SAMPLE_POLICY), "sample"))
        assert not page.panels and "no route is in rollout" in page.headline.text()
    finally:
        bridge.shutdown()


def test_a_window_with_a_rollout_policy_follows_changes_made_by_another_process(qtbot: QtBot, tmp_path: Path,
                                                                                 fault_server: FaultServer) -> None:
    from console.core.app import Request
    from console.ui.main_window import MainWindow

    path, url = write_scene(tmp_path, fault_server.url)
    policy = load_policy_or_raise(path)
    bridge = EngineBridge()
    bridge.log_url = url
    window = MainWindow(bridge)
    qtbot.addWidget(window)

    def route_on_the_window_engine(customer: str):  # as Try it does: the window's engine, on its loop
        async def go():  # type: ignore[no-untyped-def]
            engine = bridge.workspace.engine(policy, path, scope="window")
            return await engine.route(Request.from_prompt("my order is late", metadata={"customer": customer}))

        job = bridge.submit(go)
        with qtbot.waitSignal(job.sig_finished, timeout=30000) as done:
            pass
        return done.args[0]

    try:
        window.open_first_policy(path)  # the Rollout page is never opened
        assert window.log_label.text() == f"log: {tmp_path / 'rollout-log.sqlite3'}"  # the log it reads, not the default
        arms = {route_on_the_window_engine(f"c{i}").arm for i in range(30)}
        assert arms == {"baseline", "candidate"}  # 25 % as the log says
        shares = bridge.workspace.rollouts.shares
        with open_rollouts(url) as rollouts:  # `routedesk rollout rollback support` in another process
            rollouts.rollback(policy, "support", by="cli")
        qtbot.waitUntil(lambda: shares.share(policy.name, "support") == 0, timeout=15000)
        assert {route_on_the_window_engine(f"c{i}").answered_by for i in range(30)} == {"premium"}
    finally:
        for editor in window.policy_page.editors():
            editor.stack.setClean()
        window.close()
