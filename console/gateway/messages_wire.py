"""Anthropic Messages request bodies (``POST /v1/messages``) → core ``Request``s, so tools built on the
Anthropic SDK can be pointed at Routedesk too.

Mapped, per Anthropic's Messages API reference:
- ``system`` (a string or text blocks) → a system message; ``messages`` with roles user/assistant and
  content as a string or blocks: ``text``; ``image`` (``base64`` → a data URL, ``url``), in user turns;
  ``tool_use`` in assistant turns → tool calls (``input`` as JSON text); ``tool_result`` in user
  turns → tool messages (their text content), before the turn's other text;
- ``max_tokens`` (required, as Anthropic requires it), ``temperature`` (0-1), ``top_p``,
  ``stop_sequences``; ``tools`` (``name``, ``description``, ``input_schema``) and ``tool_choice``
  (``auto`` / ``any`` / ``tool`` + name / ``none``); ``metadata.user_id`` and the X-Routedesk headers;
- ``model``: auto, a task, a model alias or a provider's model id, as on /v1/chat/completions.
Other fields (``thinking``, ``top_k``, ...) are ignored; a shape that does not fit is refused with a
400 naming the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from console.core.request import ImagePart, Message, Request, Sampling, Tool, ToolCall, ToolChoice
from console.gateway.wire import WireError, metadata_of, number_field

_CHOICES = {"auto": "auto", "any": "required", "none": "none"}


@dataclass(frozen=True)
class MessagesCall:
    model: str
    request: Request
    stream: bool


def _text_of(raw: Any, where: str) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list) and all(isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
                                     for b in raw):
        return "".join(b["text"] for b in raw)
    raise WireError(f"{where} must be a string or a list of text blocks", param=where)


def _image(block: dict[str, Any], where: str) -> ImagePart:
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "base64" and isinstance(source.get("data"), str) \
            and isinstance(source.get("media_type"), str) and source["media_type"].startswith("image/"):
        return ImagePart(f"data:{source['media_type']};base64,{source['data']}")
    if isinstance(source, dict) and source.get("type") == "url" and isinstance(source.get("url"), str) \
            and source["url"].startswith(("https://", "http://")):
        return ImagePart(source["url"])
    raise WireError(f"{where}.source must be a base64 image or an http(s) url", param=f"{where}.source")


def _turn(item: Any, where: str) -> list[Message]:
    if not isinstance(item, dict) or item.get("role") not in ("user", "assistant"):
        raise WireError(f"{where}.role must be user or assistant", param=f"{where}.role")
    role, content = item["role"], item.get("content")
    if isinstance(content, str):
        return [Message(role, content)]
    if not isinstance(content, list):
        raise WireError(f"{where}.content must be a string or a list of blocks", param=f"{where}.content")
    results: list[Message] = []
    parts: list[str | ImagePart] = []
    calls: list[ToolCall] = []
    for index, block in enumerate(content):
        at = f"{where}.content[{index}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif kind == "image" and role == "user":
            parts.append(_image(block, at))
        elif kind == "tool_use" and role == "assistant" and isinstance(block.get("id"), str) \
                and isinstance(block.get("name"), str):
            calls.append(ToolCall(block["id"], block["name"], json.dumps(block.get("input") or {})))
        elif kind == "tool_result" and role == "user" and isinstance(block.get("tool_use_id"), str):
            results.append(Message("tool", _text_of(block.get("content", ""), f"{at}.content"),
                                   tool_call_id=block["tool_use_id"]))
        else:
            raise WireError(f"{at}: a {kind!r} block is not supported in a {role} turn", param=at)
    text = "".join(p for p in parts if isinstance(p, str))
    images = any(isinstance(p, ImagePart) for p in parts)
    turn = [Message(role, text, tuple(calls), None, tuple(parts) if images else ())] if parts or calls else []
    return results + turn


def _tools(raw: Any) -> tuple[Tool, ...]:
    if raw in (None, []):
        return ()
    if not isinstance(raw, list):
        raise WireError("'tools' must be a list", param="tools")
    tools = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(
                item.get("input_schema", {}), dict):
            raise WireError(f"tools[{index}] needs a name and an input_schema object (custom tools only)",
                            param=f"tools[{index}]")
        description = item.get("description")
        tools.append(Tool(item["name"], description if isinstance(description, str) else None,
                          item.get("input_schema") or {}))
    return tuple(tools)


def _tool_choice(raw: Any) -> ToolChoice | None:
    if raw is None:
        return None
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind in _CHOICES:
        return ToolChoice(_CHOICES[kind])  # type: ignore[arg-type]
    if kind == "tool" and isinstance(raw.get("name"), str):
        return ToolChoice("function", raw["name"])
    raise WireError("'tool_choice' must be {type: auto|any|none} or {type: tool, name}", param="tool_choice")


def parse_messages_call(body: Any, headers: Mapping[str, str]) -> MessagesCall:
    """The call an Anthropic Messages ``body`` describes; WireError otherwise."""
    if not isinstance(body, dict):
        raise WireError("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise WireError("'model' is required: auto, a task or a model alias", param="model")
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise WireError("'max_tokens' is required: a positive integer", param="max_tokens")
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise WireError("'messages' must be a non-empty list", param="messages")
    messages = [m for index, item in enumerate(raw) for m in _turn(item, f"messages[{index}]")]
    if body.get("system") is not None:
        messages.insert(0, Message("system", _text_of(body["system"], "system")))
    stop = body.get("stop_sequences")
    if stop is not None and (not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop)):
        raise WireError("'stop_sequences' must be a list of non-empty strings", param="stop_sequences")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise WireError("'stream' must be true or false", param="stream")
    raw_meta = body.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    user = meta.get("user_id") if isinstance(meta.get("user_id"), str) else None
    request = Request(
        messages=tuple(messages),
        metadata=metadata_of({"user": user} if user else {}, headers),
        max_tokens=max_tokens,
        temperature=number_field(body, "temperature", 0, 1),
        stream=stream,
        tools=_tools(body.get("tools")),
        tool_choice=_tool_choice(body.get("tool_choice")),
        sampling=Sampling(stop=tuple(stop or ()), top_p=number_field(body, "top_p", 0, 1)),
    )
    return MessagesCall(model.strip(), request, stream)
