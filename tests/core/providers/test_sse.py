"""SSE decoding in the HTTP layer: lines end only at CR, LF or CRLF; fields, comments, cut-off events.

The body is fed to ``StreamingReply.events`` as real httpx response bytes, in whatever pieces a
test chooses (one byte at a time splits CRLF pairs and UTF-8 sequences across reads).
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.core.outcomes import Outcome
from console.core.providers._http import HttpChannel, StreamingReply
from console.core.providers.base import ProviderError
from console.core.providers.sse import SSEEvent

SEPARATORS = "\u2028\u2029\u0085\x0b\x0c\x1c\x1d\x1e"  # what str.splitlines() also breaks at


def decode(body: bytes, *, piece: int | None = None, content_type: str = "text/event-stream") -> list[SSEEvent]:
    async def pieces() -> AsyncIterator[bytes]:
        step = piece or len(body) or 1
        for i in range(0, len(body), step):
            yield body[i : i + step]

    async def collect() -> list[SSEEvent]:
        response = httpx.Response(200, headers={"content-type": content_type}, content=pieces())
        reply = StreamingReply(response, HttpChannel(provider="p", base_url="http://127.0.0.1:9", headers={}))
        return [event async for event in reply.events()]

    return asyncio.run(collect())


def test_unicode_line_separators_inside_json_text_do_not_split_the_line() -> None:
    text = f"a{SEPARATORS}b"
    body = ('data: {"t": "' + text + '"}\n\n').encode()
    assert decode(body) == [SSEEvent('{"t": "' + text + '"}')]
    assert decode(body, piece=1) == [SSEEvent('{"t": "' + text + '"}')]


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(st.text(alphabet=st.sampled_from("ab é€" + SEPARATORS), min_size=1), min_size=1, max_size=4),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    piece=st.integers(min_value=1, max_value=9),
)
def test_any_split_of_the_body_gives_the_same_events(texts: list[str], ending: str, piece: int) -> None:
    body = "".join(f"data: {t}{ending}{ending}" for t in texts).encode()
    assert decode(body, piece=piece) == [SSEEvent(t) for t in texts]


def test_cr_lf_and_crlf_all_end_lines() -> None:
    assert decode(b"data: one\r\rdata: two\n\ndata: three\r\n\r\n") == [
        SSEEvent("one"), SSEEvent("two"), SSEEvent("three")]


def test_event_and_id_fields_are_kept_and_the_event_type_resets() -> None:
    events = decode(b'event: message_start\nid: 7\ndata: {"a":1}\n\ndata: plain\n\n')
    assert events[0] == SSEEvent('{"a":1}', "message_start", "7")
    assert events[1].event is None


def test_multi_line_data_joins_with_newlines() -> None:
    assert decode(b"data: first\ndata: second\n\n") == [SSEEvent("first\nsecond")]


def test_comments_and_unknown_fields_are_ignored() -> None:
    assert decode(b": keep-alive\nretry: 100\nfoo: bar\ndata: x\n\n") == [SSEEvent("x")]


def test_only_one_space_after_the_colon_is_removed() -> None:
    assert decode(b"data:tight\n\ndata:  two spaces\n\n") == [SSEEvent("tight"), SSEEvent(" two spaces")]


def test_an_event_without_its_blank_line_is_discarded_at_the_end() -> None:
    assert decode(b'data: complete\n\ndata: {"half":') == [SSEEvent("complete")]
    assert decode(b'data: complete\n\ndata: {"half":\n') == [SSEEvent("complete")]


def test_blank_lines_and_events_without_data_dispatch_nothing() -> None:
    assert decode(b"\n\nid: 3\n\nevent: ping\n\ndata: x\n\n\n\n") == [SSEEvent("x", None, "3")]


def test_a_body_that_is_not_an_event_stream_is_invalid_output() -> None:
    with pytest.raises(ProviderError) as caught:
        decode(b'{"choices": []}', content_type="application/json")
    assert caught.value.outcome is Outcome.INVALID_OUTPUT
    assert "not an event stream" in caught.value.message
