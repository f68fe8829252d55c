"""Server-sent events: turns lines of a ``text/event-stream`` body into events.

Follows the WHATWG event-stream rules that OpenAI, Anthropic and Gemini streams rely on: ``data:``
lines (several join with newlines), ``event:`` and ``id:`` fields, ``:`` comments (keep-alives),
one optional space after the colon, and a blank line that dispatches the event. Lines arrive
already split (the HTTP layer splits on LF, CRLF or CR). An event still open when the body ends is
discarded, as the standard says: a stream cut mid-event must not yield half an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterable, AsyncIterator


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched event. ``event`` is None when the stream named no type (the default 'message')."""

    data: str
    event: str | None = None
    id: str | None = None


class SSEDecoder:
    """Incremental decoder: feed it lines, get an event back when a blank line completes one."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._has_field = False

    def feed(self, line: str) -> SSEEvent | None:
        line = line.rstrip("\r\n")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment, used by servers as a keep-alive
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_field = True
        elif name == "event":
            self._event = value
            self._has_field = True
        elif name == "id":
            self._id = value
            self._has_field = True
        # 'retry' and unknown fields are ignored, as the standard says.
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._has_field:
            return None
        # An event with only an 'event:' line and no data is not dispatched per the standard,
        # but Anthropic never sends one; keep it simple and follow the rule.
        event = SSEEvent("\n".join(self._data), self._event, self._id) if self._data else None
        self._data = []
        self._event = None
        self._has_field = False
        return event

    @property
    def pending(self) -> bool:
        """True when an event was started but not yet completed by a blank line."""
        return self._has_field


async def iter_sse(lines: AsyncIterable[str]) -> AsyncIterator[SSEEvent]:
    """Events from an async stream of lines."""
    decoder = SSEDecoder()
    async for line in lines:
        event = decoder.feed(line)
        if event is not None:
            yield event
