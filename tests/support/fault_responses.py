"""Bodies the fault server sends: deterministic OpenAI-shaped answers, stream chunks and errors.

An answer echoes the words of the last user message (``ok``), wraps them in JSON (``ok-json``),
or is shaped by the fault (empty, not JSON, stopped by a content filter). Token counts are word
counts, so tests can predict usage exactly.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from typing import Any, Protocol

CREATED = 1_700_000_000


class _FaultLike(Protocol):
    name: str
    params: dict[str, str]

    def number(self, key: str, default: float) -> float: ...


@dataclass(frozen=True)
class Answer:
    """What the server will say: text pieces (one per stream chunk) and its usage, or a tool call
    (``tool_call``: id, name, arguments JSON text) when asked to call one."""

    model: str
    pieces: list[str]
    finish_reason: str
    prompt_tokens: int
    logprob: float
    tool_call: tuple[str, str, str] | None = None

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def _words_of_last_user_message(body: dict[str, Any]) -> list[str]:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content") or "").split() or ["ok"]
    return ["ok"]


def _split(text: str, parts: int) -> list[str]:
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content") or "")
    return "ok"


def prefill_of(body: dict[str, Any]) -> str | None:
    """The text of a trailing assistant message (a prefill the answer must continue), if any."""
    messages = body.get("messages") or []
    last = messages[-1] if messages else None
    if isinstance(last, dict) and last.get("role") == "assistant" and isinstance(last.get("content"), str):
        return str(last["content"])
    return None


def continue_after(pieces: list[str], prefill: str) -> list[str]:
    """What a model that accepts prefill sends after ``prefill``: the rest of its answer, word by
    word, when ``prefill`` begins it; the whole answer otherwise (so a splice would show)."""
    whole = "".join(pieces)
    if not whole.startswith(prefill):
        return pieces
    return re.findall(r"\s*\S+\s*$|\s*\S+", whole[len(prefill):])


def _tool_call(body: dict[str, Any]) -> tuple[str, str, str] | None:
    """The call a ``tool`` model makes: the chosen (or first) tool, each required string parameter
    filled with the last user message; None once the last message is a tool's result."""
    messages = body.get("messages") or []
    tools = body.get("tools") or []
    if not tools or (messages and messages[-1].get("role") == "tool") or body.get("tool_choice") == "none":
        return None
    choice = body.get("tool_choice")
    name = choice["function"]["name"] if isinstance(choice, dict) else tools[0]["function"]["name"]
    function = next(t["function"] for t in tools if t["function"]["name"] == name)
    schema = function.get("parameters") or {}
    wanted = schema.get("required") or list((schema.get("properties") or {}))
    arguments = {key: _last_user_text(body) for key in wanted}
    return f"call_{zlib.crc32(json.dumps(arguments).encode()):08x}", name, json.dumps(arguments)


def openai_answer(body: dict[str, Any], fault: _FaultLike) -> Answer:
    words = _words_of_last_user_message(body)
    finish = "stop"
    if fault.name == "tool" and body.get("tools"):
        call = _tool_call(body)
        prompt_tokens = sum(len(str(m.get("content") or "").split()) for m in body.get("messages") or [])
        if call is not None:
            return Answer(str(body.get("model")), [], "tool_calls", prompt_tokens, -0.05, call)
        last = (body.get("messages") or [{}])[-1]
        result = str(last.get("content") or "") if last.get("role") == "tool" else " ".join(words)
        pieces = [word if i == 0 else " " + word for i, word in enumerate(f"the tool said: {result}".split())]
        return Answer(str(body.get("model")), pieces, "stop", prompt_tokens, -0.05)
    if fault.name == "verbatim":
        pieces = _split(_last_user_text(body), 4)
    elif fault.name == "ok-json" or fault.params.get("json") == "1" or (
            (body.get("response_format") or {}).get("type") == "json_schema" and fault.name in ("ok", "tool")):
        pieces = _split(json.dumps({"answer": " ".join(words)}), 4)
    elif fault.name == "invalid-json":
        pieces = _split("Sure! Here is the JSON you asked for: {answer: " + " ".join(words), 4)
    elif fault.name == "empty":
        pieces = []
    else:
        pieces = [word if i == 0 else " " + word for i, word in enumerate(words)]
    if fault.name == "content-filter":
        pieces, finish = pieces[:1], "content_filter"
    prefill = prefill_of(body)
    if prefill is not None and fault.params.get("prefill") != "ignore":
        pieces = continue_after(pieces, prefill)
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, int) and len(pieces) > max_tokens:
        pieces, finish = pieces[:max_tokens], "length"
    prompt_tokens = sum(
        len(str(m.get("content") or "").split()) for m in body.get("messages") or [] if isinstance(m, dict)
    )
    return Answer(str(body.get("model")), pieces, finish, prompt_tokens, fault.number("logprob", -0.05))


def _usage(answer: Answer) -> dict[str, Any]:
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": len(answer.pieces),
        "total_tokens": answer.prompt_tokens + len(answer.pieces),
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def _logprobs(pieces: list[str], logprob: float) -> dict[str, Any]:
    return {"content": [{"token": p, "logprob": logprob, "bytes": list(p.encode()), "top_logprobs": []} for p in pieces]}


def json_completion(answer: Answer, body: dict[str, Any]) -> bytes:
    message: dict[str, Any] = {"role": "assistant", "content": answer.text, "refusal": None}
    if answer.tool_call is not None:
        call_id, name, arguments = answer.tool_call
        message["content"] = None
        message["tool_calls"] = [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}]
    choice: dict[str, Any] = {
        "index": 0,
        "message": message,
        "finish_reason": answer.finish_reason,
        "logprobs": _logprobs(answer.pieces, answer.logprob) if body.get("logprobs") else None,
    }
    payload = {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": CREATED,
        "model": answer.model,
        "choices": [choice],
        "usage": _usage(answer),
    }
    return json.dumps(payload).encode()


@dataclass(frozen=True)
class StreamEvents:
    """SSE events of a streamed answer: the role chunk, one per text piece, and the tail
    (finish chunk, usage chunk when asked for, ``[DONE]``)."""

    role: bytes
    text: list[bytes]
    tail: list[bytes]


def _event(payload: dict[str, Any]) -> bytes:
    # Raw UTF-8, as llama.cpp's server and most hosted APIs send it: U+2028 and friends arrive unescaped.
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


def sse_chunks(answer: Answer, body: dict[str, Any], fault: _FaultLike) -> StreamEvents:
    def chunk(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> bytes:
        payload: dict[str, Any] = {
            "id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": CREATED,
            "model": answer.model, "choices": choices,
        }
        if usage is not None:
            payload["usage"] = usage
        return _event(payload)

    want_logprobs = bool(body.get("logprobs"))
    role = chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
    text = [
        chunk([{
            "index": 0, "delta": {"content": piece}, "finish_reason": None,
            "logprobs": _logprobs([piece], answer.logprob) if want_logprobs else None,
        }])
        for piece in answer.pieces
    ]
    if answer.tool_call is not None:  # id and name first, then the arguments in three pieces
        call_id, name, arguments = answer.tool_call
        third = max(1, len(arguments) // 3)
        fragments = [arguments[i:i + third] for i in range(0, len(arguments), third)]
        text = [chunk([{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}]},
            "finish_reason": None}])]
        text += [chunk([{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": f}}]},
                         "finish_reason": None}]) for f in fragments]
    tail = [chunk([{"index": 0, "delta": {}, "finish_reason": answer.finish_reason}])]
    if (body.get("stream_options") or {}).get("include_usage"):
        tail.append(chunk([], _usage(answer)))
    tail.append(b"data: [DONE]\n\n")
    return StreamEvents(role, text, tail)


def error_body(kind: str, message: str, *, code: str | None = None, param: str | None = None) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "param": param, "code": code}}).encode()
