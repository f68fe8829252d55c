"""The daily shadow cap: holds for calls in flight, settling, the day's end, seeding from the log,
and many threads reserving at once (the window's and the endpoint's engines share one)."""

from __future__ import annotations

import random
import threading

from console.core.shadow.cap import ShadowCaps

DAY = 86400.0


def test_calls_in_flight_hold_the_cap_without_ending_the_day() -> None:
    caps = ShadowCaps(clock=lambda: 10 * DAY + 5)
    caps.seed("r", 0.0)
    assert caps.reserve("r", 0.4, 1.0) and caps.reserve("r", 0.4, 1.0)
    assert not caps.reserve("r", 0.4, 1.0)  # two worst cases in flight: a third might pass the cap
    assert not caps.exhausted("r")  # ... but they may cost less: the day goes on
    day = caps.day_start()
    caps.settle("r", 0.4, 0.05, day)
    caps.settle("r", 0.4, 0.05, day)
    assert caps.spent_today("r") == 0.1 and caps.reserve("r", 0.4, 1.0)
    caps.settle("r", 0.4, 0.75, day)
    assert not caps.reserve("r", 0.4, 1.0) and caps.exhausted("r")  # settled 0.85: no worst case fits


def test_a_new_utc_day_starts_the_cap_again_and_yesterdays_calls_settle_nothing() -> None:
    now = [3 * DAY + 100]
    caps = ShadowCaps(clock=lambda: now[0])
    caps.seed("r", 0.9)  # what the log says was spent today
    caps.seed("r", 5.0)  # a second seed the same day is ignored
    assert not caps.reserve("r", 0.2, 1.0) and caps.exhausted("r")
    assert caps.reserve("r", 0.05, 1.0)
    yesterday = caps.day_start()
    now[0] = 4 * DAY + 1
    assert not caps.exhausted("r") and caps.needs_seed("r")
    caps.seed("r", 0.0)
    caps.settle("r", 0.05, 0.05, yesterday)
    assert caps.spent_today("r") == 0.0 and caps.reserve("r", 0.9, 1.0)


def test_threads_reserving_at_once_never_settle_past_the_cap() -> None:
    for seed in range(20):
        caps = ShadowCaps(clock=lambda: 7 * DAY)
        caps.seed("r", 0.0)
        rng = random.Random(seed)
        plans = [(rng.uniform(0.01, 0.2), rng.uniform(0.0, 1.0)) for _ in range(400)]
        start = threading.Barrier(8)

        def worker(part: list[tuple[float, float]]) -> None:
            start.wait()
            for hold, share in part:
                if caps.reserve("r", hold, 2.0):
                    caps.settle("r", hold, hold * share, caps.day_start())

        threads = [threading.Thread(target=worker, args=(plans[i::8],)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert caps.spent_today("r") <= 2.0 + 1e-9
