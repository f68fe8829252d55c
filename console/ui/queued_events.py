"""Events a piece of work puts on a queue, yielded as they come, until the work is done.

The pilot page, its router section and the side-by-side page run core work that reports progress
through a callback onto an ``asyncio.Queue`` on the engine thread; this drains the queue while the work runs, yields
the events left after it ends (the last progress event is never lost), and then the work's result.
If the consumer stops early (the job is cancelled), the work is cancelled too.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator


async def queued_then_result(queue: "asyncio.Queue[Any]", work: "asyncio.Future[Any]",
                             final: str) -> AsyncIterator[Any]:
    """Each queued event, then ``(final, work.result())``."""
    try:
        while not (work.done() and queue.empty()):
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, work}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield getter.result()
            else:
                getter.cancel()
        yield (final, work.result())
    finally:
        if not work.done():
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
