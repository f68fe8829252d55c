"""A request body → the call it describes (chat completions or Anthropic Messages), off the event
loop when the body is big.

Decoding 8 MB of JSON holds the loop for tens of milliseconds, every other client with it; bodies
over ``EndpointLimits.offload_bytes`` are decoded and mapped on a worker thread. JSON nested past
Python's recursion limit (``[[[[...`` 100,000 deep) is a 400 saying so, not a 500.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Mapping, TypeVar

from console.gateway.wire import ChatCall, WireError, parse_chat_call

Call = TypeVar("Call")
Parse = Callable[[Any, Mapping[str, str]], Call]


def decode_call(raw: bytes, headers: Mapping[str, str], parse: Parse[Call]) -> Call:
    """The call ``raw`` describes, as ``parse`` maps it; WireError (a 400) for anything that is not one."""
    try:
        body = json.loads(raw)
    except RecursionError:
        raise WireError("the request body is nested too deeply: JSON may nest at most a few hundred levels") from None
    except ValueError as err:  # also UnicodeDecodeError: the body is not UTF-8
        raise WireError(f"the request body is not valid JSON: {err}") from None
    try:
        return parse(body, headers)
    except RecursionError:  # a schema or content nested just under the decoder's limit
        raise WireError("the request body is nested too deeply to be routed") from None


async def read_call(raw: bytes, headers: Mapping[str, str], parse: Parse[Call], *, offload_bytes: int) -> Call:
    if len(raw) > offload_bytes:
        return await asyncio.to_thread(decode_call, raw, dict(headers), parse)
    return decode_call(raw, headers, parse)


async def read_chat_call(raw: bytes, headers: Mapping[str, str], *, offload_bytes: int) -> ChatCall:
    return await read_call(raw, headers, parse_chat_call, offload_bytes=offload_bytes)
