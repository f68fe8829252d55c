"""The SSE decoder: fields, comments, multi-line data, CRLF, and events cut off at the end."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

from console.core.providers.sse import SSEDecoder, SSEEvent, iter_sse


def decode(lines: list[str]) -> list[SSEEvent]:
    async def source() -> AsyncIterator[str]:
        for line in lines:
            yield line

    async def collect() -> list[SSEEvent]:
        return [event async for event in iter_sse(source())]

    return asyncio.run(collect())


def test_data_lines_dispatch_on_blank_line() -> None:
    assert decode(["data: one", "", "data: two", ""]) == [SSEEvent("one"), SSEEvent("two")]


def test_event_and_id_fields_are_kept_and_reset_per_event() -> None:
    events = decode(["event: message_start", "id: 7", 'data: {"a":1}', "", "data: plain", ""])
    assert events[0] == SSEEvent('{"a":1}', "message_start", "7")
    assert events[1].event is None


def test_multi_line_data_joins_with_newlines() -> None:
    assert decode(["data: first", "data: second", ""]) == [SSEEvent("first\nsecond")]


def test_comments_and_unknown_fields_are_ignored() -> None:
    assert decode([": keep-alive", "retry: 100", "foo: bar", "data: x", ""]) == [SSEEvent("x")]


def test_only_one_space_after_the_colon_is_removed_and_none_is_needed() -> None:
    assert decode(["data:tight", "", "data:  two spaces", ""]) == [SSEEvent("tight"), SSEEvent(" two spaces")]


def test_crlf_leftovers_are_stripped() -> None:
    decoder = SSEDecoder()
    assert decoder.feed("data: x\r\n") is None
    assert decoder.feed("\r\n") == SSEEvent("x")


def test_an_event_without_its_blank_line_is_discarded_at_the_end() -> None:
    assert decode(["data: complete", "", 'data: {"half":']) == [SSEEvent("complete")]


def test_blank_lines_without_fields_dispatch_nothing() -> None:
    assert decode(["", "", "data: x", "", ""]) == [SSEEvent("x")]
