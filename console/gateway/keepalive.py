"""Reading the engine's events with a patience limit, so a stream can say "still here" while it waits.

``PatientReader.next(timeout_s)`` returns the next event, ``END``, or ``WAITING`` when nothing came
in time; the read it waited on stays pending (it is never cancelled by the timeout, which would
cancel the request), and the next call keeps waiting on it. The streaming response uses this to
send its head early and an SSE comment every few seconds while Routedesk fails over.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator, Generic, TypeVar, Union

T = TypeVar("T")


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


WAITING = _Marker("WAITING")
END = _Marker("END")

#: The SSE comment sent while waiting: clients and proxies see bytes, SDKs ignore comments.
KEEPALIVE_FRAME = b": keep-alive\n\n"


class PatientReader(Generic[T]):
    """One async iterator, read with timeouts that do not cancel it."""

    def __init__(self, source: AsyncIterator[T]) -> None:
        self._source = source
        self._pending: asyncio.Future[T] | None = None

    async def next(self, timeout_s: float | None) -> Union[T, _Marker]:
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._source.__anext__())
        if not self._pending.done():
            done, _ = await asyncio.wait((self._pending,), timeout=timeout_s)
            if not done:
                return WAITING
        pending, self._pending = self._pending, None
        try:
            return pending.result()
        except StopAsyncIteration:
            return END

    async def aclose(self) -> None:
        """Stop the read in flight (the request is cancelled) and close the iterator."""
        pending, self._pending = self._pending, None
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()
