"""Server-sent events as the protocol modules see them: one dispatched event of a ``text/event-stream`` body.

The HTTP layer decodes the body (``_http.StreamingReply.events``, with httpx-sse) and hands the
protocol modules these plain values, so that no protocol module depends on how the bytes were read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched event. ``event`` is None when the stream named no type (the default 'message')."""

    data: str
    event: str | None = None
    id: str | None = None
