"""Wait for a fact, not for a length of time.

A race test that sleeps 0.1 s "so the request is in flight" passes on a quiet machine and fails
(or, worse, passes without testing anything) on a loaded one. ``until`` polls the fact itself
and fails with what it was waiting for when it does not come true in time.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

POLL_S = 0.005


async def until(fact: Callable[[], object], what: str, *, timeout_s: float = 10.0) -> None:
    """Return once ``fact()`` is true; AssertionError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not fact():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout_s:g} s waiting for {what}")
        await asyncio.sleep(POLL_S)
