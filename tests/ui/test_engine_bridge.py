"""The engine bridge: results hop back to the GUI thread, streams are coalesced, cancel and shutdown work."""

from __future__ import annotations

import asyncio
import threading
import time

from PySide6.QtCore import QElapsedTimer, QTimer

from console.ui.engine_bridge import EngineBridge
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture


def test_coroutine_runs_on_engine_thread_and_result_arrives_on_gui(qtbot, bridge: EngineBridge) -> None:
    async def where() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    job = bridge.submit(where)
    with qtbot.waitSignal(job.sig_finished, timeout=3000) as blocker:
        pass
    assert blocker.args == ["engine"]


def test_failure_is_a_sentence(qtbot, bridge: EngineBridge) -> None:
    async def boom() -> None:
        raise ValueError("the key is missing")

    job = bridge.submit(boom)
    with qtbot.waitSignal(job.sig_failed, timeout=3000) as blocker:
        pass
    assert blocker.args == ["the key is missing."]


def test_blocking_call_runs_off_the_gui_thread(qtbot, bridge: EngineBridge) -> None:
    job = bridge.run_blocking(lambda: threading.current_thread() is threading.main_thread())
    with qtbot.waitSignal(job.sig_finished, timeout=3000) as blocker:
        pass
    assert blocker.args == [False]


def test_stream_is_coalesced_and_ends_with_last_event(qtbot, bridge: EngineBridge) -> None:
    async def tokens():
        for i in range(200):
            yield f"t{i} "
        yield {"done": True}

    received: list[str] = []
    job = bridge.stream(tokens)
    job.sig_text_arrived.connect(received.append)
    with qtbot.waitSignal(job.sig_finished, timeout=3000) as blocker:
        pass
    assert "".join(received) == "".join(f"t{i} " for i in range(200))
    assert len(received) < 200  # coalesced: far fewer GUI updates than tokens
    assert blocker.args == [{"done": True}]


def test_cancel_stops_a_stream(qtbot, bridge: EngineBridge) -> None:
    async def endless():
        while True:
            await asyncio.sleep(0.01)
            yield "x"

    job = bridge.stream(endless)
    qtbot.waitSignal(job.sig_text_arrived, timeout=3000).wait()
    with qtbot.waitSignal(job.sig_cancelled, timeout=3000):
        job.cancel()


def test_shutdown_joins_the_engine_thread(qtbot) -> None:
    engine_bridge = EngineBridge()
    engine_bridge.start()
    assert any(t.name == "engine" for t in threading.enumerate())

    async def forever() -> None:
        await asyncio.sleep(3600)

    engine_bridge.submit(forever)
    engine_bridge.shutdown()
    assert not any(t.name == "engine" and t.is_alive() for t in threading.enumerate())


class SlowStreamingProvider:
    """A ChatProvider-shaped upstream that trickles text, like a slow hosted model."""

    name = "slow"

    async def stream(self, count: int, delay_s: float):
        for i in range(count):
            await asyncio.sleep(delay_s)
            yield f"tok{i} "


def test_gui_keeps_ticking_while_a_slow_provider_streams(qtbot, bridge: EngineBridge) -> None:
    provider = SlowStreamingProvider()
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    ticker = QTimer()
    ticker.setInterval(10)
    ticker.timeout.connect(tick)
    ticker.start()
    job = bridge.stream(lambda: provider.stream(150, 0.005))
    text: list[str] = []
    job.sig_text_arrived.connect(text.append)
    with qtbot.waitSignal(job.sig_finished, timeout=10000):
        pass
    ticker.stop()
    assert "".join(text).count("tok") == 150
    # Not a benchmark: a generous bound that only a blocked GUI thread (seconds) would break.
    assert max(gaps) < 250, f"GUI thread stalled for {max(gaps)} ms"
    assert len(gaps) > 5


def test_a_cancelled_route_is_recorded_before_the_window_hears_it_was_cancelled(
        qtbot, bridge: EngineBridge, fault_server: FaultServer) -> None:
    from console.core.engine import Engine
    from console.core.outcomes import Outcome
    from console.core.policy.schema import Policy
    from console.core.records import MemoryRecorder
    from console.core.request import Request

    policy = Policy.model_validate({
        "name": "cancel", "providers": {"up": {"kind": "openai-compatible", "base_url": fault_server.url}},
        "models": {"silent": {"provider": "up", "model": "hang#bridge-cancel"}},
        "tasks": {"t": {}}, "classification": {"default": "t"}, "routes": {"t": {"candidates": ["silent"]}},
    })
    class SlowDisk(MemoryRecorder):  # recording takes a while (a busy disk): the signal must wait for it
        def record(self, request):  # type: ignore[no-untyped-def]
            time.sleep(0.3)
            return super().record(request)

    recorder = SlowDisk()
    engine = Engine(policy, recorder=recorder)
    job = bridge.stream(lambda: engine.route_stream(Request.from_prompt("hello", stream=True)),
                        text_of=lambda event: None)
    qtbot.waitUntil(lambda: len(fault_server.requests_for("hang#bridge-cancel")) == 1, timeout=5000)
    seen_at_signal: list[list] = []
    job.sig_cancelled.connect(lambda: seen_at_signal.append(list(recorder.requests)))
    with qtbot.waitSignal(job.sig_cancelled, timeout=5000):
        job.cancel()
    [recorded] = seen_at_signal[0]
    assert recorded.outcome is Outcome.CANCELLED
    bridge.submit(engine.aclose)


def test_the_bridge_makes_one_workspace_when_threads_ask_at_once(qtbot) -> None:
    # The GUI thread (the endpoint switch) and the engine thread (every page) both ask for it.
    import sys

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over as often as it can: the race shows if it is there
    try:
        _ask_at_once()
    finally:
        sys.setswitchinterval(interval)


def _ask_at_once() -> None:
    for _ in range(20):
        engine_bridge = EngineBridge()
        start = threading.Barrier(8)
        seen: list[object] = []

        def ask() -> None:
            start.wait()
            seen.append(engine_bridge.workspace)

        askers = [threading.Thread(target=ask) for _ in range(8)]
        for thread in askers:
            thread.start()
        for thread in askers:
            thread.join(10)
        assert len(seen) == 8 and all(workspace is seen[0] for workspace in seen)
        engine_bridge.shutdown()
