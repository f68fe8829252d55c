"""The bridge never loses a job's last events: the engine thread races every flush on purpose.

A flush drains the queues and emits what it took; meanwhile the engine thread may queue the final
event and complete the work. These tests hold that window wide open (the GUI slot itself lets the
engine finish) and run it many times, so a flush that decides "over" from a stale look at the
queues fails every time, not by luck of timing.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from typing import Any, AsyncIterator

from console.ui.engine_bridge import EngineBridge, Job


def _wait_until_ended(job: Job, timeout_s: float = 5.0) -> None:
    """Block the GUI thread until the engine thread has completed the job's work."""
    deadline = time.monotonic() + timeout_s
    future = job._future  # the concurrent Future the engine thread completes
    assert future is not None
    while not future.done():
        assert time.monotonic() < deadline, "the engine never finished the job"
        time.sleep(0.0005)


def test_final_event_queued_while_a_flush_emits_is_delivered(qtbot, bridge: EngineBridge) -> None:
    """The exact interleaving from the stuck pilot: "finished" is queued mid-flush, then work ends."""
    for round_ in range(25):
        go = threading.Event()

        async def events() -> AsyncIterator[Any]:
            yield ("progress", 1)
            await asyncio.to_thread(go.wait, 5)  # held until the GUI is inside a flush
            yield ("finished", round_)

        seen: list[Any] = []
        job = bridge.stream(events, text_of=lambda event: None)

        def on_event(event: Any, job: Job = job, go: threading.Event = go) -> None:
            seen.append(event)
            if event[0] == "progress":  # inside flush, after the drain: let the engine end now
                go.set()
                _wait_until_ended(job)

        job.sig_event_arrived.connect(on_event)
        with qtbot.waitSignal(job.sig_finished, timeout=5000) as blocker:
            pass
        assert seen == [("progress", 1), ("finished", round_)]
        assert blocker.args == [("finished", round_)]


def test_final_text_queued_while_a_flush_emits_is_delivered(qtbot, bridge: EngineBridge) -> None:
    """Streamed text obeys the same rule: the last chunk arrives before sig_finished."""
    for _ in range(25):
        go = threading.Event()

        async def chunks() -> AsyncIterator[Any]:
            yield "first "
            await asyncio.to_thread(go.wait, 5)
            yield "last"
            yield {"done": True}

        text: list[str] = []
        job = bridge.stream(chunks)

        def on_text(chunk: str, job: Job = job, go: threading.Event = go) -> None:
            text.append(chunk)
            if chunk == "first ":
                go.set()
                _wait_until_ended(job)

        job.sig_text_arrived.connect(on_text)
        ended_with: list[str] = []
        job.sig_finished.connect(lambda _result: ended_with.append("".join(text)))
        with qtbot.waitSignal(job.sig_finished, timeout=5000):
            pass
        assert ended_with == ["first last"]


def test_jobs_ending_at_every_moment_of_a_flush_lose_nothing(qtbot, bridge: EngineBridge) -> None:
    """Stress: job after job ends at a different moment relative to the flush timer; none loses an event.

    Each job queues its progress at once and its last event a few milliseconds later, the pause
    spread over a whole flush interval. The GUI slot is slow (it releases the GIL, as a repaint
    does), so in about one job in five the engine ends while a flush is still emitting the job's
    progress: the window in which the old flush lost the last event. Sixty jobs make a miss all
    but certain on a flush with that race (0.8 ** 60 is about 1e-6).
    """
    rng = random.Random(16)
    for number in range(60):
        pause_s = rng.uniform(0, 0.020)

        async def events(number: int = number, pause_s: float = pause_s) -> AsyncIterator[Any]:
            yield ("progress", number)
            await asyncio.sleep(pause_s)
            yield ("finished", number)

        seen: list[Any] = []
        job = bridge.stream(events, text_of=lambda event: None)

        def on_event(event: Any, seen: list[Any] = seen) -> None:
            seen.append(event)
            time.sleep(0.004)  # a slow slot keeps the flush open while the engine moves on

        ended: list[list[Any]] = []
        job.sig_event_arrived.connect(on_event)
        job.sig_finished.connect(lambda _result, seen=seen, ended=ended: ended.append(list(seen)))
        qtbot.waitUntil(lambda job=job: job.done, timeout=5000)
        assert ended == [[("progress", number), ("finished", number)]], f"job {number} (pause {pause_s * 1000:.1f} ms)"


def test_text_and_events_arrive_in_the_order_they_were_queued(qtbot, bridge: EngineBridge) -> None:
    """A restart (Discarded) between two models' text must not be delivered before the first model's text."""

    async def stream() -> AsyncIterator[Any]:
        yield "from A "
        yield "more A"
        yield {"discarded": "A"}
        yield "from B"
        yield {"done": True}

    order: list[Any] = []
    job = bridge.stream(stream)
    job.sig_text_arrived.connect(lambda text: order.append(("text", text)))
    job.sig_event_arrived.connect(lambda event: order.append(("event", event)))
    with qtbot.waitSignal(job.sig_finished, timeout=3000):
        pass
    assert order == [("text", "from A more A"), ("event", {"discarded": "A"}), ("text", "from B"),
                     ("event", {"done": True})]
